"""The x265 backend (HEVC through libavcodec's libx265, the path NVENC shares).

  test_hevc.py ladder FILE   a 2-rung ladder, MP4 + HLS, checked with ffprobe:
                             hvc1 tags, sizes, frame counts, durations, keyframes at
                             every segment boundary, and those keyframes are IDR
                             pictures (no CRA: closed GOPs)
  test_hevc.py quality       against `ffmpeg -c:v libx265` with the same preset, CRF and
                             keyframe cadence on a 6 s clip: PSNR within 0.3 dB at no
                             more than 10% more bits
  test_hevc.py implied       --backend x265 with no codec (flag or job) encodes HEVC; an
                             explicit h264 with x265 fails with one line naming video.codec
"""
import json
import math
import os
import re
import sys
import tempfile
import time

from mediacheck import (MEDIA_DIR, Failure, SkipTest, check, count_packets, encode, expected_width,
                        ffprobe, main, run, stream_duration, streams, video_packets)
from test_corpus import check_keyframes, source_info
from test_quality import video_bytes

LADDER = [240, 120]
GOP = 2.0


def coded_pictures(path):
    """[(is_key, first VCL nal_unit_type)] per packet of an HEVC file, in decode order."""
    r = run(["ffmpeg", "-hide_banner", "-nostats", "-i", path, "-map", "0:v:0", "-c", "copy",
             "-bsf:v", "trace_headers", "-f", "null", "-"])
    check(r.returncode == 0, f"trace_headers on {path}: {r.stderr[-400:]}")
    pics = []
    for line in r.stderr.splitlines():
        if "] Packet: " in line:
            pics.append([", key frame" in line, None])
        m = re.search(r"nal_unit_type\s+[01]+ = (\d+)$", line)
        if m and pics and pics[-1][1] is None and int(m.group(1)) < 32:
            pics[-1][1] = int(m.group(1))
    return pics


def check_idr(mp4):
    """Key packets are exactly the IDR pictures (19/20); no CRA/BLA (open GOPs)."""
    pics = coded_pictures(mp4)
    check(len(pics) == count_packets(mp4, 0), f"{mp4}: {len(pics)} coded pictures")
    bad = [(i, k, t) for i, (k, t) in enumerate(pics) if k != (t in (19, 20)) or (16 <= t <= 23 and t not in (19, 20))]
    check(not bad, f"{mp4}: (packet, key, nal type) not IDR-aligned: {bad[:5]}")
    return sum(1 for k, _ in pics if k)


def check_hevc_mp4(path, src, frames, height):
    info = streams(path)
    v = [s for s in info["streams"] if s["codec_type"] == "video"]
    check(len(v) == 1 and v[0]["codec_name"] == "hevc", f"{path}: want one hevc stream, got {v}")
    check(v[0]["codec_tag_string"] == "hvc1", f"{path}: tag {v[0]['codec_tag_string']}, want hvc1")
    want_w = expected_width(src, height)
    check((v[0]["width"], v[0]["height"]) == (want_w, height),
          f"{path}: {v[0]['width']}x{v[0]['height']}, want {want_w}x{height}")
    check(v[0].get("pix_fmt") == "yuv420p" and v[0].get("profile") == "Main", f"{path}: {v[0].get('pix_fmt')} {v[0].get('profile')}")
    n = count_packets(path, v[0]["index"])
    check(n == frames, f"{path}: {n} frames, source gave {frames}")
    return stream_duration(path, v[0])


