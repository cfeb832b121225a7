"""Splices: clips joined so that their timestamps overlap, leave a gap, jump
back or wrap (MPEG-TS's 33 bits) must encode, with timestamps that only move
forward, the expected length, and audio in sync with video within a frame.

Each clip is made here with ffmpeg lavfi: clip A is dark with a 440 Hz tone,
clip B bright with a 1000 Hz tone, both starting together. In the output the
first bright frame and the first 1000 Hz audio must come at the same time,
where the splice says B begins.

usage: test_splice.py CASE
"""
import array
import json
import os
import subprocess
import sys
import tempfile

from mediacheck import SkipTest, check, encode, ffprobe, main, run

FPS = 25
CLIP_S = 2.0
FRAME = 1 / FPS
WRAP_S = 2 ** 33 / 90000
TS_DELAY = 1.4   # ffmpeg's mpegts muxer starts its timestamps 1.4 s in


def clip(path, bright, offset, fmt="mpegts", tracks=1):
    color, freq = ("0xe0e0e0", 1000) if bright else ("0x202020", 440)
    args = ["ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"color=c={color}:s=160x120:r={FPS}:d={CLIP_S}"]
    for _ in range(tracks):
        args += ["-f", "lavfi", "-i", f"sine=f={freq}:r=48000:d={CLIP_S}"]
    for i in range(tracks + 1 if tracks > 1 else 0):
        args += ["-map", str(i)]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-g", str(FPS), "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k", "-output_ts_offset", f"{offset:.6f}", "-f", fmt, path]
    r = run(args, timeout=60)
    check(r.returncode == 0, f"ffmpeg: {r.stderr.strip()}")
    return path


def join_ts(tmp, b_offset, a_offset=0.0, tracks=1):
    """A then B, bytes appended as a broadcast splice does; B's clock at b_offset."""
    a = clip(os.path.join(tmp, "a.ts"), False, a_offset, tracks=tracks)
    b = clip(os.path.join(tmp, "b.ts"), True, b_offset, tracks=tracks)
    out = os.path.join(tmp, "joined.ts")
    with open(out, "wb") as f:
        for p in (a, b):
            with open(p, "rb") as g:
                f.write(g.read())
    return out


def remux_mp4(src, tmp):
    """The ffmpeg CLI's stream copy into MP4: it bumps overlapping DTS by one
    tick, which leaves audio packets that last 1 sample (issue 16 item 12)."""
    out = os.path.join(tmp, "joined.mp4")
    r = run(["ffmpeg", "-v", "error", "-y", "-i", src, "-c", "copy", out], timeout=60)
    check(r.returncode == 0, f"ffmpeg remux: {r.stderr.strip()}")
    return out


def dts_list(path, sel):
    info = ffprobe(path, "-select_streams", sel, "-show_entries", "packet=dts_time,duration_time")
    return [float(p["dts_time"]) for p in info["packets"] if p.get("dts_time") not in (None, "N/A")]


def video_switch(path):
    """pts of the first bright frame, and the last frame's pts."""
    r = run(["ffprobe", "-v", "error", "-f", "lavfi", "-i", f"movie={path},signalstats",
             "-show_entries", "frame=pts_time:frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0"])
    check(r.returncode == 0, f"ffprobe signalstats: {r.stderr.strip()}")
    rows = [tuple(float(x) for x in line.split(",")[:2]) for line in r.stdout.split() if "," in line]
    check(rows, "no video frames decoded")
    bright = [t for t, y in rows if y > 128]
    return (bright[0] if bright else None), rows[-1][0]


def audio_switch(path, stream="0:a:0"):
    """Start of the first 10 ms window at 1000 Hz (zero crossings), and the
    audio length; silence (a filled gap) and 440 Hz stay below."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-map", stream, "-ac", "1", "-ar", "48000",
                        "-f", "s16le", "-"], capture_output=True, timeout=60)
    check(r.returncode == 0, f"ffmpeg audio decode: {r.stderr.decode().strip()}")
    s = array.array("h", r.stdout)
    win, run_of = 480, 0
    for i in range(0, len(s) - win, win):
        w = s[i:i + win]
        zc = sum(1 for k in range(1, win) if (w[k - 1] < 0) != (w[k] < 0) and abs(w[k] - w[k - 1]) > 200)
        # between 2*440 and 2*1000 crossings a second, for 30 ms (not a click at a cut)
        run_of = run_of + 1 if zc / win > (440 + 1000) / 48000 else 0
        if run_of == 3:
            return (i - 2 * win) / 48000, len(s) / 48000
    return None, len(s) / 48000


def encode_and_check(src, tmp, want_duration, b_start, *extra, fmt="mp4", audio=True):
    out = os.path.join(tmp, "out")
    r = encode(src, out, "--ladder", "120", "--format", fmt, *extra)
    check(r.returncode == 0, f"encode failed ({r.returncode}): {r.stderr.strip()}")
    res = json.loads(r.stdout)
    mp4 = os.path.join(out, "120p.mp4")
    for sel in ("v:0", "a:0") if audio else ("v:0",):
        d = dts_list(mp4, sel)
        check(len(d) > 10, f"{sel}: only {len(d)} packets")
        bad = [(x, y) for x, y in zip(d, d[1:]) if y <= x]
        check(not bad, f"{sel}: DTS not increasing at {bad[:3]}")
    vs, v_last = video_switch(mp4)
    v_dur = v_last + FRAME
    check(abs(v_dur - want_duration) <= 2 * FRAME,
          f"video lasts {v_dur:.3f} s, want {want_duration:.3f} s")
    if not audio:
        check(b_start is None or abs(vs - b_start) <= FRAME + 0.001, f"clip B's video starts at {vs}")
    else:
        as_, a_dur = audio_switch(mp4)
        check(abs(a_dur - v_dur) <= FRAME + 0.03, f"audio lasts {a_dur:.3f} s, video {v_dur:.3f} s")
    if b_start is not None and audio:
        check(vs is not None and as_ is not None, f"clip B not found: video {vs}, audio {as_}")
        print(f"B starts: video {vs:.3f} s, audio {as_:.3f} s, want {b_start:.3f} s")
        check(abs(vs - b_start) <= FRAME + 0.001, f"clip B's video starts at {vs:.3f} s, want {b_start:.3f}")
        # Within a frame, and the 10 ms the audio is looked at in.
        check(abs(as_ - vs) <= FRAME + 0.011, f"A/V out of sync after the splice: video {vs:.3f} s, audio {as_:.3f} s")
    tl = res.get("timeline")
    check(tl is not None, "result.json has no timeline report")
    print("timeline:", json.dumps(tl))
    return tl


# The first video frame is the origin: A's video starts at TS_DELAY (+ the
# AAC priming shift ffmpeg applies to both streams, the same for A and B).

def case_overlap_ts(tmp):
    # B begins one frame (40 ms: one video frame, ~2 AAC packets) before A ends.
    src = join_ts(tmp, CLIP_S - FRAME)
    tl = encode_and_check(src, tmp, 2 * CLIP_S - FRAME, CLIP_S)
    check(tl["video_frames_dropped"] >= 1, "no overlapping video frame dropped")
    check(tl["audio_overlaps_trimmed"] >= 1 and tl["audio_trimmed_s"] >= FRAME - 0.005,
          f"audio overlap not trimmed: {tl}")


def case_overlap_mp4(tmp):
    src = remux_mp4(join_ts(tmp, CLIP_S - FRAME), tmp)
    tl = encode_and_check(src, tmp, 2 * CLIP_S - FRAME, CLIP_S)
    check(tl["audio_overlaps_trimmed"] >= 1, f"audio overlap not trimmed: {tl}")


def case_overlap_audio_copy(tmp):
    # Copied AAC packets cannot be cut: overlapping ones are dropped.
    src = join_ts(tmp, CLIP_S - FRAME)
    tl = encode_and_check(src, tmp, 2 * CLIP_S - FRAME, None, "--audio", "copy")
    check(tl["audio_overlaps_trimmed"] >= 1, f"audio overlap not trimmed: {tl}")


def case_loop_mp4(tmp):
    # The repro: an MP4 joined to itself by stream copy.
    a = clip(os.path.join(tmp, "a.mp4"), False, 0, fmt="mp4")
    src = os.path.join(tmp, "looped.mp4")
    r = run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "1", "-i", a, "-c", "copy", src], timeout=60)
    check(r.returncode == 0, r.stderr)
    encode_and_check(src, tmp, 2 * CLIP_S, None, fmt="both")
    for p in ("hls/master.m3u8", "hls/120p/index.m3u8", "hls/audio/index.m3u8"):
        check(os.path.exists(os.path.join(tmp, "out", p)), f"{p} missing")


def case_gap_ts(tmp):
    src = join_ts(tmp, CLIP_S + 1.0)
    tl = encode_and_check(src, tmp, 2 * CLIP_S + 1.0, CLIP_S + 1.0)
    check(tl["audio_gaps_filled"] >= 1 and abs(tl["audio_gaps_filled_s"] - 1.0) < 0.1,
          f"1 s audio gap not filled: {tl}")
    check(tl["video_gaps_held"] == 1 and abs(tl["video_gaps_held_s"] - 1.0) < 0.1, f"video gap: {tl}")


def case_gap_mp4(tmp):
    src = remux_mp4(join_ts(tmp, CLIP_S + 1.0), tmp)
    tl = encode_and_check(src, tmp, 2 * CLIP_S + 1.0, CLIP_S + 1.0)
    check(tl["audio_gaps_filled"] >= 1 and abs(tl["audio_gaps_filled_s"] - 1.0) < 0.1,
          f"1 s audio gap not filled: {tl}")


def case_backward_ts(tmp):
    # B's clock restarts where A's began: continued where A ended, in sync.
    src = join_ts(tmp, 0.0)
    tl = encode_and_check(src, tmp, 2 * CLIP_S, CLIP_S)
    check(tl["discontinuities"] == 1, f"want one discontinuity: {tl}")


def case_backward_ts_2audio(tmp):
    # The same with two audio tracks kept (audio.tracks "all"): the second
    # one is re-based with the first and stays in sync with the video.
    src = join_ts(tmp, 0.0, tracks=2)
    tl = encode_and_check(src, tmp, 2 * CLIP_S, CLIP_S, "--audio-tracks", "all")
    check(tl["discontinuities"] == 1, f"want one discontinuity: {tl}")
    mp4 = os.path.join(tmp, "out", "120p.mp4")
    vs, _ = video_switch(mp4)
    starts = [audio_switch(mp4, f"0:a:{k}") for k in (0, 1)]
    print(f"B starts: video {vs:.3f} s, audio tracks {[round(a, 3) for a, _ in starts]}")
    for k, (as_, a_dur) in enumerate(starts):
        check(as_ is not None and abs(as_ - vs) <= FRAME + 0.011,
              f"audio track {k} out of sync after the splice: video {vs:.3f} s, audio {as_}")
        check(abs(a_dur - starts[0][1]) <= 0.03, f"audio track {k} lasts {a_dur:.3f} s, track 0 {starts[0][1]:.3f} s")


def case_backward_video_only(tmp):
    # The same with the video alone (audio "none"): re-based on its own.
    src = join_ts(tmp, 0.0)
    tl = encode_and_check(src, tmp, 2 * CLIP_S, CLIP_S, "--audio", "none", audio=False)
    check(tl["discontinuities"] == 1, f"want one discontinuity: {tl}")


def case_wrap_ts(tmp):
    # A's clock passes 2^33 ticks a second in; B follows on after the wrap.
    a0 = WRAP_S - TS_DELAY - 1.0
    src = join_ts(tmp, a0 + CLIP_S, a_offset=a0)
    tl = encode_and_check(src, tmp, 2 * CLIP_S, CLIP_S)
    check(tl["discontinuities"] == 0, f"a wrap is no discontinuity: {tl}")


def case_wrap_jump_ts(tmp):
    # A ends just before the wrap; B's clock restarts at 20 s: past the wrap
    # that is 20 s on, more than a TS jump may be: one discontinuity.
    a0 = WRAP_S - TS_DELAY - CLIP_S - 0.5
    src = join_ts(tmp, 20.0, a_offset=a0)
    tl = encode_and_check(src, tmp, 2 * CLIP_S, CLIP_S)
    check(tl["discontinuities"] == 1, f"want one discontinuity: {tl}")


def case_audio_dropout_ts(tmp):
    # Audio stops for 12 s while the video goes on (more than a TS jump may
    # be, but not past the video): a gap, filled, no discontinuity.
    src = os.path.join(tmp, "dropout.ts")
    r = run(["ffmpeg", "-v", "error", "-y",
             "-f", "lavfi", "-i", f"color=c=0x202020:s=160x120:r={FPS}:d=13[a];"
                                  f"color=c=0xe0e0e0:s=160x120:r={FPS}:d=1[b];[a][b]concat",
             "-f", "lavfi", "-i", "aevalsrc=sin(2*PI*if(lt(t\\,13)\\,440\\,1000)*t):s=48000:d=14,"
                                  "aselect=not(between(t\\,1\\,13))",
             "-c:v", "libx264", "-preset", "ultrafast", "-g", str(FPS), "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "64k", "-f", "mpegts", src], timeout=60)
    check(r.returncode == 0, f"ffmpeg: {r.stderr.strip()}")
    tl = encode_and_check(src, tmp, 14.0, 13.0)
    check(tl["discontinuities"] == 0, f"a dropout is no discontinuity: {tl}")
    check(tl["audio_gaps_filled"] >= 1 and abs(tl["audio_gaps_filled_s"] - 12) < 0.1, f"gap: {tl}")


def run_case(name):
    fn = globals().get("case_" + name)
    check(fn is not None, f"unknown case {name}")
    r = run(["ffmpeg", "-v", "error", "-hide_banner", "-encoders"])
    if r.returncode != 0 or "libx264" not in r.stdout:
        raise SkipTest("ffmpeg with libx264 not found")
    with tempfile.TemporaryDirectory() as tmp:
        fn(tmp)


if __name__ == "__main__":
    main(lambda: run_case(sys.argv[1]))
