"""Images (issue 12 item 5): the poster and the thumbnail sprites with their WebVTT track,
checked with ffprobe/ffmpeg against the source.

    test_images.py CASE
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

from mediacheck import MEDIA_DIR, MPEGFLOW, Failure, check, ffprobe, main, run

SAMPLE = os.path.join(MEDIA_DIR, "mp4_h264_aac_640x360_17s.mp4")
ROTATED = os.path.join(MEDIA_DIR, "mov_hevc10_dovi_iphone_rot90.mov")


def encode(src, out, *extra, job=None):
    args = [MPEGFLOW, "encode", src, "-o", out, "-y", "--preset", "ultrafast", "--ladder", "144",
            "--format", "mp4", "--audio", "none", *extra]
    if job is not None:
        path = out + ".job.json"
        with open(path, "w") as f:
            json.dump(job, f)
        args += ["--job", path]
    r = run(args, timeout=240)
    check(r.returncode == 0, f"encode {os.path.basename(src)} {' '.join(extra)}: exit {r.returncode}: {r.stderr.strip()}")
    with open(os.path.join(out, "result.json")) as f:
        return json.load(f)


def job_with(images):
    return {"format": "mp4", "video": {"preset": "ultrafast", "renditions": [{"name": "144p", "height": 144}]},
            "audio": {"mode": "none"}, "images": images}


def lavfi_clip(tmp, name, graph, seconds):
    path = os.path.join(tmp, name + ".mp4")
    r = run(["ffmpeg", "-v", "error", "-y", "-filter_complex", graph, "-t", str(seconds), "-c:v", "libx264",
             "-preset", "ultrafast", "-pix_fmt", "yuv420p", path], timeout=120)
    check(r.returncode == 0, f"ffmpeg {name}: {r.stderr.strip()}")
    return path


def size_of(jpeg):
    s = ffprobe(jpeg, "-show_streams")["streams"][0]
    check(s["codec_name"] == "mjpeg", f"{jpeg}: {s['codec_name']}, not a JPEG")
    return s["width"], s["height"]


def gray(args, w, h):
    """Raw 8-bit luma of one picture that ffmpeg makes with args, w x h."""
    r = subprocess.run(["ffmpeg", "-v", "error", *args, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray",
                        "-"], capture_output=True, timeout=60)
    check(r.returncode == 0 and len(r.stdout) == w * h, f"ffmpeg {args}: {r.stderr.decode().strip()} ({len(r.stdout)} bytes)")
    return r.stdout


def psnr(a, b):
    mse = sum((x - y) ** 2 for x, y in zip(a, b)) / len(a)
    return 99.0 if mse == 0 else 10 * math.log10(255 * 255 / mse)


def source_frame(src, t, w, h):
    """The source's first frame at or after t, upright, scaled to w x h, as ffmpeg shows it."""
    return gray(["-ss", f"{t:.3f}", "-i", src, "-vf", f"scale={w}:{h}:flags=bilinear"], w, h)


def mean(px):
    return sum(px) / len(px)


def parse_vtt(path):
    text = open(path).read()
    check(text.startswith("WEBVTT\n"), f"{path}: no WEBVTT header")
    cues = []
    stamp = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"
    for m in re.finditer(stamp + r" --> " + stamp + r"\n([^\n#]+)#xywh=(\d+),(\d+),(\d+),(\d+)\n", text):
        g = m.groups()
        sec = lambda h, mi, s, ms: int(h) * 3600 + int(mi) * 60 + int(s) + int(ms) / 1000
        cues.append({"start": sec(*g[0:4]), "end": sec(*g[4:8]), "uri": g[8],
                     "x": int(g[9]), "y": int(g[10]), "w": int(g[11]), "h": int(g[12])})
    check(len(cues) == text.count(" --> "), f"{path}: {text.count(' --> ')} cues, {len(cues)} parsed")
    return cues


def video_duration(mp4):
    s = ffprobe(mp4, "-show_streams", "-select_streams", "v:0")["streams"][0]
    return float(s["duration"]), float(s["nb_frames"]) / float(s["duration"])


