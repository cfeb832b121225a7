"""audio.tracks and audio.surround (issue 12, item 3): several audio tracks and languages.

    test_audio_tracks.py CASE

The sample is made here with ffmpeg's lavfi: testsrc2 with an English track (a 440 Hz
tone, mono 48 kHz), a French one (880 Hz, mono 44.1 kHz, the default disposition, though
it comes second) and, for the surround cases, a German 5.1 one (330 Hz). Each tone is
measured back (zero crossings of the decoded audio), so a track published under the
wrong language fails.
"""
import array
import json
import os
import re
import subprocess
import sys
import tempfile

from mediacheck import MEDIA_DIR, MPEGFLOW, check, ffprobe, main, run

TONES = {"en": 440, "fr": 880, "de": 330}


def make_sample(tmp, surround=False):
    path = os.path.join(tmp, "two_languages.mkv" if not surround else "three_languages.mkv")
    args = ["ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6",
            "-f", "lavfi", "-i", "sine=f=440:sample_rate=48000:duration=6",
            "-f", "lavfi", "-i", "sine=f=880:sample_rate=44100:duration=6"]
    if surround:
        args += ["-f", "lavfi", "-i", "sine=f=330:sample_rate=48000:duration=6,"
                 "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0"]
    args += ["-map", "0", "-map", "1", "-map", "2"] + (["-map", "3"] if surround else [])
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
             "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre",
             "-disposition:a:0", "0", "-disposition:a:1", "default"]
    if surround:
        args += ["-metadata:s:a:2", "language=ger", "-disposition:a:2", "0"]
    r = run(args + [path], timeout=120)
    check(r.returncode == 0, f"ffmpeg could not make the sample: {r.stderr.strip()}")
    return path


def encode(src, out, *extra):
    r = run([MPEGFLOW, "encode", src, "-o", out, "--preset", "ultrafast", "--ladder", "240,144", *extra],
            timeout=300)
    check(r.returncode == 0, f"encode {' '.join(extra)}: exit {r.returncode}: {r.stderr.strip()}")
    with open(os.path.join(out, "result.json")) as f:
        return json.load(f)


def tone(path, stream="a:0"):
    """The frequency of the tone in an audio stream, from 1 s to 4 s (zero crossings). Output
    seeking: FFmpeg 5.1's HLS demuxer seeks fMP4 audio into the middle of a frame."""
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-ss", "1", "-t", "3", "-map", f"0:{stream}",
                        "-ac", "1", "-ar", "48000", "-f", "s16le", "-"], capture_output=True, timeout=60)
    check(r.returncode == 0, f"decode {path} {stream}: {r.stderr.decode(errors='replace').strip()}")
    s = array.array("h", r.stdout)
    crossings = sum(1 for a, b in zip(s, s[1:]) if (a < 0) != (b < 0))
    return crossings / 2 / (len(s) / 48000) if s else 0


def media_lines(master):
    """The master's EXT-X-MEDIA lines as dicts, and its variants' attribute strings."""
    with open(master) as f:
        text = f.read()
    media = [dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', l[len("#EXT-X-MEDIA:"):]))
             for l in text.splitlines() if l.startswith("#EXT-X-MEDIA:")]
    media = [{k: v.strip('"') for k, v in m.items()} for m in media]
    variants = [l for l in text.splitlines() if l.startswith("#EXT-X-STREAM-INF:")]
    return media, variants, text


def mp4_audio(path):
    return [s for s in ffprobe(path, "-show_streams")["streams"] if s["codec_type"] == "audio"]


def check_bandwidth(res, variants):
    """BANDWIDTH: the variant's video peak plus the largest audio rendition's."""
    outs = res["outputs"]
    audio_peak = max(o.get("peak_bitrate", 0) for o in outs if o["rendition"].startswith("audio"))
    for v in variants:
        bw = int(re.search(r"BANDWIDTH=(\d+)", v).group(1))
        height = int(re.search(r"RESOLUTION=\d+x(\d+)", v).group(1))
        video = next(o for o in outs if o["kind"] == "hls" and o.get("height") == height)
        check(bw == video["peak_bitrate"] + audio_peak,
              f"BANDWIDTH {bw} != video peak {video['peak_bitrate']} + largest audio peak {audio_peak}")
        check('AUDIO="audio"' in v, f"a variant without the audio group: {v}")


