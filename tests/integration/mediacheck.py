"""Helpers for the integration tests: run mpegflow and ffprobe, check outputs.

Everything here asks ffprobe/ffmpeg (the real tools) about the files; nothing
is taken from mpegflow's own report except which source stream it used.
"""
import json
import os
import subprocess
import sys
import tempfile

MPEGFLOW = os.environ.get("MPEGFLOW", "mpegflow")
MEDIA_DIR = os.environ.get("MEDIA_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "media"))


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(args, timeout=600, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def ffprobe(path, *args):
    r = run(["ffprobe", "-v", "error", "-of", "json", *args, path])
    if r.returncode != 0:
        raise Failure(f"ffprobe {path}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def streams(path):
    return ffprobe(path, "-show_streams", "-show_format")


def count_packets(path, stream_index):
    info = ffprobe(path, "-count_packets", "-select_streams", str(stream_index),
                   "-show_entries", "stream=nb_read_packets")
    return int(info["streams"][0]["nb_read_packets"])


def video_packets(path):
    """[(pts_time, is_key)] of the first video stream, in presentation order."""
    info = ffprobe(path, "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags")
    pk = [(float(p["pts_time"]), "K" in p["flags"]) for p in info["packets"] if p.get("pts_time") not in (None, "N/A")]
    return sorted(pk)


def rotation(stream):
    for sd in stream.get("side_data_list", []):
        if "rotation" in sd:
            return int(sd["rotation"])
    return int(stream.get("tags", {}).get("rotate", 0))


def display_size(stream):
    """Display width/height: SAR applied to the width, then rotation."""
    w, h = stream["width"], stream["height"]
    sar = stream.get("sample_aspect_ratio", "1:1")
    num, den = (int(x) for x in sar.split(":")) if ":" in sar else (1, 1)
    if num > 0 and den > 0:
        w = w * num / den
    if abs(rotation(stream)) % 180 == 90:
        w, h = h, w
    return w, h


def expected_width(stream, height):
    dw, dh = display_size(stream)
    return max(2, int(round(height * dw / dh / 2.0)) * 2)


def playlist_segments(path):
    """[(duration, uri)] of an HLS media playlist."""
    segs, dur = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#EXTINF:"):
                dur = float(line[8:].split(",")[0])
            elif line and not line.startswith("#") and dur is not None:
                segs.append((dur, line))
                dur = None
    return segs


def segment_starts_with_key(playlist, seg_uri):
    d = os.path.dirname(playlist)
    with tempfile.NamedTemporaryFile(suffix=".mp4") as t:
        for part in ("init.mp4", seg_uri):
            with open(os.path.join(d, part), "rb") as f:
                t.write(f.read())
        t.flush()
        pk = ffprobe(t.name, "-select_streams", "v:0", "-read_intervals", "%+#1",
                     "-show_entries", "packet=flags")["packets"]
        return bool(pk) and "K" in pk[0]["flags"]


def encode(inp, outdir, *extra):
    return run([MPEGFLOW, "encode", inp, "-o", outdir, "--json", *extra])


def main(fn):
    """Run fn(); print PASS/FAIL; exit 0/1 (77 = skip, meson's convention)."""
    try:
        fn()
    except Failure as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    except SkipTest as e:
        print(f"SKIP: {e}")
        sys.exit(77)
    print("PASS")


class SkipTest(Exception):
    pass