def check_track(out, result, mp4):
    """The track covers [0, duration] with no gap or overlap; every xywh lies inside its sheet."""
    images = result["images"]["thumbnails"]
    vtt = os.path.join(out, images["path"])
    cues = parse_vtt(vtt)
    duration, fps = video_duration(mp4)
    check(cues and cues[0]["start"] == 0, f"first cue starts at {cues[0]['start'] if cues else None}")
    for a, b in zip(cues, cues[1:]):
        check(b["start"] == a["end"], f"cue at {b['start']} does not start where the one before ended ({a['end']})")
    for c in cues:
        check(c["end"] > c["start"], f"empty cue {c}")
    check(abs(cues[-1]["end"] - duration) <= 1 / fps + 0.001,
          f"the last cue ends at {cues[-1]['end']}, the video at {duration:.3f} (ffprobe)")
    sizes = {}
    for c in cues:
        sheet = os.path.join(os.path.dirname(vtt), c["uri"])
        check(os.path.exists(sheet), f"{c['uri']} missing")
        if c["uri"] not in sizes:
            sizes[c["uri"]] = size_of(sheet)
        w, h = sizes[c["uri"]]
        check(c["x"] >= 0 and c["y"] >= 0 and c["x"] + c["w"] <= w and c["y"] + c["h"] <= h,
              f"{c['uri']}#xywh={c['x']},{c['y']},{c['w']},{c['h']} lies outside its {w}x{h} sheet")
        check((c["w"], c["h"]) == (images["tile_width"], images["tile_height"]), f"tile {c['w']}x{c['h']}")
    listed = {os.path.basename(s["path"]): (s["width"], s["height"]) for s in images["sprites"]}
    check(listed == sizes, f"result.json lists {listed}, the track uses {sizes} (ffprobe)")
    return cues, sizes


def case_sprites_17s(tmp):
    out = os.path.join(tmp, "o")
    spec = {"thumbnails": {"interval": 1, "width": 96, "columns": 4, "rows": 2}}
    result = encode(SAMPLE, out, job=job_with(spec))
    cues, sizes = check_track(out, result, os.path.join(out, "144p.mp4"))
    t = result["images"]["thumbnails"]
    duration = video_duration(os.path.join(out, "144p.mp4"))[0]
    check(len(cues) == math.ceil(duration) and t["tiles"] == len(cues), f"{len(cues)} cues for {duration:.3f} s at 1 s")
    check(t["tile_height"] == 54, f"tile height {t['tile_height']}, want 54 (96 wide, 16:9)")
    check(len(sizes) == 3 and t["sheets"] == 3, f"sheets {sorted(sizes)}: want 3 (8 + 8 + 2 tiles)")
    check(sizes["sprite-0.jpg"] == (384, 108) and sizes["sprite-2.jpg"] == (192, 54),
          f"sheet sizes {sizes}: want 384x108 full, 192x54 for the last two tiles")
    for c in cues:
        sheet = os.path.join(out, "images", c["uri"])
        crop = gray(["-i", sheet, "-vf", f"crop={c['w']}:{c['h']}:{c['x']}:{c['y']}"], c["w"], c["h"])
        ref = source_frame(SAMPLE, c["start"], c["w"], c["h"])
        check(psnr(crop, ref) > 28, f"tile at {c['start']} s: PSNR {psnr(crop, ref):.1f} dB against the source there")
    check("poster" not in result["images"], "a poster without asking")
    with open(os.path.join(out, "images", "thumbnails.vtt")) as f:
        print(f"figure: {len(cues)} cues, {len(sizes)} sheets; track head: {f.read(120)!r}")