def all_tracks(tmp):
    src = make_sample(tmp)
    out = os.path.join(tmp, "o")
    res = encode(src, out, "--audio-tracks", "all", "--format", "both")
    media, variants, text = media_lines(os.path.join(out, "hls", "master.m3u8"))
    check(len(media) == 2, f"want 2 EXT-X-MEDIA, got {len(media)}:\n{text}")
    by_lang = {m.get("LANGUAGE"): m for m in media}
    check(set(by_lang) == {"en", "fr"}, f"LANGUAGE {list(by_lang)}")
    check(by_lang["fr"]["DEFAULT"] == "YES" and by_lang["en"]["DEFAULT"] == "NO",
          f"DEFAULT follows the source's default disposition (fr): {media}")
    check(all(m["AUTOSELECT"] == "YES" and m["GROUP-ID"] == "audio" and m["CHANNELS"] == "2" for m in media), media)
    check(len({m["NAME"] for m in media}) == 2, f"NAMEs not unique: {media}")
    check_bandwidth(res, variants)
    for lang, m in by_lang.items():
        f = tone(os.path.join(out, "hls", m["URI"]))
        check(abs(f - TONES[lang]) < 5, f"{m['URI']} ({lang}) plays {f:.0f} Hz, want {TONES[lang]}")
    check(not os.path.exists(os.path.join(out, "hls", "audio")), "the single-track hls/audio was written too")
    for mp4 in ("240p.mp4", "144p.mp4"):
        a = mp4_audio(os.path.join(out, mp4))
        check([s.get("tags", {}).get("language") for s in a] == ["eng", "fre"], f"{mp4} languages {a}")
        check([s["disposition"]["default"] for s in a] == [0, 1], f"{mp4} default track: {[s['disposition'] for s in a]}")
        check(abs(tone(os.path.join(out, mp4), "a:0") - 440) < 5 and abs(tone(os.path.join(out, mp4), "a:1") - 880) < 5,
              f"{mp4}: the tracks' tones")
    tracks = res["audio_tracks"]
    check([(t["language"], t["channels"], t["codec"], t["default"]) for t in tracks] ==
          [("en", 2, "aac", False), ("fr", 2, "aac", True)], f"result.json audio_tracks {tracks}")
    check(tracks[0]["files"] == ["hls/audio_en/index.m3u8", "240p.mp4", "144p.mp4"], f"files {tracks[0]['files']}")
    print(f"all: {[(m['LANGUAGE'], m['NAME'], m['DEFAULT'], m['URI']) for m in media]}")


def languages(tmp):
    src = make_sample(tmp)
    # A job file: the list's order, ISO 639-2/B and /T and BCP 47 forms, a language not there.
    job = os.path.join(tmp, "job.json")
    with open(job, "w") as f:
        json.dump({"format": "hls", "video": {"renditions": [{"name": "144p", "height": 144}]},
                   "audio": {"tracks": ["fra", "de", "en-US", "eng"]}}, f)
    out = os.path.join(tmp, "o")
    r = run([MPEGFLOW, "encode", src, "-o", out, "--job", job, "--preset", "ultrafast"], timeout=300)
    check(r.returncode == 0, f"encode: {r.stderr.strip()}")
    with open(os.path.join(out, "result.json")) as f:
        res = json.load(f)
    media, _, text = media_lines(os.path.join(out, "hls", "master.m3u8"))
    check([m["LANGUAGE"] for m in media] == ["fr", "en"], f"want fr then en (the list's order):\n{text}")
    check(any("no de audio track" in s for s in res.get("audio_skipped", [])), f"audio_skipped {res.get('audio_skipped')}")
    check(any("no en-US audio track" in s for s in res.get("audio_skipped", [])), f"audio_skipped {res.get('audio_skipped')}")
    check(abs(tone(os.path.join(out, "hls", media[0]["URI"])) - 880) < 5, "the fr rendition's tone")
    # Only French, on the command line: one rendition, which is the default.
    out2 = os.path.join(tmp, "o2")
    encode(src, out2, "--audio-tracks", "fre", "--format", "hls")
    media, _, text = media_lines(os.path.join(out2, "hls", "master.m3u8"))
    check(len(media) == 1 and media[0]["LANGUAGE"] == "fr" and media[0]["DEFAULT"] == "YES", text)
    # None of the languages: the best track, said so.
    out3 = os.path.join(tmp, "o3")
    res = encode(src, out3, "--audio-tracks", "ja", "--format", "hls")
    media, _, text = media_lines(os.path.join(out3, "hls", "master.m3u8"))
    check(len(media) == 1 and any("kept the best track" in s for s in res["audio_skipped"]), f"{text} {res['audio_skipped']}")


