"""bench smoke test: `mpegflow bench --vs-ffmpeg --runs 1` on a 2-second
generated clip (picture and sound). The JSON must hold sane figures: the same
frame count for us, for ffmpeg and for the source; PSNR and SSIM computed for
every rendition of both; ratios that follow from the numbers next to them;
and the chart must be an SVG. The table must be printed.
"""
import json
import math
import os
import shutil
import sys
import tempfile

from mediacheck import MPEGFLOW, Failure, SkipTest, check, main, run

FRAMES, FPS = 60, 30
LADDER = [(360, 640), (240, 426)]


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


def test():
    with tempfile.TemporaryDirectory() as d:
        clip, js, svg = (os.path.join(d, n) for n in ("clip.mp4", "bench.json", "bench.svg"))
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
        with open(svg) as f:
            s = f.read()
        check(s.startswith("<svg") and s.rstrip().endswith("</svg>") and "<circle" in s, "chart is not an SVG with points")
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


if __name__ == "__main__":
    which = {"worker": test_worker, "ffmpeg_command": test_ffmpeg_command}
    main(which.get(sys.argv[1] if sys.argv[1:] else "", test))