def case_tile_times(tmp):
    """Each tile is the frame at its cue's start, not a neighbour: testsrc2 moves every frame."""
    src = lavfi_clip(tmp, "moving", "testsrc2=size=320x180:rate=25", 8)
    out = os.path.join(tmp, "o")
    result = encode(src, out, job=job_with({"thumbnails": {"interval": 2, "width": 160, "columns": 2, "rows": 2}}))
    cues, _ = check_track(out, result, os.path.join(out, "144p.mp4"))
    check([c["start"] for c in cues] == [0, 2, 4, 6], f"cue starts {[c['start'] for c in cues]}")
    for c in cues:
        crop = gray(["-i", os.path.join(out, "images", c["uri"]), "-vf", f"crop={c['w']}:{c['h']}:{c['x']}:{c['y']}"],
                    c["w"], c["h"])
        own = psnr(crop, source_frame(src, c["start"], c["w"], c["h"]))
        later = psnr(crop, source_frame(src, c["start"] + 0.52, c["w"], c["h"]))
        print(f"figure: tile {c['start']} s: {own:.1f} dB against its frame, {later:.1f} dB against 0.52 s later")
        check(own > 30 and own > later + 3, f"tile {c['start']} s: {own:.1f} dB against its frame, {later:.1f} dB later")


def check_poster(out, result, src, not_before):
    p = result["images"]["poster"]
    path = os.path.join(out, p["path"])
    w, h = size_of(path)
    check((w, h) == (p["width"], p["height"]), f"poster {w}x{h}, result.json says {p['width']}x{p['height']}")
    px = gray(["-i", path], w, h)
    check(mean(px) > 40, f"the poster is black: mean luma {mean(px):.1f} (chosen at {p['time']} s)")
    check(p["time"] >= not_before and not p["fallback"], f"poster from {p['time']} s, want >= {not_before} s: {p}")
    match = psnr(px, source_frame(src, p["time"], w, h))
    check(match > 28, f"the poster is not the source's frame at {p['time']} s: {match:.1f} dB")
    print(f"figure: poster {w}x{h} from {p['time']:.3f} s, mean luma {mean(px):.1f}, entropy {p['entropy']:.2f} bits, "
          f"{p['candidates']} candidates, {match:.1f} dB against the source frame")
    return p


def case_poster_black_start(tmp):
    """2 s of black, then a picture: the poster is not frame 0, nor any black frame."""
    src = lavfi_clip(tmp, "black2", "color=black:size=640x360:rate=25:duration=2[a];"
                     "testsrc2=size=640x360:rate=25:duration=4[b];[a][b]concat=n=2:v=1:a=0", 6)
    out = os.path.join(tmp, "o")
    result = encode(src, out, "--poster", "--thumbnails", "1")
    check_poster(out, result, src, 2.0)
    # the first tile is the black frame 0 (the sprites show the video as it is)
    c = parse_vtt(os.path.join(out, "images", "thumbnails.vtt"))[0]
    crop = gray(["-i", os.path.join(out, "images", c["uri"]), "-vf", f"crop={c['w']}:{c['h']}:{c['x']}:{c['y']}"],
                c["w"], c["h"])
    check(mean(crop) < 8, f"tile 0 mean luma {mean(crop):.1f}: the black start is not in the sprites")


def case_poster_fade(tmp):
    """A 3 s fade-in from black: the poster comes after the fade."""
    src = lavfi_clip(tmp, "fade", "testsrc2=size=640x360:rate=25,fade=t=in:st=0:d=3", 8)
    out = os.path.join(tmp, "o")
    result = encode(src, out, "--poster")
    check_poster(out, result, src, 2.7)     # after 90% of the fade
    check(not os.path.exists(os.path.join(out, "images", "thumbnails.vtt")), "thumbnails without asking")


def case_poster_size_rotated(tmp):
    """A portrait phone video (rotation 90): the poster and the tiles are upright."""
    if not os.path.exists(ROTATED):
        raise Failure(f"{ROTATED} missing")
    out = os.path.join(tmp, "o")
    result = encode(ROTATED, out, job=job_with({"poster": {"width": 360}, "thumbnails": {"width": 90}}))
    p = result["images"]["poster"]
    t = result["images"]["thumbnails"]
    check(p["height"] > p["width"] and p["width"] == 360, f"poster {p['width']}x{p['height']}: not portrait, or not 360 wide")
    check(t["tile_height"] == 160, f"tiles 90x{t['tile_height']}, want 90x160")
    px = gray(["-i", os.path.join(out, p["path"])], p["width"], p["height"])
    upright = psnr(px, source_frame(ROTATED, p["time"], p["width"], p["height"]))
    flipped = psnr(px, gray(["-ss", f"{p['time']:.3f}", "-i", ROTATED, "-vf",
                             f"scale={p['width']}:{p['height']},hflip,vflip"], p["width"], p["height"]))
    print(f"figure: rotated poster {p['width']}x{p['height']}: {upright:.1f} dB upright, {flipped:.1f} dB upside down")
    check(upright > 25 and upright > flipped + 3, f"poster {upright:.1f} dB against the upright frame, {flipped:.1f} upside down")
    check_track(out, result, os.path.join(out, "144p.mp4"))