def best_unchanged(tmp):
    """The default is the layout before audio.tracks: one rendition hls/audio, NAME "default"."""
    src = make_sample(tmp)
    out = os.path.join(tmp, "o")
    res = encode(src, out, "--format", "both")
    media, variants, text = media_lines(os.path.join(out, "hls", "master.m3u8"))
    check(len(media) == 1 and media[0]["NAME"] == "default" and "LANGUAGE" not in media[0] and
          media[0]["URI"] == "audio/index.m3u8" and media[0]["DEFAULT"] == "YES", text)
    check(sorted(os.listdir(os.path.join(out, "hls"))) == ["144p", "240p", "audio", "master.m3u8"],
          f"hls/: {os.listdir(os.path.join(out, 'hls'))}")
    a = mp4_audio(os.path.join(out, "240p.mp4"))
    check(len(a) == 1, f"the MP4 has {len(a)} audio streams")
    check_bandwidth(res, variants)
    check(len(res["audio_tracks"]) == 1 and res["audio_tracks"][0]["name"] == "default", res["audio_tracks"])


def surround(tmp):
    src = make_sample(tmp, surround=True)
    out = os.path.join(tmp, "o")
    res = encode(src, out, "--audio-tracks", "all", "--audio-surround", "--format", "both")
    media, variants, text = media_lines(os.path.join(out, "hls", "master.m3u8"))
    check([(m["LANGUAGE"], m["CHANNELS"]) for m in media] == [("en", "2"), ("fr", "2"), ("de", "2"), ("de", "6")],
          f"a 5.1 rendition only for the 5.1 track:\n{text}")
    six = media[3]
    check(six["DEFAULT"] == "NO" and six["URI"] == "audio_de_51/index.m3u8" and six["NAME"] != media[2]["NAME"], six)
    p = ffprobe(os.path.join(out, "hls", six["URI"]), "-show_streams")["streams"][0]
    check(p["codec_name"] == "aac" and p["channels"] == 6, f"the 5.1 rendition: {p['codec_name']} {p['channels']} ch")
    check(abs(tone(os.path.join(out, "hls", six["URI"])) - 330) < 5, "the 5.1 rendition's tone")
    check_bandwidth(res, variants)
    a = mp4_audio(os.path.join(out, "240p.mp4"))
    check([s["channels"] for s in a] == [2, 2, 2, 6], f"MP4 audio channels {[s['channels'] for s in a]}")
    t = res["audio_tracks"][3]
    check(t["surround"] and t["channels"] == 6 and t["source_stream"] == 3, t)


def copy_all(tmp):
    """audio.mode copy keeps every track's packets: mono, and 44.1 kHz for the French one."""
    src = make_sample(tmp)
    out = os.path.join(tmp, "o")
    res = encode(src, out, "--audio-tracks", "all", "--audio", "copy", "--format", "both")
    media, _, text = media_lines(os.path.join(out, "hls", "master.m3u8"))
    check([(m["LANGUAGE"], m["CHANNELS"]) for m in media] == [("en", "1"), ("fr", "1")], text)
    a = mp4_audio(os.path.join(out, "144p.mp4"))
    check([(s["channels"], s["sample_rate"]) for s in a] == [(1, "48000"), (1, "44100")], f"copied? {a}")
    check(abs(tone(os.path.join(out, "hls", media[1]["URI"])) - 880) < 5, "fr tone")
    check([t["codec"] for t in res["audio_tracks"]] == ["aac", "aac"], res["audio_tracks"])


def soft_telecine(tmp):
    """The corpus' soft-telecine TS: one AC-3 track, tagged eng (no second one)."""
    src = os.path.join(MEDIA_DIR, "ts_mpeg2_480_soft_telecine_ac3.ts")
    out = os.path.join(tmp, "o")
    res = encode(src, out, "--audio-tracks", "all", "--format", "both")
    media, _, text = media_lines(os.path.join(out, "hls", "master.m3u8"))
    check(len(media) == 1 and media[0]["LANGUAGE"] == "en" and media[0]["DEFAULT"] == "YES", text)
    a = mp4_audio(os.path.join(out, "240p.mp4"))
    check(len(a) == 1 and a[0].get("tags", {}).get("language") == "eng", a)
    check(res["audio_tracks"][0]["source_stream"] == 1, res["audio_tracks"])


