"""DASH and trick play over the HLS fMP4 segments (issue 12), through the binary.

    test_dash.py CASE

cmaf: one set of segments, an MPD whose timeline is the fragments' spans (read
here from moof/tfdt/trun, within 1 ms) and the EXTINFs, ffprobe reads the MPD
(streams, sizes, every frame), I-frame playlists whose ranges start at a moof
with a sync first sample, result.json lists them. dash: dash/ only, no
playlists. all: MP4 + HLS + DASH. job: format "cmaf" in a job file. overwrite:
-y after a dash run removes dash/.
"""
import glob
import json
import os
import struct
import sys
import tempfile
import xml.etree.ElementTree as ET

from mediacheck import MEDIA_DIR, MPEGFLOW, check, ffprobe, main, playlist_segments, run

SAMPLE = os.path.join(MEDIA_DIR, "mp4_h264_aac_640x360_17s.mp4")
NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex"}


def boxes(buf, start=0, end=None):
    end = len(buf) if end is None else end
    off = start
    while off + 8 <= end:
        size, typ = struct.unpack(">I4s", buf[off:off + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", buf[off + 8:off + 16])[0]
            hdr = 16
        elif size == 0:
            size = end - off
        if size < hdr:
            return
        yield typ, off, off + hdr, off + size
        off += size


def find(buf, path, start=0, end=None):
    for typ, at, body, stop in boxes(buf, start, end):
        if typ != path[0]:
            continue
        if len(path) == 1:
            yield at, body, stop
        elif typ in CONTAINERS:
            yield from find(buf, path[1:], body, stop)


def timescale(init):
    buf = open(init, "rb").read()
    _, b, _ = next(find(buf, [b"moov", b"trak", b"mdia", b"mdhd"]))
    return struct.unpack(">I", buf[b + (20 if buf[b] == 1 else 12):][:4])[0]


def fragments(path):
    """(earliest pts, latest end, samples, moof offset, first sample sync) of a segment."""
    buf = open(path, "rb").read()
    pts, ends, moof, sync = [], [], None, None
    for at, mb, me in find(buf, [b"moof"]):
        moof = at if moof is None else moof
        for _, tb, te in find(buf, [b"traf"], mb, me):
            _, hb, _ = next(find(buf, [b"tfhd"], tb, te))
            tf = struct.unpack(">I", buf[hb:hb + 4])[0] & 0xFFFFFF
            p, dflt_dur, dflt_flags = hb + 8, 0, 0
            p += 8 if tf & 1 else 0
            p += 4 if tf & 2 else 0
            if tf & 8:
                dflt_dur = struct.unpack(">I", buf[p:p + 4])[0]
                p += 4
            p += 4 if tf & 0x10 else 0
            if tf & 0x20:
                dflt_flags = struct.unpack(">I", buf[p:p + 4])[0]
            _, db, _ = next(find(buf, [b"tfdt"], tb, te))
            dts = struct.unpack(">Q" if buf[db] else ">I", buf[db + 4:db + (12 if buf[db] else 8)])[0]
            for _, rb, _ in find(buf, [b"trun"], tb, te):
                ver, fl, n = buf[rb], struct.unpack(">I", buf[rb:rb + 4])[0] & 0xFFFFFF, struct.unpack(">I", buf[rb + 4:rb + 8])[0]
                q = rb + 8 + (4 if fl & 1 else 0)
                first = None
                if fl & 4:
                    first = struct.unpack(">I", buf[q:q + 4])[0]
                    q += 4
                for k in range(n):
                    dur, flags, cto = dflt_dur, dflt_flags, 0
                    if fl & 0x100:
                        dur = struct.unpack(">I", buf[q:q + 4])[0]; q += 4
                    if fl & 0x200:
                        q += 4
                    if fl & 0x400:
                        flags = struct.unpack(">I", buf[q:q + 4])[0]; q += 4
                    if fl & 0x800:
                        cto = struct.unpack(">i" if ver else ">I", buf[q:q + 4])[0]; q += 4
                    if k == 0 and first is not None:
                        flags = first
                    if sync is None:
                        sync = not (flags & 0x10000)
                    pts.append(dts + cto)
                    ends.append(dts + cto + dur)
                    dts += dur
    return min(pts), max(ends), len(pts), moof, sync


def encode(out, *extra):
    return run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--preset", "ultrafast", "--ladder", "360,240", "-y", *extra],
               timeout=240)


def timeline(rep_or_template):
    tl = rep_or_template.find("d:SegmentTimeline", NS)
    spans, t = [], 0
    for s in tl.findall("d:S", NS):
        if "t" in s.attrib:
            t = int(s.get("t"))
        for _ in range(int(s.get("r", "0")) + 1):
            spans.append((t, int(s.get("d"))))
            t += int(s.get("d"))
    return spans


def check_mpd(root_dir, playlists):
    """The MPD in root_dir against the fragments; playlists: also the EXTINFs."""
    mpd_path = os.path.join(root_dir, "manifest.mpd")
    mpd = ET.parse(mpd_path).getroot()
    check(mpd.get("type") == "static" and mpd.get("profiles") == "urn:mpeg:dash:profile:isoff-live:2011",
          f"MPD type/profile: {mpd.attrib}")
    sets = mpd.findall("d:Period/d:AdaptationSet", NS)
    kinds = [s.get("contentType") for s in sets]
    check(kinds == ["video", "audio"], f"AdaptationSets {kinds}")
    check(all(s.find("d:EssentialProperty", NS) is None for s in sets), "a trick-mode set is written")
    video, audio = sets
    reps = video.findall("d:Representation", NS)
    check([r.get("id") for r in reps] == ["360p", "240p"], f"video Representations {[r.get('id') for r in reps]}")
    check(audio.find("d:Role", NS).get("value") == "main", "audio Role is not main")
    ach = audio.find("d:Representation/d:AudioChannelConfiguration", NS)
    check(ach is not None and ach.get("value") == "2", "AudioChannelConfiguration 2")
    end = 0.0
    for rep in reps + audio.findall("d:Representation", NS):
        rid = rep.get("id")
        tpl = rep.find("d:SegmentTemplate", NS)
        ts = int(tpl.get("timescale"))
        init = os.path.join(root_dir, tpl.get("initialization"))
        check(timescale(init) == ts, f"{rid}: timescale {ts} vs mdhd {timescale(init)}")
        spans = timeline(tpl)
        files = [os.path.join(root_dir, tpl.get("media").replace("$Number%05d$", "%05d" % (int(tpl.get("startNumber")) + i)))
                 for i in range(len(spans))]
        check(all(os.path.exists(f) for f in files), f"{rid}: a segment the MPD names is missing")
        frags = [fragments(f) for f in files]
        worst = 0.0
        for i, (t, d) in enumerate(spans):
            want_end = frags[i + 1][0] if i + 1 < len(frags) else frags[i][1]
            worst = max(worst, abs(t - frags[i][0]) / ts, abs(d - (want_end - frags[i][0])) / ts)
        check(worst <= 0.001, f"{rid}: MPD timeline off the fragments by {worst * 1000:.3f} ms")
        if playlists:
            ext = playlist_segments(os.path.join(root_dir, os.path.dirname(tpl.get("initialization")), "index.m3u8"))
            check(len(ext) == len(spans), f"{rid}: {len(ext)} EXTINF, {len(spans)} S")
            off = max(abs(e - d / ts) for (e, _), (_, d) in zip(ext, spans))
            check(off <= 0.001, f"{rid}: EXTINF and S@d differ by {off * 1000:.3f} ms")
        if rep in reps:
            frames = sum(f[2] for f in frags)
            check(int(rep.get("bandwidth")) > 0 and rep.get("codecs", "").startswith("avc1.") and rep.get("sar") == "1:1"
                  and rep.get("frameRate"), f"{rid}: attributes {rep.attrib}")
            fr = rep.get("frameRate").split("/")
            fps = int(fr[0]) / (int(fr[1]) if len(fr) > 1 else 1)
            dur = sum(d for _, d in spans) / ts
            check(abs(fps - frames / dur) <= 0.001 * fps, f"{rid}: frameRate {fps}, frames/duration {frames / dur:.3f}")
        end = max(end, (spans[-1][0] + spans[-1][1]) / ts)
    mpd_dur = float(mpd.get("mediaPresentationDuration")[2:-1])
    # never short of the last picture's end (players stop there), at most 1 us past it
    check(end - 1e-9 <= mpd_dur <= end + 1e-5, f"mediaPresentationDuration {mpd_dur} vs the tracks' end {end:.7f}")
    # FFmpeg's DASH demuxer reads it: the streams, their sizes and every frame.
    info = ffprobe(mpd_path, "-show_streams")
    got = sorted((s["codec_type"], s.get("width", 0), s.get("height", 0)) for s in info["streams"])
    check(got == [("audio", 0, 0), ("video", 426, 240), ("video", 640, 360)], f"ffprobe on the MPD: {got}")
    src_frames = int(ffprobe(SAMPLE, "-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets")["streams"][0]["nb_read_packets"])
    pk = ffprobe(mpd_path, "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets")["streams"][0]
    check(int(pk["nb_read_packets"]) == src_frames, f"ffprobe reads {pk['nb_read_packets']} video packets through the MPD, source {src_frames}")
    return mpd_dur


def check_iframes(hls_dir, name):
    path = os.path.join(hls_dir, name, "iframes.m3u8")
    text = open(path).read()
    check("#EXT-X-I-FRAMES-ONLY" in text and "#EXT-X-ENDLIST" in text and '#EXT-X-MAP:URI="init.mp4"' in text,
          f"{name}: I-frame playlist tags")
    media = playlist_segments(os.path.join(hls_dir, name, "index.m3u8"))
    lines = text.splitlines()
    entries = [(float(lines[i][8:].split(",")[0]), lines[i + 1], lines[i + 2]) for i in range(len(lines)) if lines[i].startswith("#EXTINF:")]
    check(len(entries) == len(media), f"{name}: {len(entries)} I-frame entries for {len(media)} segments")
    for (extinf, br, uri), (m_ext, m_uri) in zip(entries, media):
        check(uri == m_uri and abs(extinf - m_ext) <= 0.001, f"{name}: entry {uri} {extinf} vs segment {m_uri} {m_ext}")
        length, offset = (int(x) for x in br.split(":")[1].split("@"))
        seg = os.path.join(hls_dir, name, uri)
        _, _, _, moof, sync = fragments(seg)
        check(offset == moof and offset + length <= os.path.getsize(seg), f"{name}/{uri}: range {length}@{offset}, moof at {moof}")
        check(sync, f"{name}/{uri}: first sample is not a sync sample")
        # the range ends at the first sample's last byte: the bytes before the
        # range end hold exactly one picture (ffprobe on init + range)
        with tempfile.NamedTemporaryFile(suffix=".mp4") as t:
            t.write(open(os.path.join(hls_dir, name, "init.mp4"), "rb").read())
            with open(seg, "rb") as f:
                f.seek(offset)
                t.write(f.read(length))
            t.flush()
            fr = ffprobe(t.name, "-select_streams", "v:0", "-show_entries", "frame=key_frame,pict_type")["frames"]
            check(fr and fr[0]["key_frame"] == 1 and fr[0]["pict_type"] == "I", f"{name}/{uri}: range decodes to {fr[:2]}")


def outputs(out):
    with open(os.path.join(out, "result.json")) as f:
        return json.load(f)["outputs"]


def cmaf(tmp):
    out = os.path.join(tmp, "o")
    r = encode(out, "--format", "cmaf")
    check(r.returncode == 0, r.stderr.strip())
    hls = os.path.join(out, "hls")
    check_mpd(hls, playlists=True)
    master = open(os.path.join(hls, "master.m3u8")).read()
    for name, res in (("360p", "640x360"), ("240p", "426x240")):
        check(f'RESOLUTION={res},CODECS="avc1.' in master and f'URI="{name}/iframes.m3u8"' in master,
              f"master: no EXT-X-I-FRAME-STREAM-INF for {name}")
        check_iframes(hls, name)
    check(master.count("#EXT-X-I-FRAME-STREAM-INF:") == 2, "master: I-frame variants")
    # one set of media files: what the playlists list is all there is
    media = sorted(os.path.relpath(p, hls) for p in glob.glob(os.path.join(hls, "*", "*")) if p.endswith((".m4s", ".mp4")))
    listed = sorted([f"{d}/init.mp4" for d in ("360p", "240p", "audio")] +
                    [f"{d}/{u}" for d in ("360p", "240p", "audio") for _, u in playlist_segments(os.path.join(hls, d, "index.m3u8"))])
    check(media == listed, f"media files beyond what the playlists list: {sorted(set(media) - set(listed))}")
    check(not glob.glob(os.path.join(out, "*.mp4")) and not os.path.exists(os.path.join(out, "dash")), "MP4s or dash/ written for cmaf")
    kinds = {(o["kind"], o["path"]) for o in outputs(out)}
    for want in [("mpd", "hls/manifest.mpd"), ("master", "hls/master.m3u8"), ("iframes", "hls/360p/iframes.m3u8"),
                 ("iframes", "hls/240p/iframes.m3u8"), ("hls", "hls/360p/index.m3u8"), ("hls", "hls/audio/index.m3u8")]:
        check(want in kinds, f"result.json lacks {want}: {sorted(kinds)}")


def dash(tmp):
    out = os.path.join(tmp, "o")
    r = encode(out, "--format", "dash")
    check(r.returncode == 0, r.stderr.strip())
    root = os.path.join(out, "dash")
    check(not os.path.exists(os.path.join(out, "hls")), "hls/ written for dash")
    left = sorted(os.path.relpath(p, out) for p in glob.glob(os.path.join(out, "**"), recursive=True) if os.path.isfile(p))
    check(not any(p.endswith(".m3u8") for p in left), f"playlists left for dash: {[p for p in left if p.endswith('.m3u8')]}")
    check_mpd(root, playlists=False)
    kinds = sorted((o["kind"], o["path"]) for o in outputs(out))
    check(kinds == [("dash", "dash/240p/"), ("dash", "dash/360p/"), ("dash", "dash/audio/"), ("mpd", "dash/manifest.mpd")],
          f"result.json outputs {kinds}")
    for o in outputs(out):
        if o["kind"] == "dash":
            check(o["bytes"] > 0 and o["duration"] > 16 and o["bitrate"] > 0, f"result.json entry {o}")
    print(f"dash files: {len(left)} ({sum(1 for p in left if p.endswith(('.m4s', '.mp4')))} init/segments)")


def all_formats(tmp):
    out = os.path.join(tmp, "o")
    r = encode(out, "--format", "all")
    check(r.returncode == 0, r.stderr.strip())
    for p in ("360p.mp4", "240p.mp4", "hls/master.m3u8", "hls/manifest.mpd", "hls/360p/iframes.m3u8"):
        check(os.path.exists(os.path.join(out, p)), f"{p} missing for all")
    kinds = sorted({o["kind"] for o in outputs(out)})
    check(kinds == ["hls", "iframes", "master", "mp4", "mpd"], f"result.json kinds {kinds}")


def job(tmp):
    spec = os.path.join(tmp, "job.json")
    with open(spec, "w") as f:
        json.dump({"format": "cmaf", "video": {"preset": "ultrafast", "renditions": [{"name": "low", "height": 144}]}}, f)
    out = os.path.join(tmp, "o")
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--job", spec], timeout=240)
    check(r.returncode == 0, r.stderr.strip())
    mpd = ET.parse(os.path.join(out, "hls", "manifest.mpd")).getroot()
    check([x.get("id") for x in mpd.findall(".//d:Representation", NS)] == ["low", "audio"], "job's rendition in the MPD")
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", os.path.join(tmp, "x"), "--format", "mpd"])
    check(r.returncode == 2 and "dash, cmaf or all" in r.stderr, f"--format mpd: {r.returncode} {r.stderr.strip()}")


def overwrite(tmp):
    out = os.path.join(tmp, "o")
    check(encode(out, "--format", "dash").returncode == 0, "dash run")
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--preset", "ultrafast", "--ladder", "144", "--format", "hls"], timeout=240)
    check(r.returncode == 2 and "-y/--overwrite" in r.stderr, f"second run without -y: {r.returncode} {r.stderr.strip()}")
    os.unlink(os.path.join(out, "result.json"))      # dash/ alone is an earlier run too
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--preset", "ultrafast", "--ladder", "144", "--format", "hls"], timeout=240)
    check(r.returncode == 2 and "dash/" in r.stderr, f"without result.json: {r.returncode} {r.stderr.strip()}")
    check(encode(out, "--format", "hls").returncode == 0, "-y run")
    check(not os.path.exists(os.path.join(out, "dash")), "dash/ of the earlier run stayed")


CASES = {"cmaf": cmaf, "dash": dash, "all": all_formats, "job": job, "overwrite": overwrite}

if __name__ == "__main__":
    if not os.path.exists(SAMPLE):
        print(f"SKIP: {SAMPLE} missing")
        sys.exit(77)

    def one():
        with tempfile.TemporaryDirectory() as tmp:
            CASES[sys.argv[1]](tmp)
    main(one)
