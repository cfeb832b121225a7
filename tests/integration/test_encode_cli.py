"""mpegflow encode's command line (issue 11): refusals, -y, progress forms, --json fields.

    test_encode_cli.py CASE
"""
import glob
import json
import os
import sys
import tempfile

from mediacheck import MEDIA_DIR, MPEGFLOW, check, main, run

SAMPLE = os.path.join(MEDIA_DIR, "mkv_h264_ac3_srt_1080x720.mkv")      # 1 s, AC-3 audio
VORBIS = os.path.join(MEDIA_DIR, "webm_vp9_vorbis51_960x540p60.webm")


def encode(out, *extra, src=SAMPLE):
    return run([MPEGFLOW, "encode", src, "-o", out, "--preset", "ultrafast", *extra], timeout=120)


def crf_and_bitrate(tmp):
    r = encode(os.path.join(tmp, "o"), "--crf", "20", "--bitrate", "1000k")
    check(r.returncode == 2, f"exit {r.returncode}, want 2")
    check("--crf and --bitrate" in r.stderr, f"message: {r.stderr.strip()}")
    check(not os.path.exists(os.path.join(tmp, "o")), "an output folder was made")


def did_you_mean(tmp):
    r = encode(os.path.join(tmp, "o"), "--lader", "240")
    check(r.returncode == 2, f"exit {r.returncode}")
    check("did you mean --ladder?" in r.stderr, f"message: {r.stderr.strip()}")
    check("usage:" not in r.stderr, "printed the whole usage")


def overwrite(tmp):
    out = os.path.join(tmp, "o")
    r = encode(out, "--ladder", "240,144")
    check(r.returncode == 0, f"first run: {r.stderr.strip()}")
    r = encode(out, "--ladder", "144")
    check(r.returncode == 2 and "-y/--overwrite" in r.stderr, f"second run without -y: exit {r.returncode}: {r.stderr.strip()}")
    check(os.path.exists(os.path.join(out, "240p.mp4")), "the refused run removed outputs")
    r = encode(out, "--ladder", "144", "-y")
    check(r.returncode == 0, f"-y run: {r.stderr.strip()}")
    left = sorted(os.path.relpath(p, out) for p in glob.glob(os.path.join(out, "**"), recursive=True))
    check("240p.mp4" not in left and "hls/240p" not in left, f"the earlier run's 240p stayed: {left}")
    with open(os.path.join(out, "hls", "master.m3u8")) as f:
        check("240p" not in f.read(), "master lists 240p")
    # a folder with other files but no earlier run is fine
    other = os.path.join(tmp, "other")
    os.makedirs(other)
    open(os.path.join(other, "notes.txt"), "w").close()
    r = encode(other, "--ladder", "144")
    check(r.returncode == 0, f"folder with an unrelated file: {r.stderr.strip()}")
    check(os.path.exists(os.path.join(other, "notes.txt")), "an unrelated file was removed")


def progress_lines(tmp):
    r = encode(os.path.join(tmp, "o"), "--ladder", "144", "--progress=lines")
    check(r.returncode == 0, r.stderr.strip())
    lines = r.stderr.strip().splitlines()
    check("\r" not in r.stderr, "redraws (\\r) on the line form")
    prog = [l for l in lines if l.startswith("progress=")]
    check(prog and prog[-1].startswith("progress=100.0 "), f"progress lines: {prog}")
    check(lines[-1].startswith("mpegflow encode: wrote 1 MP4 and an HLS master playlist to "), f"summary: {lines[-1]}")
    check("realtime" in lines[-1], lines[-1])


def json_fields(tmp):
    r = encode(os.path.join(tmp, "o"), "--ladder", "144", "--json")
    check(r.returncode == 0, r.stderr.strip())
    check("99999" not in r.stdout and "00000000" not in r.stdout, f"float noise: {r.stdout[:300]}")
    res = json.loads(r.stdout)
    src = res["source"]
    check(src.get("codec") == "h264" and src.get("width") == 1080 and src.get("height") == 720, f"source {src}")
    check(abs(src.get("duration", 0) - 1.234) < 0.01 and src.get("audio_codec") == "ac3", f"source {src}")
    check(res.get("version"), "no version")
    codecs = {(o["rendition"], o["kind"]): o.get("codecs") for o in res["outputs"]}
    video = codecs[("144p", "hls")] or ""
    check(video.startswith("avc1.") and len(video) == 11, f"codecs {codecs}")
    check(codecs[("audio", "hls")] == "mp4a.40.2" and codecs[("144p", "mp4")] == video + ",mp4a.40.2", f"codecs {codecs}")
    with open(os.path.join(tmp, "o", "hls", "master.m3u8")) as f:
        check(f'CODECS="{video},mp4a.40.2"' in f.read(), "master CODECS differ from the outputs'")


def audio_copy(tmp):
    # vorbis: HLS players cannot play it, MP4 cannot carry it for players: refused, naming it
    r = encode(os.path.join(tmp, "a"), "--ladder", "144", "--audio", "copy", "--format", "hls", src=VORBIS)
    check(r.returncode == 1 and "vorbis audio cannot go into HLS" in r.stderr and '"aac"' in r.stderr,
          f"vorbis to HLS: exit {r.returncode}: {r.stderr.strip()}")
    r = encode(os.path.join(tmp, "b"), "--ladder", "144", "--audio", "copy", "--format", "mp4", src=VORBIS)
    check(r.returncode == 1 and "vorbis audio cannot be stored in MP4" in r.stderr, f"vorbis to MP4: {r.stderr.strip()}")
    # AC-3 goes into both
    r = encode(os.path.join(tmp, "c"), "--ladder", "144", "--audio", "copy")
    check(r.returncode == 0, f"ac3 copy: {r.stderr.strip()}")
    with open(os.path.join(tmp, "c", "hls", "master.m3u8")) as f:
        text = f.read()
        check(',ac-3",AUDIO="audio"' in text, f"master CODECS for ac-3: {text}")


CASES = {f.__name__: f for f in (crf_and_bitrate, did_you_mean, overwrite, progress_lines, json_fields, audio_copy)}

if __name__ == "__main__":
    def one():
        with tempfile.TemporaryDirectory() as tmp:
            CASES[sys.argv[1]](tmp)
    main(one)
