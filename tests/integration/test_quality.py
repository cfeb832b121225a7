"""Quality against the ffmpeg CLI: the same source, scaler, preset, CRF and
keyframe cadence through `ffmpeg -c:v libx264` and through mpegflow. Ours must
be within 0.3 dB PSNR of ffmpeg's at no more than 10% more bits.
"""
import os
import re
import tempfile

from mediacheck import MEDIA_DIR, Failure, SkipTest, check, encode, ffprobe, main, run

SOURCE = "mp4_h264_aac_640x360_17s.mp4"
PRESET, CRF, GOP = "veryfast", 23, 2


def video_bytes(path):
    s = ffprobe(path, "-select_streams", "v:0", "-show_entries", "stream=bit_rate,duration")["streams"][0]
    return int(s["bit_rate"]) * float(s["duration"]) / 8


def psnr_ssim(encoded, source, w, h):
    """Average PSNR (dB) and SSIM of encoded against the source scaled to w x h
    with the same bicubic scaler both encoders used."""
    lavfi = (f"[1:v]scale={w}:{h}:flags=bicubic,format=yuv420p,split[r1][r2];"
             f"[0:v]format=yuv420p,split[e1][e2];[e1][r1]psnr;[e2][r2]ssim")
    r = run(["ffmpeg", "-hide_banner", "-nostats", "-i", encoded, "-i", source, "-lavfi", lavfi,
             "-f", "null", "-"])
    p = re.search(r"PSNR .* average:([0-9.]+)", r.stderr)
    s = re.search(r"SSIM .* All:([0-9.]+)", r.stderr)
    if not p or not s:
        raise Failure(f"no PSNR/SSIM from ffmpeg: {r.stderr[-500:]}")
    return float(p.group(1)), float(s.group(1))


def ffmpeg_encode(source, out, w, h):
    r = run(["ffmpeg", "-hide_banner", "-v", "error", "-y", "-i", source, "-an",
             "-vf", f"scale={w}:{h}:flags=bicubic,format=yuv420p", "-fps_mode", "passthrough",
             "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF),
             "-force_key_frames", f"expr:gte(t,n_forced*{GOP})", "-sc_threshold", "0",
             "-g", "120", out])
    check(r.returncode == 0, f"ffmpeg failed: {r.stderr}")


def test():
    source = os.path.join(MEDIA_DIR, SOURCE)
    if not os.path.exists(source):
        raise SkipTest(f"{source} not found")
    with tempfile.TemporaryDirectory() as out:
        r = encode(source, out, "--ladder", "360,240", "--preset", PRESET, "--crf", str(CRF),
                   "--gop", str(GOP), "--format", "mp4", "--audio", "none")
        check(r.returncode == 0, f"mpegflow failed: {r.stderr}")
        for name, (w, h) in {"360p": (640, 360), "240p": (426, 240)}.items():
            ours = os.path.join(out, f"{name}.mp4")
            theirs = os.path.join(out, f"ffmpeg-{name}.mp4")
            ffmpeg_encode(source, theirs, w, h)
            p_ours, s_ours = psnr_ssim(ours, source, w, h)
            p_ff, s_ff = psnr_ssim(theirs, source, w, h)
            b_ours, b_ff = video_bytes(ours), video_bytes(theirs)
            print(f"{name}: mpegflow PSNR {p_ours:.3f} dB SSIM {s_ours:.5f} {b_ours / 1e3:.1f} kB | "
                  f"ffmpeg PSNR {p_ff:.3f} dB SSIM {s_ff:.5f} {b_ff / 1e3:.1f} kB | "
                  f"bits x{b_ours / b_ff:.3f}")
            check(p_ours >= p_ff - 0.3, f"{name}: PSNR {p_ours:.3f} dB vs ffmpeg {p_ff:.3f} dB")
            check(s_ours >= s_ff - 0.003, f"{name}: SSIM {s_ours:.5f} vs ffmpeg {s_ff:.5f}")
            check(b_ours <= 1.10 * b_ff, f"{name}: {b_ours:.0f} bytes vs ffmpeg {b_ff:.0f}")


if __name__ == "__main__":
    main(test)
