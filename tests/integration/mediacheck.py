"""Helpers for the integration tests: run mpegflow and ffprobe, check outputs.

Everything here asks ffprobe/ffmpeg (the real tools) about the files; nothing
is taken from mpegflow's own report except which source stream it used.
"""
import json
import math
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


def shown_packets(path, stream_index):
    """[(pts_time or None, duration_time or None)] of the packets a player shows:
    packets flagged D (discarded by an edit list) are left out."""
    info = ffprobe(path, "-select_streams", str(stream_index),
                   "-show_entries", "packet=pts_time,duration_time,flags")
    def num(v):
        return None if v in (None, "N/A") else float(v)
    return [(num(p.get("pts_time")), num(p.get("duration_time")))
            for p in info["packets"] if "D" not in p["flags"]]


def count_packets(path, stream_index):
    return len(shown_packets(path, stream_index))


def stream_duration(path, stream, fallback_fps=25.0):
    """Span of a stream's shown packets plus the last one's duration; for
    streams without timestamps (raw .264), frames / frame rate."""
    pk = shown_packets(path, stream["index"])
    pts = sorted(p for p, _ in pk if p is not None)
    fr = stream.get("avg_frame_rate", "0/0").split("/")
    fps = int(fr[0]) / int(fr[1]) if fr[1] != "0" and fr[0] != "0" else fallback_fps
    if len(pts) < len(pk) or not pts:
        return len(pk) / fps
    last = max(pk, key=lambda p: p[0] if p[0] is not None else -1)
    return pts[-1] - pts[0] + (last[1] or 1 / fps)


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
    # nearest even number, exact halves up (src/ladder.c's rule)
    return max(2, int(math.floor(height * dw / dh / 2.0 + 0.5)) * 2)


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
    # -y: tests encode again into the same folder (the refusal has its own test)
    return run([MPEGFLOW, "encode", inp, "-o", outdir, "--json", "-y", *extra])


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