def case_ladder(name):
    path = os.path.join(MEDIA_DIR, name)
    if not os.path.exists(path):
        raise SkipTest(f"{path} not found")
    info, video, audio = source_info(path)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.monotonic()
        r = encode(path, out, "--codec", "hevc", "--backend", "x265", "--ladder", ",".join(map(str, LADDER)),
                   "--preset", "ultrafast", "--format", "both", "--gop", str(GOP))
        wall = time.monotonic() - t0
        check(r.returncode == 0, f"mpegflow failed: {r.stderr}")
        res = json.loads(r.stdout)
        check(res["backend"] == "x265" and "fallback" not in res, f"backend {res['backend']}")
        src = info["streams"][res["source"]["video_stream"]]
        src_dur = stream_duration(path, src)
        frame = src_dur / max(1, res["input_frames"])
        seg_lists, idrs = [], 0
        for o in res["outputs"]:
            full = os.path.join(out, o["path"])
            if o["kind"] == "mp4":
                d = check_hevc_mp4(full, src, res["input_frames"], o["height"])
                check(abs(d - src_dur) <= max(2 * frame, 0.05), f"{o['path']}: duration {d:.3f} s, source {src_dur:.3f} s")
                idrs = check_idr(full)
            elif o["kind"] == "hls" and o["rendition"] != "audio":
                init = os.path.join(os.path.dirname(full), "init.mp4")
                tag = ffprobe(init, "-show_streams")["streams"][0]["codec_tag_string"]
                check(tag == "hvc1", f"{init}: tag {tag}, want hvc1")
                seg_lists.append(check_keyframes(os.path.join(out, f"{o['rendition']}.mp4"), full))
        check(seg_lists and all(s == seg_lists[0] for s in seg_lists), f"renditions cut segments differently: {seg_lists}")
        want_segs = math.ceil(src_dur / GOP - 1e-6)
        check(abs(len(seg_lists[0]) - want_segs) <= 1, f"{len(seg_lists[0])} segments for {src_dur:.2f} s")
        with open(os.path.join(out, "hls", "master.m3u8")) as f:
            master = f.read()
        # each variant and each I-frame playlist (trick play) names the HEVC codec
        for tag in ("#EXT-X-STREAM-INF:", "#EXT-X-I-FRAME-STREAM-INF:"):
            lines = [l for l in master.splitlines() if l.startswith(tag)]
            check(len(lines) == len(seg_lists) and all('CODECS="hvc1.1.6.L' in l for l in lines),
                  f"master CODECS of {tag}: {master}")
        print(f"{name}: {res['input_frames']} frames, {len(seg_lists[0])} segments, {idrs} IDR per rendition, "
              f"{wall:.1f} s wall")


def psnr_ssim(encoded, reference):
    """Average PSNR (dB) and SSIM, frame n against frame n: ffmpeg's CLI rounds
    timestamps to its output time base, which would misalign a pts-synced comparison."""
    lavfi = ("[0:v]setpts=N,format=yuv420p,split[e1][e2];[1:v]setpts=N,format=yuv420p,split[r1][r2];"
             "[e1][r1]psnr;[e2][r2]ssim")
    r = run(["ffmpeg", "-hide_banner", "-nostats", "-i", encoded, "-i", reference, "-lavfi", lavfi, "-f", "null", "-"])
    p = re.search(r"PSNR .* average:([0-9.]+)", r.stderr)
    s = re.search(r"SSIM .* All:([0-9.]+)", r.stderr)
    if not p or not s:
        raise Failure(f"no PSNR/SSIM from ffmpeg: {r.stderr[-500:]}")
    return float(p.group(1)), float(s.group(1))


