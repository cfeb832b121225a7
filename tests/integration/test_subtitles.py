"""Subtitles and captions to WebVTT (issue 12 item 2): HLS subtitle renditions, sidecars, the job's choice.

    test_subtitles.py CASE

Samples: the corpus's SRT MKV, and clips made here with ffmpeg lavfi whose cue i is at
i seconds (SRT, ASS, mov_text, WebVTT tracks), one with 40 tracks. Cue times are read
back from what we wrote and compared with the source's; segments against the video
playlist's EXTINFs.
"""
import json
import os
import re
import resource
import sys
import time

from mediacheck import MEDIA_DIR, MPEGFLOW, Failure, SkipTest, check, main, run

SRT_MKV = os.path.join(MEDIA_DIR, "mkv_h264_ac3_srt_1080x720.mkv")
LIMIT = 16


def ffmpeg(*args):
    r = run(["ffmpeg", "-v", "error", "-y", *args], timeout=300)
    if r.returncode != 0:
        raise Failure(f"ffmpeg {' '.join(args)}: {r.stderr.strip()}")


def srt(path, n, text="cue {i}", start=1, length=0.5):
    with open(path, "w") as f:
        for k, i in enumerate(range(start, start + n)):
            a, b = i * 1000, int(i * 1000 + length * 1000)
            ts = lambda ms: f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
            f.write(f"{k + 1}\n{ts(a)} --> {ts(b)}\n{text.format(i=i)}\n\n")