def case_off_by_default(tmp):
    """No images unless asked; asking changes nothing else: the same frames decoded, the same MP4."""
    out = os.path.join(tmp, "o")
    with_images = encode(SAMPLE, out, "--poster", "--thumbnails")
    check(os.path.isdir(os.path.join(out, "images")), "no images/")
    check(with_images["images"]["thumbnails"]["interval"] == 10, f"--thumbnails alone: {with_images['images']}")
    plain = encode(SAMPLE, out)          # -y: the earlier run's images/ goes too
    check("images" not in plain, f"result.json has images: {plain.get('images')}")
    check(not os.path.exists(os.path.join(out, "images")), "images/ of the earlier run stayed after -y")
    # an images/ folder of someone else's is not taken for an earlier run's, nor removed
    mine = os.path.join(out, "images", "mine.png")
    os.makedirs(os.path.dirname(mine))
    open(mine, "w").close()
    encode(SAMPLE, out, "--poster")
    encode(SAMPLE, out)
    check(os.listdir(os.path.dirname(mine)) == ["mine.png"], f"images/ after -y: {os.listdir(os.path.dirname(mine))}")
    check(plain["input_frames"] == with_images["input_frames"],
          f"decoded frames {plain['input_frames']} without images, {with_images['input_frames']} with")
    packets = len(ffprobe(SAMPLE, "-select_streams", "v:0", "-show_entries", "packet=pts")["packets"])
    check(plain["input_frames"] == packets, f"{plain['input_frames']} frames decoded, the source has {packets}")


def case_cli(tmp):
    out = os.path.join(tmp, "o")
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--thumbnails", "soon"], timeout=30)
    check(r.returncode == 2, f"--thumbnails soon: exit {r.returncode}")     # 'soon' is a second INPUT
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--thumbnails=0"], timeout=30)
    check(r.returncode == 2 and "--thumbnails" in r.stderr, f"--thumbnails=0: exit {r.returncode}: {r.stderr.strip()}")
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--thumbnails", "0.2"], timeout=30)
    check(r.returncode == 2 and "images.thumbnails.interval" in r.stderr,
          f"--thumbnails 0.2: exit {r.returncode}: {r.stderr.strip()}")
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        json.dump(job_with({"thumbnails": {"colums": 4}}), f)
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--job", bad], timeout=30)
    check(r.returncode == 2 and 'images.thumbnails.colums: unknown field (did you mean "columns"?)' in r.stderr,
          f"bad job: exit {r.returncode}: {r.stderr.strip()}")
    check(not os.path.exists(out), "an output folder was made for a refused command")
    result = encode(SAMPLE, out, "--thumbnails=4", "--ladder", "144")
    check(result["images"]["thumbnails"]["interval"] == 4 and result["images"]["thumbnails"]["tiles"] == 5,
          f"--thumbnails=4: {result['images']}")


def case_unwritable(tmp):
    """images/ cannot be made: the job fails naming it, and leaves nothing behind."""
    out = os.path.join(tmp, "o")
    os.makedirs(out)
    open(os.path.join(out, "images"), "w").close()     # a file where the folder goes
    r = run([MPEGFLOW, "encode", SAMPLE, "-o", out, "--ladder", "144", "--format", "mp4", "--poster"], timeout=60)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 1 and lines and "images" in lines[-1], f"exit {r.returncode}: {r.stderr.strip()}")
    check(sorted(os.listdir(out)) == ["images"], f"left behind: {sorted(os.listdir(out))}")