def case_quality():
    source = os.path.join(MEDIA_DIR, "mp4_h264_aac_640x360_17s.mp4")
    if not os.path.exists(source):
        raise SkipTest(f"{source} not found")
    preset, crf = "veryfast", 28
    with tempfile.TemporaryDirectory() as out:
        clip = os.path.join(out, "clip.mp4")   # 6 s, lossless: both encoders read the same frames
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-i", source, "-t", "6", "-an", "-c:v", "libx264",
                 "-qp", "0", "-preset", "ultrafast", clip])
        check(r.returncode == 0, f"clip: {r.stderr}")
        st = ffprobe(clip, "-select_streams", "v:0", "-show_streams")["streams"][0]
        num, den = (int(x) for x in st["r_frame_rate"].split("/"))
        keyint = max(2, 2 * math.ceil(GOP * num / den))     # what src/pipeline.c gives the backend
        t0 = time.monotonic()
        r = encode(clip, out, "--codec", "hevc", "--backend", "x265", "--ladder", "360", "--preset", preset,
                   "--crf", str(crf), "--gop", str(GOP), "--format", "mp4", "--audio", "none")
        t_ours = time.monotonic() - t0
        check(r.returncode == 0, f"mpegflow failed: {r.stderr}")
        ours, theirs = os.path.join(out, "360p.mp4"), os.path.join(out, "ffmpeg.mp4")
        cmd = ["ffmpeg", "-hide_banner", "-v", "error", "-y", "-i", clip, "-an", "-vf", "format=yuv420p",
               "-fps_mode", "passthrough", "-c:v", "libx265", "-preset", preset, "-crf", str(crf),
               "-force_key_frames", f"expr:gte(t,n_forced*{GOP:g})", "-forced-idr", "1",
               "-x265-params", f"keyint={keyint}:scenecut=0:open-gop=0:log-level=error", "-tag:v", "hvc1", theirs]
        t0 = time.monotonic()
        r = run(cmd)
        t_ff = time.monotonic() - t0
        check(r.returncode == 0, f"ffmpeg failed: {r.stderr}")
        w, h = st["width"], st["height"]
        p_ours, s_ours = psnr_ssim(ours, clip)
        p_ff, s_ff = psnr_ssim(theirs, clip)
        b_ours, b_ff = video_bytes(ours), video_bytes(theirs)
        frames = count_packets(ours, 0)
        print(f"{w}x{h} {frames} frames, x265 {preset} crf {crf} keyint {keyint}: "
              f"mpegflow PSNR {p_ours:.3f} dB SSIM {s_ours:.5f} {b_ours / 1e3:.1f} kB {t_ours:.2f} s | "
              f"ffmpeg PSNR {p_ff:.3f} dB SSIM {s_ff:.5f} {b_ff / 1e3:.1f} kB {t_ff:.2f} s | "
              f"bits x{b_ours / b_ff:.3f}")
        print("ffmpeg command: " + " ".join(cmd))
        check(frames == count_packets(theirs, 0), "frame counts differ")
        check(p_ours >= p_ff - 0.3, f"PSNR {p_ours:.3f} dB vs ffmpeg {p_ff:.3f} dB")
        check(s_ours >= s_ff - 0.003, f"SSIM {s_ours:.5f} vs ffmpeg {s_ff:.5f}")
        check(b_ours <= 1.10 * b_ff, f"{b_ours:.0f} bytes vs ffmpeg {b_ff:.0f}")


def case_implied():
    """The backend names the codec when nothing else does (x265 encodes HEVC only)."""
    src = os.path.join(MEDIA_DIR, "h264_jvt_sva_ba1_176x144.264")
    if not os.path.exists(src):
        raise SkipTest(f"{src} not found")
    common = ["--ladder", "144", "--preset", "ultrafast", "--audio", "none", "--format", "mp4"]

    def codec_of(out):
        v = [s for s in streams(os.path.join(out, "144p.mp4"))["streams"] if s["codec_type"] == "video"]
        return v[0]["codec_name"] if len(v) == 1 else v

    with tempfile.TemporaryDirectory() as out:
        r = encode(src, out, "--backend", "x265", *common)
        check(r.returncode == 0, f"--backend x265 alone: exit {r.returncode}: {r.stderr}")
        check(json.loads(r.stdout)["backend"] == "x265", r.stdout[:200])
        check(codec_of(out) == "hevc", f"--backend x265 alone gave {codec_of(out)}")
    with tempfile.TemporaryDirectory() as tmp:
        job, out = os.path.join(tmp, "job.json"), os.path.join(tmp, "out")
        with open(job, "w") as f:
            json.dump({"format": "mp4", "video": {"backend": "x265", "renditions": [
                {"name": "144p", "height": 144, "crf": 30}]}, "audio": {"mode": "none"}}, f)
        r = encode(src, out, "--job", job)
        check(r.returncode == 0, f"job with backend x265, no codec: exit {r.returncode}: {r.stderr}")
        check(codec_of(out) == "hevc", f"job with backend x265 gave {codec_of(out)}")
    with tempfile.TemporaryDirectory() as out:
        r = encode(src, out, "--backend", "x265", "--codec", "h264", *common)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 1 and len(lines) == 1, f"exit {r.returncode}, stderr {lines}")
        check("video.codec: the x265 backend encodes hevc only, the job asks for h264" in lines[0], lines[0])
    with tempfile.TemporaryDirectory() as out:     # x264's codec is still the default
        r = encode(src, out, "--backend", "x264", *common)
        check(r.returncode == 0 and codec_of(out) == "h264", f"exit {r.returncode}: {r.stderr}")


if __name__ == "__main__":
    if sys.argv[1] == "ladder":
        main(lambda: case_ladder(sys.argv[2]))
    elif sys.argv[1] == "implied":
        main(case_implied)
    else:
        main(case_quality)