def make_clip(tmp, name, tracks, seconds=10, container="mkv", codec="srt"):
    """A lavfi clip (H.264 + AAC) with one subtitle track per (language, text, disposition)."""
    out = os.path.join(tmp, f"{name}.{container}")
    args = ["-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    files = {}
    for lang, text, _ in tracks:
        if text not in files:
            files[text] = os.path.join(tmp, f"t{len(files)}.srt")
            srt(files[text], seconds - 1, text)
            args += ["-i", files[text]]
    order = list(files)
    args += ["-map", "0:v", "-map", "1:a"]
    for lang, text, _ in tracks:
        args += ["-map", f"{2 + order.index(text)}:s"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-c:a", "aac", "-c:s", codec]
    for k, (lang, _, disp) in enumerate(tracks):
        args += [f"-metadata:s:s:{k}", f"language={lang}", f"-disposition:s:{k}", disp or "0"]
    ffmpeg(*args, out)
    return out


def encode(src, out, *extra):
    t0 = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = run([MPEGFLOW, "encode", src, "-o", out, "--json", "-y", "--ladder", "144", "--preset", "ultrafast",
             "--gop", "2", *extra], timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    check(r.returncode == 0, f"encode {os.path.basename(src)} {extra}: exit {r.returncode}: {r.stderr.strip()}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return json.loads(r.stdout), time.time() - t0, cpu


def vtt_cues(path):
    """[(start_ms, end_ms, text)] of a WebVTT file, and its header block."""
    text = open(path, encoding="utf-8").read()
    check(text.startswith("WEBVTT\n"), f"{path}: no WEBVTT signature: {text[:40]!r}")
    blocks = text.split("\n\n")
    cues = []
    ms = lambda t: (lambda h, m, s: int(round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)))(
        *(["0"] + t.split(":"))[-3:])    # hours are optional (ffmpeg writes MM:SS.mmm)
    for b in blocks[1:]:
        lines = b.strip("\n").split("\n")
        if not lines or " --> " not in lines[0]:
            continue
        a, z = lines[0].split(" --> ")
        cues.append((ms(a), ms(z.split()[0]), "\n".join(lines[1:])))
    return cues, blocks[0]


def playlist(path):
    """(target, [(extinf, uri)]) of a media playlist."""
    target, segs, ext = None, [], None
    for line in open(path):
        line = line.strip()
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = int(line.split(":")[1])
        elif line.startswith("#EXTINF:"):
            ext = float(line[8:].split(",")[0])
        elif line and not line.startswith("#"):
            segs.append((ext, line))
    return target, segs


def master_media(out):
    lines = open(os.path.join(out, "hls", "master.m3u8")).read().splitlines()
    subs = [dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', l[len("#EXT-X-MEDIA:"):])) for l in lines
            if l.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES")]
    subs = [{k: v.strip('"') for k, v in s.items()} for s in subs]
    variants = [l for l in lines if l.startswith("#EXT-X-STREAM-INF:")]
    return subs, variants


def check_track(out, res, t, want_cues):
    """One kept track: sidecar and HLS rendition hold want_cues [(start, end, text)], segmented like the video."""
    side = os.path.join(out, t["files"]["vtt"])
    cues, _ = vtt_cues(side)
    check(cues == want_cues, f"{t['track']}: sidecar cues {cues[:4]}... want {want_cues[:4]}...")
    check(t["cues"] == len(want_cues), f"{t['track']}: result says {t['cues']} cues, want {len(want_cues)}")
    hls = os.path.join(out, t["files"]["playlist"])
    target, segs = playlist(hls)
    vtarget, vsegs = playlist(os.path.join(out, "hls", "144p", "index.m3u8"))
    check([d for d, _ in segs] == [d for d, _ in vsegs] and target == vtarget,
          f"{t['track']}: EXTINF {[d for d, _ in segs]} / {target}, video {[d for d, _ in vsegs]} / {vtarget}")
    check(t["files"]["segments"] == len(segs), f"segments {t['files']['segments']} vs playlist {len(segs)}")
    start, seen = 0.0, set()
    for k, (d, uri) in enumerate(segs):
        a, b = round(start * 1000), round((start + d) * 1000) if k < len(segs) - 1 else 10 ** 12
        start += d
        got, head = vtt_cues(os.path.join(os.path.dirname(hls), uri))
        check("X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000" in head, f"{uri}: header {head!r}")
        want = [c for c in want_cues if c[0] < b and c[1] > a]
        check(got == want, f"{t['track']} {uri} [{a}, {b}) ms: cues {got}, want {want}")
        seen.update(got)
    check(seen == set(want_cues), f"{t['track']}: segments miss {set(want_cues) - seen}")
    return len(segs)


def corpus_srt(tmp):
    out = os.path.join(tmp, "o")
    res, _, _ = encode(SRT_MKV, out)
    check(len(res["subtitles"]) == 1, f"subtitles: {res['subtitles']}")
    t = res["subtitles"][0]
    check((t["stream"], t["language"], t["name"], t["kind"], t["codec"], t["default"]) ==
          (2, "en", "Subs Label", "subtitles", "subrip", True), f"track: {t}")
    # The source's cue, 0 to 1.234 s, ends with the video (1.0 s): nothing is shown past the end.
    src = run(["ffmpeg", "-v", "error", "-i", SRT_MKV, "-map", "0:s", "-f", "webvtt", "-"]).stdout
    check("This is the first subtitle." in src, f"ffmpeg reads {src!r}")
    cues, _ = vtt_cues(os.path.join(out, t["files"]["vtt"]))
    vdur = float(playlist(os.path.join(out, "hls", "144p", "index.m3u8"))[1][0][0])
    check(cues == [(0, round(vdur * 1000), "This is the first subtitle.")], f"sidecar: {cues} (video {vdur} s)")
    check_track(out, res, t, cues)
    subs, variants = master_media(out)
    check(len(subs) == 1 and subs[0]["LANGUAGE"] == "en" and subs[0]["NAME"] == "Subs Label" and
          subs[0]["DEFAULT"] == "YES" and subs[0]["AUTOSELECT"] == "YES" and subs[0]["FORCED"] == "NO" and
          subs[0]["GROUP-ID"] == "subs" and subs[0]["URI"] == "subtitles/sub0-en/index.m3u8", f"EXT-X-MEDIA: {subs}")
    check(variants and all('SUBTITLES="subs"' in v for v in variants), f"variants: {variants}")
    # ffmpeg reads our files back: the sidecar, and the HLS master with its subtitle rendition
    r = run(["ffprobe", "-v", "error", "-of", "json", "-show_streams", os.path.join(out, t["files"]["vtt"])])
    check(r.returncode == 0 and json.loads(r.stdout)["streams"][0]["codec_name"] == "webvtt", f"ffprobe: {r.stderr}")
    check(res["subtitles_skipped"] == [], f"skipped: {res['subtitles_skipped']}")
    # mp4 only: the sidecar without HLS; hls only: no sidecar
    res, _, _ = encode(SRT_MKV, os.path.join(tmp, "mp4"), "--format", "mp4")
    t = res["subtitles"][0]
    check("playlist" not in t["files"] and os.path.exists(os.path.join(tmp, "mp4", t["files"]["vtt"])), f"mp4: {t}")
    check(not os.path.exists(os.path.join(tmp, "mp4", "hls")), "mp4 only wrote hls/")
    res, _, _ = encode(SRT_MKV, os.path.join(tmp, "hls"), "--format", "hls")
    t = res["subtitles"][0]
    check("vtt" not in t["files"] and not [f for f in os.listdir(os.path.join(tmp, "hls")) if f.endswith(".vtt")], f"hls: {t}")


def known_cues(tmp):
    """Cue i at i s in two languages: exact times in the sidecars and in every segment."""
    src = make_clip(tmp, "cues", [("eng", "cue {i}", "default"), ("fre", "réplique {i} <b>&</b>", "forced")])
    out = os.path.join(tmp, "o")
    res, _, _ = encode(src, out)
    tracks = res["subtitles"]
    check([(t["track"], t["language"], t["default"], t["forced"]) for t in tracks] ==
          [("sub0-en", "en", True, False), ("sub1-fr", "fr", False, True)], f"tracks: {tracks}")
    want_en = [(i * 1000, i * 1000 + 500, f"cue {i}") for i in range(1, 10)]
    n = check_track(out, res, tracks[0], want_en)
    fr, _ = vtt_cues(os.path.join(out, tracks[1]["files"]["vtt"]))
    check([c[:2] for c in fr] == [c[:2] for c in want_en], f"fr times: {fr}")
    # SRT's <b> is markup; the & of the text is escaped
    check(fr[0][2] == "réplique 1 <b>&amp;</b>", f"fr text: {fr[0][2]!r}")
    subs, _ = master_media(out)
    check([(s["LANGUAGE"], s["DEFAULT"], s["FORCED"]) for s in subs] == [("en", "YES", "NO"), ("fr", "NO", "YES")],
          f"EXT-X-MEDIA: {subs}")
    check(n == 5, f"{n} segments for 10 s at 2 s")
    # the same clip starting at 10 s (video, audio and subtitles shifted): cues still at i s after the first picture
    shifted = os.path.join(tmp, "shifted.mkv")
    ffmpeg("-i", src, "-map", "0", "-c", "copy", "-output_ts_offset", "10", shifted)
    res, _, _ = encode(shifted, os.path.join(tmp, "shifted"))
    cues, _ = vtt_cues(os.path.join(tmp, "shifted", res["subtitles"][0]["files"]["vtt"]))
    check(cues == want_en, f"source starting at 10 s: {cues[:3]}")
    # a job file's subtitles: ["fre"] keeps the French track only
    job = os.path.join(tmp, "job.json")
    with open(job, "w") as f:
        json.dump({"subtitles": ["fre"], "video": {"renditions": [{"name": "144p", "height": 144}]}}, f)
    res, _, _ = encode(src, os.path.join(tmp, "fr"), "--job", job, "--format", "both")
    check([t["language"] for t in res["subtitles"]] == ["fr"], f"fre only: {res['subtitles']}")
    check(len(res["subtitles_skipped"]) == 1 and "not in the job's subtitles" in res["subtitles_skipped"][0]["reason"],
          f"skipped: {res['subtitles_skipped']}")
    # none: no subtitle output at all
    res, _, _ = encode(src, os.path.join(tmp, "none"), "--subtitles", "none")
    check(res["subtitles"] == [] and len(res["subtitles_skipped"]) == 2, f"none: {res['subtitles']}")
    check(not os.path.exists(os.path.join(tmp, "none", "hls", "subtitles")), "none wrote hls/subtitles")
    check("SUBTITLES" not in open(os.path.join(tmp, "none", "hls", "master.m3u8")).read(), "none: master has SUBTITLES")
    check(not [f for f in os.listdir(os.path.join(tmp, "none")) if f.endswith(".vtt")], "none wrote a sidecar")
    # -y removes the earlier run's sidecars
    res, _, _ = encode(src, out, "--subtitles", "en")
    check(sorted(f for f in os.listdir(out) if f.endswith(".vtt")) == ["sub0-en.vtt"], f"after -y: {os.listdir(out)}")


def formats(tmp):
    """ASS (override tags), mov_text (MP4) and WebVTT (MKV) tracks: the same cue times and text."""
    want = [(i * 1000, i * 1000 + 500, f"cue {i}") for i in range(1, 6)]
    for container, codec in [("mkv", "ass"), ("mp4", "mov_text"), ("mkv", "webvtt")]:
        src = make_clip(tmp, f"c_{codec}", [("ger", "cue {i}", "default")], seconds=6, container=container, codec=codec)
        out = os.path.join(tmp, f"o_{codec}")
        res, _, _ = encode(src, out)
        t = res["subtitles"][0] if res["subtitles"] else {}
        check(t.get("codec") == codec and t.get("language") == "de", f"{codec}: {res['subtitles']}")
        check_track(out, res, t, want)
    # ASS italics become WebVTT <i>
    ass = os.path.join(tmp, "i.srt")
    srt(ass, 3, "<i>slanted</i> {i}")   # the ASS track holds {\i1}slanted{\i0}
    src = os.path.join(tmp, "italic.mkv")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-i", ass, "-map", "0", "-map", "1",
           "-c:v", "libx264", "-preset", "ultrafast", "-c:s", "ass", src)
    r = run(["ffmpeg", "-v", "error", "-i", src, "-map", "0:s", "-f", "ass", "-"])
    check("{\\i1}slanted{\\i0} 1" in r.stdout, f"the ASS track: {r.stdout[-200:]!r}")
    res, _, _ = encode(src, os.path.join(tmp, "o_italic"))
    cues, _ = vtt_cues(os.path.join(tmp, "o_italic", res["subtitles"][0]["files"]["vtt"]))
    check(cues and cues[0][2] == "<i>slanted</i> 1", f"italic: {cues}")


def many_tracks(tmp):
    """40 subtitle tracks: 16 kept, 24 skipped with the limit named; bounded files and time."""
    langs = ["eng", "fre", "ger", "spa", "ita", "por", "jpn", "chi", "kor", "rus"]
    tracks = [(langs[k % len(langs)], "cue {i}", None) for k in range(40)]
    src = make_clip(tmp, "many", tracks)
    none, wall_none, cpu_none = encode(src, os.path.join(tmp, "none"), "--subtitles", "none")
    out = os.path.join(tmp, "all")
    res, wall_all, cpu_all = encode(src, out)
    check(len(res["subtitles"]) == LIMIT, f"{len(res['subtitles'])} tracks kept, want {LIMIT}")
    check(len({t["track"] for t in res["subtitles"]}) == LIMIT, "track names repeat")
    skipped = res["subtitles_skipped"]
    check(len(skipped) == 40 - LIMIT and all(f"limit of {LIMIT}" in s["reason"] for s in skipped), f"skipped: {skipped[:2]}")
    check([s["stream"] for s in skipped] == list(range(2 + LIMIT, 42)), f"skipped streams {[s['stream'] for s in skipped]}")
    names = [s["NAME"] for s in master_media(out)[0]]
    check(len(names) == LIMIT and len(set(names)) == LIMIT, f"NAMEs not unique: {names}")
    files = sum(len(fs) for _, _, fs in os.walk(os.path.join(out, "hls", "subtitles")))
    sidecars = [f for f in os.listdir(out) if f.endswith(".vtt")]
    check(files == LIMIT * (5 + 1) and len(sidecars) == LIMIT, f"{files} HLS subtitle files, {len(sidecars)} sidecars")
    print(f"info: 40 tracks: wall {wall_none:.2f} s (none) / {wall_all:.2f} s (all), CPU {cpu_none:.2f} / {cpu_all:.2f} s; "
          f"{files} HLS subtitle files + {len(sidecars)} sidecars")
    check(cpu_all <= 1.5 * cpu_none + 1.0, f"CPU {cpu_all:.2f} s with 16 tracks against {cpu_none:.2f} s without")


def make_sample(var, path, *args):
    """Run a sample maker built with the tests (tests/make_*.c), named by an environment variable."""
    maker = os.environ.get(var)
    if not maker or not os.path.exists(maker):
        raise SkipTest(f"{var} (the sample maker, built with the tests) is not set")
    r = run([maker, path, *args])
    if r.returncode == 77:
        raise SkipTest(r.stderr.strip())
    check(r.returncode == 0, f"{os.path.basename(maker)}: {r.stderr.strip()}")
    return maker


def bitmap(tmp):
    """A DVD (VobSub) bitmap track beside an SRT one (made by tests/make_bitmap_subs.c): skipped with the reason."""
    subs = os.path.join(tmp, "dvd.mkv")
    make_sample("MAKE_BITMAP_SUBS", subs, "4")
    text = os.path.join(tmp, "t.srt")
    srt(text, 4)
    src = os.path.join(tmp, "bitmap.mkv")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-i", subs, "-i", text,
           "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:s:0", "copy",
           "-c:s:1", "srt", "-metadata:s:s:1", "language=spa", src)
    probe = json.loads(run(["ffprobe", "-v", "error", "-of", "json", "-show_streams", src]).stdout)["streams"]
    check([s["codec_name"] for s in probe] == ["h264", "dvd_subtitle", "subrip"], f"sample streams {probe}")
    res, _, _ = encode(src, os.path.join(tmp, "o"))
    check([(t["stream"], t["language"]) for t in res["subtitles"]] == [(2, "es")], f"kept {res['subtitles']}")
    sk = res["subtitles_skipped"]
    check(len(sk) == 1 and (sk[0]["stream"], sk[0]["codec"], sk[0]["language"]) == (1, "dvd_subtitle", "en") and
          "bitmap" in sk[0]["reason"], f"skipped {sk}")
    print(f"info: skipped: {sk}")


def cea608(tmp):
    """CEA-608 captions in H.264 SEI (made by tests/make_cea608.c): the cues ffmpeg's own cc_dec reads."""
    src = os.path.join(tmp, "cc.mp4")
    maker = make_sample("MAKE_CEA608", src, "8")
    # The reference: ffmpeg's lavfi movie source exports the captions (subcc) through the same cc_dec.
    ref = run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"movie={src}[out0+subcc]", "-map", "0:s", "-f", "webvtt", "-"])
    check(ref.returncode == 0, f"ffmpeg subcc: {ref.stderr.strip()}")
    with open(os.path.join(tmp, "ref.vtt"), "w") as f:
        f.write(ref.stdout)
    want, _ = vtt_cues(os.path.join(tmp, "ref.vtt"))
    check([(c[0], c[2]) for c in want] == [(i * 1000, f"CAP {i}") for i in range(1, 8)], f"ffmpeg reads {want}")
    out = os.path.join(tmp, "o")
    res, _, _ = encode(src, out)
    check(len(res["subtitles"]) == 1, f"subtitles {res['subtitles']}")
    t = res["subtitles"][0]
    check((t["stream"], t["kind"], t["codec"], t["language"]) == (-1, "captions", "eia_608", "und"), f"track {t}")
    check_track(out, res, t, want)
    subs, variants = master_media(out)
    check(len(subs) == 1 and "LANGUAGE" not in subs[0] and "transcribes-spoken-dialog" in subs[0].get("CHARACTERISTICS", ""),
          f"EXT-X-MEDIA {subs}")
    # DASH alone: one text set, Role caption, no lang; its sidecar holds the captions
    res, _, _ = encode(src, os.path.join(tmp, "dash"), "--format", "dash")
    mpd = open(os.path.join(tmp, "dash", "dash", "manifest.mpd")).read()
    sets = re.findall(r'<AdaptationSet [^>]*contentType="text"[^>]*>[\s\S]*?</AdaptationSet>', mpd)
    check(len(sets) == 1 and 'value="caption"' in sets[0] and "lang=" not in sets[0] and "<BaseURL>../sub0-und.vtt<" in sets[0],
          f"dash captions: {sets}")
    got, _ = vtt_cues(os.path.join(tmp, "dash", res["subtitles"][0]["files"]["vtt"]))
    check(got == want, f"dash captions sidecar: {got[:3]}")
    # caption data with padding only (a 1 s clip: no caption): no empty track
    empty = os.path.join(tmp, "cc_empty.mp4")
    check(run([maker, empty, "1"]).returncode == 0, "make_cea608 1 s")
    res, _, _ = encode(empty, os.path.join(tmp, "empty"))
    check(res["subtitles"] == [] and [s["reason"] for s in res["subtitles_skipped"]] == ["the video's caption data held no text"],
          f"padding-only captions: {res['subtitles']} {res['subtitles_skipped']}")
    check("SUBTITLES" not in open(os.path.join(tmp, "empty", "hls", "master.m3u8")).read(), "master lists empty captions")
    encode(empty, os.path.join(tmp, "empty_dash"), "--format", "dash")
    check('contentType="text"' not in open(os.path.join(tmp, "empty_dash", "dash", "manifest.mpd")).read(), "MPD lists empty captions")
    # a language list keeps no captions (they have none), and says so
    res, _, _ = encode(src, os.path.join(tmp, "en"), "--subtitles", "en")
    check(res["subtitles"] == [] and [s["codec"] for s in res["subtitles_skipped"]] == ["eia_608"] and
          "no language" in res["subtitles_skipped"][0]["reason"], f"--subtitles en: {res['subtitles_skipped']}")


