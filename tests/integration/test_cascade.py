"""Cascaded scaling: a rung at most half as tall as another is scaled from
that rung's frames (deinterlaced, tone-mapped, upright) instead of from the
source. Against
`encode --no-cascade` (every rung from the source), with one thread so both
encodes are deterministic:

- every rendition of both encodes has the same frames, timestamps and
  keyframes, and the same HLS segments;
- the rung scaled from the source is byte-identical in both (determinism),
  the cascaded rungs are not (the cascade was really taken);
- on a plain progressive source, the cascaded rungs' PSNR against the
  source scaled in one step stays within 0.5 dB of the rungs scaled from
  the source (at the same CRF; the cascade spends fewer bits), and they do
  not spend more bits.

The ladder is listed out of order on purpose: feeds must not depend on it.
On a 1080p source, 720/480/360 must cascade 360p (from 720p) and nothing
else: 720p -> 480p is closer than 2:1.

usage: test_cascade.py FILE_NAME   (a file in $MEDIA_DIR)
"""
import hashlib
import json
import os
import sys
import tempfile

from mediacheck import MEDIA_DIR, SkipTest, check, encode, main, playlist_segments, video_packets
from test_quality import psnr_ssim

LADDER = "180,360,90"     # 360 from the source, 180 and 90 from 360
LADDERS = {"ts_mpeg2_mp2_1080p.ts": ("720,480,360", ["360p"])}   # ladder, rungs cascaded
PSNR_SOURCE = "mkv_h264_ac3_srt_1080x720.mkv"


def video_md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def run_mode(source, out, ladder, *extra):
    r = encode(source, out, "--ladder", ladder, "--preset", "ultrafast", "--format", "both",
               "--gop", "1", "--threads", "1", "--audio", "aac", *extra)
    check(r.returncode == 0, f"encode {' '.join(extra)} failed: {r.stderr.strip()}")
    res = json.loads(r.stdout)
    mp4 = {o["rendition"]: (os.path.join(out, o["path"]), o["width"], o["height"])
           for o in res["outputs"] if o["kind"] == "mp4"}
    hls = {o["rendition"]: playlist_segments(os.path.join(out, o["path"]))
           for o in res["outputs"] if o["kind"] == "hls" and o["rendition"] != "audio"}
    return res, mp4, hls


def test(name):
    source = os.path.join(MEDIA_DIR, name)
    if not os.path.exists(source):
        raise SkipTest(f"{source} not found")
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        ladder, want = LADDERS.get(name, (LADDER, None))
        res_c, mp4_c, hls_c = run_mode(source, a, ladder)
        res_s, mp4_s, hls_s = run_mode(source, b, ladder, "--no-cascade")
        check(res_c["input_frames"] == res_s["input_frames"], "decoded frame counts differ")
        check(sorted(mp4_c) == sorted(mp4_s) and len(mp4_c) >= 2, f"renditions {sorted(mp4_c)} vs {sorted(mp4_s)}")
        ref = video_packets(mp4_s[sorted(mp4_s)[0]][0])
        check(len(ref) == res_s["input_frames"], f"{len(ref)} frames encoded, {res_s['input_frames']} decoded")
        for rend in mp4_c:
            for mode, (path, _, _) in (("cascade", mp4_c[rend]), ("no-cascade", mp4_s[rend])):
                pk = video_packets(path)
                check(pk == ref, f"{rend} ({mode}): frames, timestamps or keyframes differ from the others")
            check(hls_c[rend] == hls_s[rend] == hls_s[sorted(hls_s)[0]], f"{rend}: HLS segments differ")
        by_height = sorted(mp4_c, key=lambda r: -mp4_c[r][2])
        top, rest = by_height[0], by_height[1:]
        check(video_md5(mp4_c[top][0]) == video_md5(mp4_s[top][0]),
              f"{top}: scaled from the source in both modes, yet the outputs differ (not deterministic?)")
        cascaded = [r for r in rest if video_md5(mp4_c[r][0]) != video_md5(mp4_s[r][0])]
        check(cascaded == (want or rest), f"cascaded (differ from --no-cascade): {cascaded}, "
              f"want {want or rest}")
        if name == PSNR_SOURCE:
            for r in cascaded:
                path_c, w, h = mp4_c[r]
                p_c, s_c = psnr_ssim(path_c, source, w, h)
                p_s, s_s = psnr_ssim(mp4_s[r][0], source, w, h)
                b_c, b_s = os.path.getsize(path_c), os.path.getsize(mp4_s[r][0])
                print(f"{r}: cascade PSNR {p_c:.3f} dB SSIM {s_c:.5f} {b_c} B | "
                      f"from source {p_s:.3f} dB SSIM {s_s:.5f} {b_s} B")
                check(p_c >= p_s - 0.5, f"{r}: cascade loses {p_s - p_c:.3f} dB PSNR")
                check(b_c <= b_s * 1.01, f"{r}: cascade spends {b_c / b_s - 1:+.1%} bits")
        print(f"{name}: {len(ref)} frames, rungs {by_height}, cascaded {cascaded}")


if __name__ == "__main__":
    main(lambda: test(sys.argv[1]))
