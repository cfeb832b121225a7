"""bench smoke test: `mpegflow bench --vs-ffmpeg --runs 1` on a 2-second
generated clip (picture and sound). The JSON must hold sane figures: the same
frame count for us, for ffmpeg and for the source; PSNR and SSIM computed for
every rendition of both; ratios that follow from the numbers next to them;
and the chart must be legible (check_chart). The table must be printed.
"""
import json
import math
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

from mediacheck import MPEGFLOW, Failure, SkipTest, check, main, run

FRAMES, FPS = 60, 30
LADDER = [(360, 640), (240, 426)]
# Longer than the chart's name column: the chart must shorten it, not run off the canvas.
CLIP = "a_sample_with_a_rather_long_file_name_that_the_chart_must_shorten_640x360_30fps.mp4"
SVG = "{http://www.w3.org/2000/svg}"
CHAR_EM = 0.6  # rough width of a sans-serif character, as bench_svg.h estimates it


def close(a, b, rel=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def make_clip(path):
    r = run(["ffmpeg", "-hide_banner", "-v", "error", "-y",
             "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}:duration={FRAMES / FPS}",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
             "-c:v", "libx264", "-preset", "ultrafast", "-qp", "10", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-shortest", path])
    check(r.returncode == 0, f"cannot make the test clip: {r.stderr}")


def check_side(name, side, source):
    check(side["ok"], f"{name}: not ok: {side.get('error')}")
    check(side["frames"] == FRAMES, f"{name}: {side['frames']} frames, the clip has {FRAMES}")
    check(len(side["runs"]) == 1, f"{name}: {len(side['runs'])} runs, asked for 1")
    run0 = side["runs"][0]
    check(run0["wall"] > 0 and run0["cpu"] > 0 and run0["max_rss_kb"] > 1000,
          f"{name}: implausible run figures {run0}")
    check(close(run0["cpu"], run0["user"] + run0["sys"]), f"{name}: cpu != user + sys")
    for k in ("wall", "cpu"):
        st = side[k]
        check(st["min"] <= st["median"] <= st["max"], f"{name}: {k} not min <= median <= max: {st}")
        check(close(st["median"], run0[k]), f"{name}: median {k} of one run is not that run's")
    check(close(side["fps"], side["frames"] / side["wall"]["median"]), f"{name}: fps != frames / wall")
    check(close(side["speed"], source["duration"] / side["wall"]["median"]), f"{name}: speed != duration / wall")
    names = [r["name"] for r in side["renditions"]]
    check(names == [f"{h}p" for h, _ in LADDER], f"{name}: renditions {names}")
    for r, (h, w) in zip(side["renditions"], LADDER):
        check((r["width"], r["height"]) == (w, h), f"{name} {r['name']}: {r['width']}x{r['height']}")
        check(r["frames"] == FRAMES, f"{name} {r['name']}: {r['frames']} frames")
        check(r["bitrate"] > 10000, f"{name} {r['name']}: bitrate {r['bitrate']}")
        check(close(r["bitrate"], r["video_bytes"] * 8 / r["duration"]), f"{name} {r['name']}: bitrate != bytes / duration")
        check(r["psnr"] is not None and r["psnr"] > 30, f"{name} {r['name']}: PSNR {r['psnr']}")
        check(r["ssim"] is not None and 0.9 < r["ssim"] <= 1, f"{name} {r['name']}: SSIM {r['ssim']}")


def classes(e):
    return e.get("class", "").split()


def number(s):
    return float(s.replace("\u2212", "-"))


def check_round_ticks(axis, texts):
    vals = [number(t.text) for t in texts]
    check(len(vals) >= 3, f"chart: {len(vals)} ticks on the {axis} axis")
    step = vals[1] - vals[0]
    check(step > 0 and all(math.isclose(b - a, step, rel_tol=1e-6) for a, b in zip(vals, vals[1:])),
          f"chart: {axis} ticks not evenly spaced: {vals}")
    mant = step / 10 ** math.floor(math.log10(step) + 1e-9)
    check(any(math.isclose(mant, m, rel_tol=1e-6) for m in (1, 2, 5)), f"chart: {axis} tick step {step} is not 1-2-5")
    check(all(math.isclose(v / step, round(v / step), abs_tol=1e-6) for v in vals),
          f"chart: {axis} ticks not multiples of their step: {vals}")
    return vals


def check_fits(e, width, height):
    """Every text's estimated extent lies on the canvas (rotated ones vertically)."""
    size, x, y = float(e.get("font-size")), float(e.get("x")), float(e.get("y"))
    w = len(e.text or "") * CHAR_EM * size
    lo = {"start": 0, "middle": -w / 2, "end": -w}[e.get("text-anchor", "start")]
    if e.get("transform", "").startswith("rotate(-90"):
        check(0 <= y + lo and y + lo + w <= height and x - size >= 0, f"chart: text off the canvas: {e.text!r}")
    else:
        check(0 <= x + lo and x + lo + w <= width and 0 <= y - size and y <= height,
              f"chart: text {e.text!r} ({w:.0f} px at x {x:.0f}, {e.get('text-anchor')}) off the {width} px canvas")


def check_chart(path, doc):
    """The chart: XML; axis labels with units; round ticks; one marker shape per series;
    every run a marker, a whisker and a median per side and metric at the JSON's figures;
    overlapping series kept apart; the ffmpeg version in the legend; texts that fit."""
    root = ET.parse(path).getroot()
    check(root.tag == SVG + "svg", f"chart: root element {root.tag}")
    width, height = int(root.get("width")), int(root.get("height"))
    texts = list(root.iter(SVG + "text"))
    for t in texts:
        check_fits(t, width, height)
    f0 = doc["files"][0]
    dur, runs = f0["source"]["duration"], doc["settings"]["runs"]
    labels = {t.get("data-axis"): t.text for t in texts if "axis-label" in classes(t)}
    for axis, unit in (("wall", "s per second"), ("cpu", "s per second"), ("bitrate", "kbit/s"), ("psnr", "dB")):
        check(unit in (labels.get(axis) or ""), f"chart: {axis} axis label {labels.get(axis)!r} lacks {unit!r}")
    ticks = {axis: [t for t in texts if "tick" in classes(t) and t.get("data-axis") == axis]
             for axis in ("wall", "cpu", "bitrate", "psnr")}
    scale = {}
    for axis, tt in ticks.items():
        vals = check_round_ticks(axis, tt)
        x0, x1 = (float(tt[k].get("x" if axis != "psnr" else "y")) for k in (0, -1))
        scale[axis] = lambda px, x0=x0, x1=x1, v0=vals[0], v1=vals[-1]: v0 + (px - x0) * (v1 - v0) / (x1 - x0)
    names = [t.text for t in texts if "file" in classes(t)]
    check(len(names) == 1 and names[0].endswith(".mp4") and "\u2026" in names[0] and len(names[0]) < len(CLIP),
          f"chart: the long file name is not shortened: {names}")
    version = doc["settings"]["ffmpeg"]["version"].split(" Copyright")[0]
    check(any(version in (t.text or "") for t in texts if "legend" in classes(t)),
          f"chart: no {version!r} in the legend")
    shapes = {}
    for side in ("mpegflow", "ffmpeg"):
        for e in root.iter():
            c = classes(e)
            if c[:1] in (["run"], ["point"]) and side in c:
                shapes.setdefault(side, set()).add(e.tag)
        check(len(shapes.get(side, ())) == 1, f"chart: {side} markers have shapes {shapes.get(side)}")
        points = [e for e in root.iter() if classes(e) == ["point", side]]
        check(len(points) == len(LADDER), f"chart: {len(points)} {side} quality points, {len(LADDER)} renditions")
        for e, r in zip(points, f0[side]["renditions"]):
            half = float(e.get("r") or float(e.get("width")) / 2)
            cx = float(e.get("cx") or float(e.get("x")) + half)
            cy = float(e.get("cy") or float(e.get("y")) + half)
            kbit, db = scale["bitrate"](cx), scale["psnr"](cy)
            check(abs(kbit - r["bitrate"] / 1e3) < 2 and abs(db - r["psnr"]) < 0.02,
                  f"chart: {side} {r['name']} drawn at {kbit:.1f} kbit/s, {db:.3f} dB; the JSON says "
                  f"{r['bitrate'] / 1e3:.1f}, {r['psnr']:.3f}")
        for axis in ("wall", "cpu"):
            of = lambda kind: [e for e in root.iter() if classes(e) == [kind, side] and e.get("data-axis") == axis]
            dots, whiskers, medians = of("run"), of("whisker"), of("median")
            check(len(dots) == runs and len(whiskers) == 1 and len(medians) == 1,
                  f"chart: {side} {axis}: {len(dots)} run markers for {runs} runs, {len(whiskers)} whiskers, "
                  f"{len(medians)} medians")
            st = f0[side][axis]
            got = scale[axis](float(medians[0].get("x1")))
            span = number(ticks[axis][-1].text) - number(ticks[axis][0].text)
            check(abs(got - st["median"] / dur) < 0.01 * span,
                  f"chart: {side} {axis} median drawn at {got:.4f}, the JSON says {st['median'] / dur:.4f}")
    # Equal figures stay visible: the two series' runs lie on separate rows,
    # and ffmpeg's quality points are hollow squares around our filled circles.
    rows = {side: {e.get("cy") or e.get("y") for e in root.iter() if classes(e) == ["run", side]}
            for side in ("mpegflow", "ffmpeg")}
    check(not rows["mpegflow"] & rows["ffmpeg"], f"chart: the two series' runs share a row: {rows}")
    check(shapes["mpegflow"] != shapes["ffmpeg"], f"chart: both series drawn as {shapes['mpegflow']}")
    check(all(e.get("fill") == "none" for e in root.iter() if classes(e) == ["point", "ffmpeg"]),
          "chart: ffmpeg's quality points are not hollow")


def test():
    with tempfile.TemporaryDirectory() as d:
        clip, js, svg = (os.path.join(d, n) for n in (CLIP, "bench.json", "bench.svg"))
        make_clip(clip)
        r = run([MPEGFLOW, "bench", clip, "--vs-ffmpeg", "--runs", "1",
                 "--ladder", ",".join(str(h) for h, _ in LADDER), "--preset", "veryfast",
                 "--json", js, "--chart", svg, "--workdir", d], timeout=120)
        check(r.returncode == 0, f"bench failed ({r.returncode}): {r.stderr[-2000:]}")
        check("mpegflow" in r.stdout and "ratio" in r.stdout and "TOTAL" in r.stdout,
              f"no table on stdout: {r.stdout}")
        with open(js) as f:
            b = json.load(f)
        check(b["settings"]["runs"] == 1 and b["settings"]["vs_ffmpeg"], f"settings: {b['settings']}")
        check(b["host"]["cores"] >= 1 and len(b["host"]["load_before"]) == 3, f"host: {b['host']}")
        check(len(b["files"]) == 1, f"{len(b['files'])} files")
        f0 = b["files"][0]
        check(f0["ok"], f"file not ok: {f0.get('error')}")
        check(f0["source"]["width"] == 640 and f0["source"]["audio"], f"source: {f0['source']}")
        ours, ff = f0["mpegflow"], f0["ffmpeg"]
        check_side("mpegflow", ours, f0["source"])
        check_side("ffmpeg", ff, f0["source"])
        ratio = f0["ratio"]
        for k, field in (("wall", "wall"), ("cpu", "cpu"), ("rss", "rss_mb")):
            check(close(ratio[k], ours[field]["median"] / ff[field]["median"]),
                  f"ratio.{k} {ratio[k]} is not {ours[field]['median']} / {ff[field]['median']}")
        for rr, a, c in zip(ratio["renditions"], ours["renditions"], ff["renditions"]):
            check(close(rr["bitrate"], a["bitrate"] / c["bitrate"]), f"{rr['name']}: bitrate ratio")
            check(close(rr["psnr_delta"], a["psnr"] - c["psnr"]), f"{rr['name']}: PSNR delta")
            # Same settings, same scaler: the two encodes must be close.
            check(abs(rr["psnr_delta"]) < 1.0, f"{rr['name']}: PSNR {a['psnr']:.2f} vs ffmpeg {c['psnr']:.2f}")
        total = b["total"]
        check(total["files"] == 1 and total["mpegflow"]["frames"] == FRAMES, f"total: {total}")
        check(close(total["ratio"]["wall"], total["mpegflow"]["wall"] / total["ffmpeg"]["wall"]), "total wall ratio")
        check_chart(svg, b)
        leftovers = [n for n in os.listdir(d) if n.startswith("mpegflow-bench-")]
        check(not leftovers, f"work directories left behind: {leftovers}")
        print(f"mpegflow wall {ours['wall']['median']:.2f} s, ffmpeg {ff['wall']['median']:.2f} s, "
              f"ratio {ratio['wall']:.3f}; PSNR {ours['renditions'][0]['psnr']:.2f} dB")


def test_worker():
    """bench --worker: the same job through redis-server + nginx + mpegflow worker."""
    for tool in ("redis-server", "nginx"):
        if not shutil.which(tool):
            raise SkipTest(f"{tool} not installed")
    with tempfile.TemporaryDirectory() as d:
        clip, js = os.path.join(d, "clip.mp4"), os.path.join(d, "bench.json")
        make_clip(clip)
        r = run([MPEGFLOW, "bench", clip, "--worker", "--runs", "1", "--no-quality", "--ladder", "240",
                 "--json", js, "--workdir", d], timeout=120)
        check(r.returncode == 0, f"bench --worker failed ({r.returncode}): {r.stderr[-2000:]}")
        check("overhead" in r.stdout, f"no worker line in the table: {r.stdout}")
        with open(js) as f:
            w = json.load(f)["files"][0]["worker"]
        check(w["runs"] == 1 and w["local_wall"]["median"] > 0 and w["worker_wall"]["median"] > 0, f"worker: {w}")
        check(close(w["overhead"], w["worker_wall"]["median"] / w["local_wall"]["median"] - 1), "overhead")
        check(w["worker_cpu"]["median"] > 0 and 1 < w["idle_rss_mb"] < 500, f"worker: {w}")
        check(0 <= w["pickup"]["median"] < 10, f"job pickup: {w['pickup']}")
        leftovers = [n for n in os.listdir(d) if n.startswith("mpegflow-bench-")]
        check(not leftovers, f"work directories left behind: {leftovers}")
        print(f"worker overhead {100 * w['overhead']:+.1f}%, idle RSS {w['idle_rss_mb']:.1f} MB, "
              f"pickup {1e3 * w['pickup']['median']:.0f} ms")


def test_ffmpeg_command():
    """bench --ffmpeg 'CMD': the CLI compared with is a command prefix (chroot DIR ffmpeg for
    FFmpeg 7.1 in a Debian 13 root); its version is recorded; under a chroot, files outside
    DIR are refused with a message that says what to do."""
    with tempfile.TemporaryDirectory() as d:
        clip, js = os.path.join(d, "clip.mp4"), os.path.join(d, "bench.json")
        make_clip(clip)
        r = run([MPEGFLOW, "bench", clip, "--vs-ffmpeg", "--runs", "1", "--no-quality", "--ladder", "240",
                 "--ffmpeg", "env ffmpeg", "--json", js, "--workdir", d], timeout=120)
        check(r.returncode == 0, f"bench --ffmpeg 'env ffmpeg' failed ({r.returncode}): {r.stderr[-2000:]}")
        with open(js) as f:
            doc = json.load(f)
        ff = doc["settings"]["ffmpeg"]
        check(ff["command"] == ["env", "ffmpeg"], f"command recorded: {ff}")
        check(ff["version"].startswith("ffmpeg version "), f"version recorded: {ff}")
        check("ffmpeg CLI: ffmpeg version" in r.stdout, f"no version line in the table: {r.stdout[:400]}")
        check(doc["files"][0]["ffmpeg"]["ok"], f"the ffmpeg side did not run: {doc['files'][0]}")
        root = os.path.join(d, "root")
        os.makedirs(os.path.join(root, "work"))
        r = run([MPEGFLOW, "bench", clip, "--vs-ffmpeg", "--runs", "1", "--no-quality", "--ladder", "240",
                 "--ffmpeg", f"chroot {root} ffmpeg", "--workdir", d], timeout=60)
        check(r.returncode == 2 and "--workdir" in r.stderr and "must lie inside it" in r.stderr,
              f"a work folder outside the chroot: ({r.returncode}) {r.stderr[-500:]}")
        if os.geteuid() == 0 and shutil.which("chroot"):
            # A root without ffmpeg: '-version' fails there, and the message says so.
            r = run([MPEGFLOW, "bench", clip, "--vs-ffmpeg", "--runs", "1", "--no-quality",
                     "--ffmpeg", f"chroot {root} ffmpeg", "--workdir", os.path.join(root, "work")], timeout=60)
            check(r.returncode == 2 and "'-version' failed" in r.stderr,
                  f"a chroot without ffmpeg: ({r.returncode}) {r.stderr[-500:]}")


def test_split():
    """bench --split S --workers 2 --pin: the split encode against the unsplit one, 1 pinned worker
    too, frames equal per rung, and the model of a 2-hour film from the figures measured."""
    with tempfile.TemporaryDirectory() as d:
        clip, js = os.path.join(d, "clip.mp4"), os.path.join(d, "bench.json")
        r = run(["ffmpeg", "-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i",
                 f"testsrc2=size=320x180:rate={FPS}:duration=6", "-c:v", "libx264", "-preset", "ultrafast",
                 "-g", "30", "-pix_fmt", "yuv420p", clip])
        check(r.returncode == 0, f"cannot make the test clip: {r.stderr}")
        r = run([MPEGFLOW, "bench", clip, "--runs", "1", "--no-quality", "--ladder", "180,144", "--gop", "1",
                 "--threads", "1", "--split", "2", "--workers", "2", "--pin", "--json", js, "--workdir", d],
                timeout=120)
        check(r.returncode == 0, f"bench --split failed ({r.returncode}): {r.stderr[-2000:]}")
        with open(js) as f:
            doc = json.load(f)["files"][0]
        sp, un = doc["split"], doc["mpegflow"]
        check(sp["chunks"] == 3 and sp["workers"] == 2 and sp["pin"] and sp["frames_equal"], f"split: {sp}")
        check(sp["wall"]["median"] > 0 and sp["cpu"]["median"] > 0, f"split figures: {sp}")
        check(0 < sp["chunks_s"]["median"] <= sp["wall"]["median"] and sp["stitch_s"]["median"] >= 0, f"{sp}")
        one = sp["one_pinned"]
        check(one["wall"]["median"] >= one["chunks_s"]["median"] > 0, f"1 pinned worker: {one}")
        check("2 vs 1 pinned wall x" in r.stdout and "stops scaling at 3600 pods" in r.stdout,
              f"no split or model lines in the table: {r.stdout}")
        ratio = float(r.stdout.split("wall x", 1)[1].split(",", 1)[0])
        check(close(ratio, sp["wall"]["median"] / un["wall"]["median"], 2e-3),
              f"split/unsplit wall ratio {ratio} vs the JSON {sp['wall']} / {un['wall']}")
        print(f"split 2 s x 2 pinned: wall {sp['wall']['median']:.2f} s vs 1 pinned {one['wall']['median']:.2f} s")


if __name__ == "__main__":
    which = {"worker": test_worker, "ffmpeg_command": test_ffmpeg_command, "split": test_split}
    main(which.get(sys.argv[1] if sys.argv[1:] else "", test))