def dash_text(tmp):
    """Every format with DASH (cmaf, dash, all): one WebVTT text AdaptationSet per track in the MPD,
    lang, Role and Label, its BaseURL the whole-track sidecar with cue i at i s."""
    import xml.etree.ElementTree as ET
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    src = make_clip(tmp, "cues", [("eng", "cue {i}", "default"), ("fre", "réplique {i}", "forced")])
    want = [(i * 1000, i * 1000 + 500) for i in range(1, 10)]
    for fmt, folder in [("cmaf", "hls"), ("dash", "dash"), ("all", "hls")]:
        out = os.path.join(tmp, fmt)
        res, _, _ = encode(src, out, "--format", fmt)
        mpd = os.path.join(out, folder, "manifest.mpd")
        sets = [a for a in ET.parse(mpd).getroot().iterfind("d:Period/d:AdaptationSet", ns)
                if a.get("contentType") == "text"]
        got = [(a.get("lang"), a.get("mimeType"), sorted(r.get("value") for r in a.iterfind("d:Role", ns)),
                a.findtext("d:Label", None, ns)) for a in sets]
        check(got == [("en", "text/vtt", ["main", "subtitle"], "en"), ("fr", "text/vtt", ["forced-subtitle"], "fr")],
              f"{fmt}: text sets {got}")
        for a, t in zip(sets, res["subtitles"]):
            base = a.findtext("d:Representation/d:BaseURL", None, ns)
            path = os.path.normpath(os.path.join(os.path.dirname(mpd), base or ""))
            check(base and os.path.isfile(path) and path == os.path.join(out, t["files"]["vtt"]),
                  f"{fmt}: BaseURL {base} -> {path}, result.json {t['files']}")
            cues, _ = vtt_cues(path)
            check([c[:2] for c in cues] == want, f"{fmt} {t['track']}: cue times {cues[:3]}")
        if fmt == "dash":
            check(not os.path.exists(os.path.join(out, "hls")) and all("playlist" not in t["files"] for t in res["subtitles"]),
                  f"dash wrote HLS subtitles: {res['subtitles']}")
        else:
            check(all(t["files"].get("playlist") for t in res["subtitles"]), f"{fmt}: no HLS renditions: {res['subtitles']}")
        print(f"{fmt}: {len(sets)} text AdaptationSets in {folder}/manifest.mpd: {got}")

if __name__ == "__main__":
    import tempfile
    case = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        main(lambda: globals()[case](tmp))
