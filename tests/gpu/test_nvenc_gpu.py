"""NVENC on a node that has it (the `gpu` suite; see README.md here).

usage: test_nvenc_gpu.py probe|ladder_h264|ladder_hevc|sessions|quality|
                        allgpu_interlaced|allgpu_hevc10_rotated|upload_av1_hdr|upload_h264_422
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from mediacheck import (MEDIA_DIR, MPEGFLOW, SkipTest, check, count_packets, encode, expected_width,  # noqa: E402
                        ffprobe, main, run, stream_duration, streams, video_packets)
from test_corpus import check_keyframes, source_info  # noqa: E402
from test_hevc import psnr_ssim  # noqa: E402

GOP = 2.0
LADDER_SOURCE = "mp4_h264_aac_640x360_17s.mp4"


def media(name):
    path = os.path.join(MEDIA_DIR, name)
    if not os.path.exists(path):
        raise SkipTest(f"{path} not found")
    return path


def case_probe():
    r = run([MPEGFLOW, "probe"])
    nv = [l for l in r.stdout.splitlines() if l.startswith("nvenc: ")]
    check(nv == ["nvenc: usable"], f"this node cannot run the gpu suite: {nv}")


def key_is_idr(mp4, codec):
    """Key packets are exactly the IDR pictures (H.264 type 5; HEVC 19/20, no CRA/BLA)."""
    r = run(["ffmpeg", "-hide_banner", "-nostats", "-i", mp4, "-map", "0:v:0", "-c", "copy",
             "-bsf:v", "trace_headers", "-f", "null", "-"])
    check(r.returncode == 0, r.stderr[-300:])
    pics = []
    for line in r.stderr.splitlines():
        if "] Packet: " in line:
            pics.append([", key frame" in line, None])
        m = re.search(r"nal_unit_type\s+[01]+ = (\d+)$", line)
        if m and pics and pics[-1][1] is None:
            t = int(m.group(1))
            if (codec == "hevc" and t < 32) or (codec == "h264" and 1 <= t <= 5):
                pics[-1][1] = t
    idr = (19, 20) if codec == "hevc" else (5,)
    bad = [(i, k, t) for i, (k, t) in enumerate(pics) if k != (t in idr)]
    check(pics and not bad, f"{mp4}: (packet, key, nal type) not IDR-aligned: {bad[:5]}")
    return sum(1 for k, _ in pics if k)


def ladder(codec, source, heights, decode="nvdec", note=None):
    """Encode a ladder with nvenc and check it; decode: the path result.json must report
    ("nvdec": CUDA frames end to end; "cpu": CPU decode, one upload per rendition frame)."""
    path = media(source) if not os.path.isabs(source) else source
    info, _, _ = source_info(path)
    with tempfile.TemporaryDirectory() as out:
        r = encode(path, out, "--backend", "nvenc", "--codec", codec, "--ladder", ",".join(map(str, heights)),
                   "--preset", "medium", "--format", "both", "--gop", str(GOP))
        check(r.returncode == 0, f"mpegflow failed: {r.stderr}")
        res = json.loads(r.stdout)
        check(res["backend"] == "nvenc" and "fallback" not in res, f"backend {res['backend']}")
        nv = res.get("nvenc", {})
        check(nv.get("sessions") == len(heights), f"NVENC sessions {nv}, want one per rendition ({len(heights)})")
        check(nv.get("decode") == decode, f"decode path {nv}, want {decode}")
        if note:
            check(note in nv.get("decode_note", ""), f"decode note {nv}, want '{note}' in it")
        check(f"nvenc: {len(heights)} session" in r.stderr, f"no session line on stderr: {r.stderr}")
        src = info["streams"][res["source"]["video_stream"]]
        src_dur = stream_duration(path, src)
        frame = src_dur / max(1, res["input_frames"])
        segs = []
        mp4s = [o for o in res["outputs"] if o["kind"] == "mp4"]
        check(len(mp4s) == len(heights), f"{len(mp4s)} MP4s for {heights}: skipped {res['skipped']}")
        for o in res["outputs"]:
            full = os.path.join(out, o["path"])
            if o["kind"] == "mp4":
                v = [s for s in streams(full)["streams"] if s["codec_type"] == "video"][0]
                check(v["codec_name"] == codec, f"{full}: {v['codec_name']}")
                if codec == "hevc":
                    check(v["codec_tag_string"] == "hvc1", f"{full}: tag {v['codec_tag_string']}")
                check((v["width"], v["height"]) == (expected_width(src, o["height"]), o["height"]), f"{full}: size")
                check(count_packets(full, v["index"]) == res["input_frames"], f"{full}: frame count")
                d = stream_duration(full, v)
                check(abs(d - src_dur) <= max(2 * frame, 0.05), f"{full}: duration {d:.3f} vs {src_dur:.3f}")
                keys = key_is_idr(full, codec)
            elif o["kind"] == "hls" and o["rendition"] != "audio":
                if codec == "hevc":
                    init = os.path.join(os.path.dirname(full), "init.mp4")
                    check(ffprobe(init, "-show_streams")["streams"][0]["codec_tag_string"] == "hvc1", init)
                segs.append(check_keyframes(os.path.join(out, f"{o['rendition']}.mp4"), full))
        check(all(s == segs[0] for s in segs), "renditions cut segments differently")
        print(f"{codec}: {len(mp4s)} renditions = {nv['sessions']} NVENC sessions, decode {nv['decode']}, "
              f"{res['input_frames']} frames, {len(segs[0])} segments, {keys} IDR, {res['wall_seconds']:.2f} s")
        return res


def case_ladder_h264():
    ladder("h264", LADDER_SOURCE, [360, 240])


def case_ladder_hevc():
    ladder("hevc", LADDER_SOURCE, [360, 240])


def case_sessions():
    ladder("h264", "mov_h264_pcm_1080p50.mov", [1080, 720, 480, 360])


def case_allgpu_interlaced():
    """MPEG-2 480i on NVDEC, yadif_cuda + scale_cuda: CUDA frames end to end, one output
    frame per input frame."""
    ladder("h264", "mkv_mpeg2_480i_tff_ac3.mkv", [480, 240])


def case_allgpu_hevc10_rotated():
    """HEVC Main10 HLG phone video (rotation 90): NVDEC p010, scale_cuda keeps p010, the
    scaled picture is tone-mapped and rotated on the CPU and uploaded once; output upright."""
    ladder("hevc", "mov_hevc10_dovi_iphone_rot90.mov", [720, 360])


def case_upload_av1_hdr():
    """AV1 goes to libdav1d (libavcodec's native AV1 decoder has no CPU fallback if the
    GPU refuses): CPU decode, tone-map, one upload per rendition frame."""
    ladder("h264", "mp4_av1_hdr10_aac_720x1280.mp4", [640, 320], decode="cpu", note="libdav1d")


def case_upload_h264_422():
    """H.264 4:2:2 is offered no CUDA format by libavcodec (NVDEC has no 4:2:2 H.264):
    get_format falls back to the CPU, the refusal is reported, the frames are uploaded."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "h264_422.mp4")
        r = run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                 "testsrc2=size=640x360:rate=25:duration=4", "-c:v", "libx264", "-pix_fmt", "yuv422p",
                 "-preset", "ultrafast", src])
        check(r.returncode == 0, f"making the 4:2:2 source: {r.stderr}")
        ladder("h264", src, [360, 180], decode="cpu", note="NVDEC cannot decode this h264 stream")


def case_quality():
    path = media(LADDER_SOURCE)
    for codec, cpu in (("h264", "x264"), ("hevc", "x265")):
        got = {}
        for backend in ("nvenc", cpu):
            with tempfile.TemporaryDirectory() as out:
                r = encode(path, out, "--backend", backend, "--codec", codec, "--ladder", "360", "--crf", "23",
                           "--preset", "medium", "--format", "mp4", "--audio", "none", "--gop", str(GOP))
                check(r.returncode == 0, f"{backend}: {r.stderr}")
                mp4 = os.path.join(out, "360p.mp4")
                p, s = psnr_ssim(mp4, path)
                got[backend] = (p, s, os.path.getsize(mp4), json.loads(r.stdout)["wall_seconds"])
        for b, (p, s, size, wall) in got.items():
            print(f"{codec} {b}: PSNR {p:.2f} dB SSIM {s:.4f} {size / 1e3:.0f} kB {wall:.2f} s")
        p, s, _, _ = got["nvenc"]
        check(p >= 34 and s >= 0.93, f"{codec} nvenc: PSNR {p:.2f} dB SSIM {s:.4f} below the floor")


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}

if __name__ == "__main__":
    main(CASES[sys.argv[1]])