def refusals(tmp):
    src = make_sample(tmp)
    for extra, want in ((["--audio-tracks", "e"], "audio.tracks[0]: must be a language tag"),
                        (["--audio-tracks", "en,,fr"], "--audio-tracks: best, all or up to 8"),
                        (["--audio-tracks", ",".join(["en"] * 9)], "--audio-tracks: best, all or up to 8"),
                        (["--audio-tracks", "en,EN"], "audio.tracks[1]: \"EN\" is already listed"),
                        (["--audio", "copy", "--audio-surround"], "audio.surround: needs audio.mode \"aac\"")):
        out = os.path.join(tmp, "x")
        r = run([MPEGFLOW, "encode", src, "-o", out, *extra], timeout=60)
        check(r.returncode == 2 and want in r.stderr, f"{extra}: exit {r.returncode}: {r.stderr.strip()}")
        check(not os.path.exists(os.path.join(out, "hls")), f"{extra}: outputs were written")


def audio_sets(mpd):
    """The MPD's audio AdaptationSets: (lang, Role, channels, Representation id, Label)."""
    import xml.etree.ElementTree as ET
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    out = []
    for a in ET.parse(mpd).getroot().iter("{urn:mpeg:dash:schema:mpd:2011}AdaptationSet"):
        if a.get("contentType") != "audio":
            continue
        role = a.find("d:Role", ns)
        rep = a.find("d:Representation", ns)
        ch = rep.find("d:AudioChannelConfiguration", ns) if rep is not None else None
        label = a.find("d:Label", ns)
        out.append((a.get("lang"), role.get("value") if role is not None else None,
                    ch.get("value") if ch is not None else None, rep.get("id") if rep is not None else None,
                    label.text if label is not None else None))
    return out


def dash(tmp):
    """DASH (issue 12 item 1): one audio AdaptationSet per rendition, with lang and the default's Role main."""
    src = make_sample(tmp, surround=True)
    out = os.path.join(tmp, "o")
    encode(src, out, "--audio-tracks", "all", "--audio-surround", "--format", "cmaf")
    sets = audio_sets(os.path.join(out, "hls", "manifest.mpd"))
    check([(l, r, c, i) for l, r, c, i, _ in sets] ==
          [("en", "alternate", "2", "audio_en"), ("fr", "main", "2", "audio_fr"),
           ("de", "alternate", "2", "audio_de"), ("de", "alternate", "6", "audio_de_51")], f"audio sets {sets}")
    check(len({x[4] for x in sets}) == 4, f"Labels not unique: {sets}")
    # dash alone: the same sets under dash/, no playlists
    out2 = os.path.join(tmp, "o2")
    res = encode(src, out2, "--audio-tracks", "fr,en", "--format", "dash")
    sets = audio_sets(os.path.join(out2, "dash", "manifest.mpd"))
    check([(l, r) for l, r, *_ in sets] == [("fr", "main"), ("en", "alternate")], f"dash alone: {sets}")
    left = [os.path.join(d, f) for d, _, fs in os.walk(out2) for f in fs if f.endswith(".m3u8")]
    check(not left, f"playlists left with dash alone: {left}")
    check({o["rendition"] for o in res["outputs"] if o["kind"] == "dash"} >= {"audio_fr", "audio_en"}, res["outputs"])
    # best: the one set it always had, without lang
    out3 = os.path.join(tmp, "o3")
    encode(src, out3, "--format", "cmaf")
    sets = audio_sets(os.path.join(out3, "hls", "manifest.mpd"))
    check(len(sets) == 1 and sets[0][0] is None and sets[0][3] == "audio", f"best: {sets}")


CASES = {f.__name__: f for f in (all_tracks, languages, best_unchanged, surround, copy_all, soft_telecine, refusals, dash)}

if __name__ == "__main__":
    def one():
        with tempfile.TemporaryDirectory() as tmp:
            CASES[sys.argv[1]](tmp)
    main(one)
