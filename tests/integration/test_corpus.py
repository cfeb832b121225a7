"""Encode one sample from ../shared/media to a 2-rung ladder, MP4 and HLS,
and check every output with ffprobe against the source.

usage: test_corpus.py FILE_NAME   (a file in $MEDIA_DIR)
"""
import json
import os
import sys
import tempfile

from mediacheck import (MEDIA_DIR, Failure, SkipTest, check, count_packets, encode, expected_width,
                        main, playlist_segments, segment_starts_with_key, stream_duration, streams,
                        video_packets)

LADDER = [240, 120]
GOP = 2.0


def source_info(path):
    info = streams(path)
    video = [s for s in info["streams"] if s["codec_type"] == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    return info, video, audio


def check_failure(name, r, video):
    """Files without video must fail with one line naming the file and cause."""
    check(not video, f"unexpected failure (exit {r.returncode}): {r.stderr.strip()}")
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 1, f"exit code {r.returncode}, want 1")
    check(len(lines) == 1, f"want one error line, got {lines}")
    check(name in lines[0] and "no video stream" in lines[0], f"unclear message: {lines[0]}")


def check_mp4(path, src, src_frames, has_audio, height):
    info = streams(path)
    v = [s for s in info["streams"] if s["codec_type"] == "video"]
    a = [s for s in info["streams"] if s["codec_type"] == "audio"]
    check(len(v) == 1 and v[0]["codec_name"] == "h264", f"{path}: want one h264 stream, got {v}")
    want_w = expected_width(src, height)
    check((v[0]["width"], v[0]["height"]) == (want_w, height),
          f"{path}: {v[0]['width']}x{v[0]['height']}, want {want_w}x{height}")
    check(v[0].get("pix_fmt") == "yuv420p", f"{path}: pix_fmt {v[0].get('pix_fmt')}")
    frames = count_packets(path, v[0]["index"])
    check(frames == src_frames, f"{path}: {frames} frames, source has {src_frames}")
    check(bool(a) == has_audio, f"{path}: audio streams {len(a)}, source has audio: {has_audio}")
    if a:
        check(a[0]["codec_name"] == "aac" and int(a[0]["sample_rate"]) == 48000 and a[0]["channels"] == 2,
              f"{path}: audio {a[0]['codec_name']} {a[0]['sample_rate']} Hz {a[0]['channels']} ch")
    with open(path, "rb") as f:   # moov before mdat: progressive playback
        head = f.read(1 << 16)
    check(head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat")),
          f"{path}: moov is not before mdat")
    return float(v[0]["duration"])


def check_keyframes(mp4, playlist):
    """Every HLS segment boundary is a keyframe in the MP4 and starts its segment."""
    keys = [t for t, k in video_packets(mp4) if k]
    segs = playlist_segments(playlist)
    check(segs, f"{playlist}: no segments")
    t0 = video_packets(mp4)[0][0]
    t = t0
    for i, (dur, uri) in enumerate(segs):
        check(any(abs(k - t) < 0.02 for k in keys), f"{playlist}: segment {i} starts at {t:.3f} s, no keyframe there")
        if i in (0, len(segs) // 2, len(segs) - 1):
            check(segment_starts_with_key(playlist, uri), f"{playlist}: {uri} does not start with a keyframe")
        if i < len(segs) - 1:
            check(dur <= GOP * 1.5 + 0.1 or len(keys) <= len(segs), f"{playlist}: segment {i} lasts {dur} s")
        t += dur
    return [d for d, _ in segs]


def run_one(name):
    path = os.path.join(MEDIA_DIR, name)
    if not os.path.exists(path):
        raise SkipTest(f"{path} not found")
    info, video, audio = source_info(path)
    with tempfile.TemporaryDirectory() as out:
        r = encode(path, out, "--ladder", ",".join(map(str, LADDER)), "--preset", "ultrafast",
                   "--format", "both", "--gop", str(GOP))
        if r.returncode != 0:
            check_failure(name, r, video)
            check(not os.listdir(out), f"partial outputs left behind: {os.listdir(out)}")
            return
        check(video, "a file without video was accepted")
        res = json.loads(r.stdout)
        src = info["streams"][res["source"]["video_stream"]]
        src_frames = count_packets(path, src["index"])
        check(res["input_frames"] + res["frames_dropped"] == src_frames,
              f"decoded {res['input_frames']} + dropped {res['frames_dropped']} frames, source has {src_frames} packets")
        has_audio = bool(audio)
        heights = [o["height"] for o in res["outputs"] if o["kind"] == "mp4"]
        skipped = [s["rendition"] for s in res["skipped"]]
        check(heights, "no MP4 output")
        durations, seg_lists, packet_lists = [], [], []
        for o in res["outputs"]:
            full = os.path.join(out, o["path"])
            check(os.path.exists(full), f"{o['path']} listed but missing")
            if o["kind"] == "mp4":
                durations.append(check_mp4(full, src, res["input_frames"], has_audio, o["height"]))
                packet_lists.append(video_packets(full))
            elif o["kind"] == "hls" and o["rendition"] != "audio":
                seg_lists.append(check_keyframes(os.path.join(out, f"{o['rendition']}.mp4"), full))
        check(all(s == seg_lists[0] for s in seg_lists), f"renditions cut segments differently: {seg_lists}")
        # The smaller rung is scaled from the larger one's frames (cascade):
        # every frame must keep its timestamp and keyframe decision.
        for pl in packet_lists[1:]:
            diff = next((i for i, (a, b) in enumerate(zip(pl, packet_lists[0])) if a != b), None)
            check(len(pl) == len(packet_lists[0]) and diff is None,
                  f"renditions differ in frame timestamps or keyframes (first at frame {diff})")
        master = os.path.join(out, "hls", "master.m3u8")
        minfo = streams(master)
        kinds = sorted({s["codec_type"] for s in minfo["streams"]})
        check(kinds == (["audio", "video"] if has_audio else ["video"]), f"master playlist streams {kinds}")
        with open(master) as f:
            text = f.read()
        check(text.count("#EXT-X-STREAM-INF:") == len(heights), "master: wrong variant count")
        for attr in ("BANDWIDTH=", "AVERAGE-BANDWIDTH=", "RESOLUTION=", "CODECS=\"avc1.", "FRAME-RATE="):
            check(attr in text, f"master: no {attr}")
        check(("AUDIO=\"audio\"" in text) == has_audio, "master: audio group iff source audio")
        # Duration of the encode against the source's video: within two frames.
        src_dur = stream_duration(path, src)
        frame = src_dur / max(1, src_frames)
        for d in durations:
            check(abs(d - src_dur) <= max(2 * frame, 0.05), f"duration {d:.3f} s, source video {src_dur:.3f} s")
        print(f"{name}: {len(heights)} renditions {heights}, skipped {skipped}, "
              f"{res['input_frames']} frames, audio={has_audio}, segments={len(seg_lists[0])}")


if __name__ == "__main__":
    main(lambda: run_one(sys.argv[1]))