def case_hls_image_playlist(tmp):
    """With HLS, the master lists the sprites as an image stream whose segments are the sheets."""
    out = os.path.join(tmp, "o")
    args = ["--format", "hls", "--thumbnails", "1", "--audio", "none"]
    spec = {"thumbnails": {"interval": 1, "columns": 4, "rows": 2}}
    job = dict(job_with(spec), format="hls")
    result = encode(SAMPLE, out, *args, job=job)
    t = result["images"]["thumbnails"]
    check(t.get("hls") == "images/thumbnails.m3u8", f"result.json: {t}")
    master = open(os.path.join(out, "hls", "master.m3u8")).read().splitlines()
    inf = [line for line in master if line.startswith("#EXT-X-IMAGE-STREAM-INF:")]
    check(len(inf) == 1 and 'URI="../images/thumbnails.m3u8"' in inf[0] and "RESOLUTION=160x90" in inf[0]
          and 'CODECS="jpeg"' in inf[0], f"master: {inf}")
    pl = open(os.path.join(out, "images", "thumbnails.m3u8")).read()
    segs = re.findall(r"#EXTINF:([\d.]+),\n#EXT-X-TILES:RESOLUTION=160x90,LAYOUT=4x2,DURATION=1.000\n(sprite-\d+\.jpg)\n", pl)
    check([s for _, s in segs] == [os.path.basename(x["path"]) for x in t["sprites"]], f"segments {segs}, sprites {t['sprites']}")
    check(all(abs(float(d) - 8) < 1e-9 for d, _ in segs[:-1]), f"full sheets last {[d for d, _ in segs]}, want 8 s")
    hls_duration = sum(float(d) for d, _ in segs)
    video = float(ffprobe(os.path.join(out, "hls", "144p", "index.m3u8"), "-show_format")["format"]["duration"])
    check(abs(hls_duration - result["outputs"][0]["duration"]) < 0.002,
          f"image playlist {hls_duration:.3f} s, video {result['outputs'][0]['duration']} s (ffprobe: {video:.3f})")
    target = int(re.search(r"#EXT-X-TARGETDURATION:(\d+)", pl).group(1))
    check(target == 8 and pl.rstrip().endswith("#EXT-X-ENDLIST") and "#EXT-X-IMAGES-ONLY" in pl, f"playlist:\n{pl}")
    # "hls": false leaves the master as it was
    job["images"]["thumbnails"]["hls"] = False
    result = encode(SAMPLE, out, *args, job=job)
    check("hls" not in result["images"]["thumbnails"], f"result.json: {result['images']}")
    check("IMAGE-STREAM" not in open(os.path.join(out, "hls", "master.m3u8")).read(), "master lists images with hls false")
    check(not os.path.exists(os.path.join(out, "images", "thumbnails.m3u8")), "image playlist with hls false")


def case_worker_upload(tmp):
    """The worker uploads the images like the other outputs, as image/jpeg and text/vtt."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import servers
    from workerharness import Harness, clip, small_job
    # The storage's access log in the "mf" format, which has the request's Content-Type.
    conf = servers.nginx_conf
    servers.nginx_conf = lambda tmp, *a, **k: conf(tmp, *a, **dict(k, access_log=f"{tmp}/access.log mf"))
    h = Harness()
    ok = False
    try:
        h.upload("uploads/img/source.mp4", clip("images", "320x180", 3))
        h.worker("w1")
        job = small_job("img", "uploads/img/source.mp4")
        job["images"] = {"poster": True, "thumbnails": {"interval": 1, "columns": 2, "rows": 1}}
        h.xadd(job)
        hs = h.wait_state("img", ["succeeded", "failed"], 90)
        check(hs["state"] == "succeeded", f"job {hs.get('state')}: {hs.get('error')}")
        images = json.loads(hs["result"])["images"]
        files = [images["poster"]["path"], images["thumbnails"]["path"]] + [s["path"] for s in images["thumbnails"]["sprites"]]
        check(len(files) == 4, f"files {files}: want the poster, the track and 2 sheets")
        with open(os.path.join(h.nginx.dir, "access.log")) as f:
            log = f.read().splitlines()
        for rel in files:
            check(os.path.exists(os.path.join(h.output("out/img"), rel)), f"{rel} not uploaded")
            want = "text/vtt" if rel.endswith(".vtt") else "image/jpeg"
            puts = [line for line in log if line.startswith(f"PUT /media/out/img/{rel} ")]
            check(puts and all(line.endswith(f" type={want}") for line in puts), f"{rel}: PUT lines {puts}, want type={want}")
        ok = True
    finally:
        h.close(ok)


def case_dash_thumbnails(tmp):
    """With DASH (dash, cmaf), the MPD has an image AdaptationSet (DASH-IF thumbnail_tile) whose
    SegmentTemplate names every sheet, each spanning columns x rows x interval."""
    import xml.etree.ElementTree as ET
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    spec = {"thumbnails": {"interval": 1, "columns": 4, "rows": 2}}
    for fmt, folder in [("dash", "dash"), ("cmaf", "hls")]:
        out = os.path.join(tmp, fmt)
        result = encode(SAMPLE, out, "--format", fmt, "--thumbnails", "1", job=dict(job_with(spec), format=fmt))
        t = result["images"]["thumbnails"]
        mpd_path = os.path.join(out, folder, "manifest.mpd")
        mpd = ET.parse(mpd_path).getroot()
        sets = [a for a in mpd.iterfind("d:Period/d:AdaptationSet", ns) if a.get("contentType") == "image"]
        check(len(sets) == 1 and sets[0].get("mimeType") == "image/jpeg", f"{fmt}: image sets {len(sets)}")
        st = sets[0].find("d:SegmentTemplate", ns)
        rep = sets[0].find("d:Representation", ns)
        prop = rep.find("d:EssentialProperty", ns)
        span = int(st.get("duration")) / int(st.get("timescale"))
        check(st.get("media") == "../images/sprite-$Number$.jpg" and st.get("startNumber") == "0" and abs(span - 8) < 1e-9,
              f"{fmt}: SegmentTemplate {st.attrib}, sheet span {span} s (want 4 x 2 x 1 s)")
        check(prop is not None and prop.get("schemeIdUri") == "http://dashif.org/thumbnail_tile" and prop.get("value") == "4x2"
              and rep.get("width") == str(4 * t["tile_width"]) and rep.get("height") == str(2 * t["tile_height"]),
              f"{fmt}: Representation {rep.attrib}, {prop.attrib if prop is not None else None}")
        duration = float(re.match(r"PT([\d.]+)S", mpd.get("mediaPresentationDuration")).group(1))
        n = math.ceil(duration / span - 1e-9)
        names = [os.path.normpath(os.path.join(out, folder, st.get("media").replace("$Number$", str(k)))) for k in range(n)]
        check(names == [os.path.join(out, x["path"]) for x in t["sprites"]] and all(map(os.path.isfile, names)),
              f"{fmt}: the template names {n} sheets for {duration} s, written {[x['path'] for x in t['sprites']]}")
        mpd_out = [o for o in result["outputs"] if o["kind"] == "mpd"]
        check(mpd_out and mpd_out[0]["bytes"] == os.path.getsize(mpd_path), f"{fmt}: result.json mpd {mpd_out}")
        print(f"{fmt}: image set over {n} sheets of {span} s, {duration} s")
    # without thumbnails: no image set
    out = os.path.join(tmp, "plain")
    encode(SAMPLE, out, "--format", "dash")
    check('contentType="image"' not in open(os.path.join(out, "dash", "manifest.mpd")).read(), "image set without thumbnails")

CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in CASES:
        print(f"usage: {sys.argv[0]} {{{'|'.join(CASES)}}}", file=sys.stderr)
        sys.exit(2)
    tmp = tempfile.mkdtemp(prefix="mpegflow-images-")
    try:
        main(lambda: CASES[name](tmp))
    finally:
        subprocess.run(["rm", "-rf", tmp])
