"""Queue worker integration tests (issue 3): the real binary against a real
redis-server and nginx (DAV PUT) on loopback.

usage: test_worker.py CASE      (figures measured along the way are printed as "figure: ...")
"""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import (DEAD, EVENTS, MPEGFLOW, PREFIX, STREAM, Failure, check, clip,  # noqa: E402
                           cpu_seconds, entry_ms, http_get, main, rss_kib, slow_job, small_job)
from servers import RedisServer, free_port  # noqa: E402


def succeeded_events(h, job_id):
    return [e for _, e in h.events(job_id) if e["state"] == "succeeded"]


def case_end_to_end(h):
    src = clip("e2e", "320x180", 2, audio=True)
    h.upload("uploads/e2e/source.mp4", src)
    w = h.worker("w1")
    job = small_job("e2e", "uploads/e2e/source.mp4", fmt="both", preset="veryfast")
    job["audio"] = {"mode": "aac", "bitrate": "96k", "channels": 2}
    with open(os.path.join(h.tmp, "job.json"), "w") as f:
        json.dump(job, f)
    env = dict(os.environ, MPEGFLOW_REDIS_URL=h.redis.url)
    t0 = time.monotonic()
    r = subprocess.run([MPEGFLOW, "submit", os.path.join(h.tmp, "job.json"), "--wait", "--timeout", "60"],
                       env=env, capture_output=True, text=True, timeout=90)
    e2e = time.monotonic() - t0
    check(r.returncode == 0, f"submit --wait: exit {r.returncode}: {r.stderr}")
    result = json.loads(r.stdout)
    check(result["outputs"], f"no outputs in the printed result: {r.stdout}")

    hs = h.job("e2e")
    check(hs["state"] == "succeeded", f"hash {hs}")
    check(float(hs["progress"]) == 100, f"progress {hs['progress']}")
    check(hs["attempt"] == "1" and hs["worker"] and "error" not in hs, f"hash {hs}")
    for f in ("created_at", "started_at", "finished_at"):
        check(hs.get(f, "").endswith("Z"), f"{f} missing: {hs}")
    check(json.loads(hs["result"]) == result, "hash result differs from the printed one")
    states = [e["state"] for _, e in h.events("e2e")]
    check(states == ["queued", "running", "succeeded"], f"events {states}")
    check(h.r("XLEN", STREAM) == 0, "stream not empty")
    check(h.r("XPENDING", STREAM, "workers")[0] == 0, "entries still pending")

    # Every output of the manifest is in storage, and result.json came last.
    outdir = h.output("out/e2e")
    files = [os.path.join(d, f) for d, _, fs in os.walk(outdir) for f in fs]
    for o in result["outputs"]:
        check(os.path.exists(os.path.join(outdir, o["path"])), f"{o['path']} not uploaded")
    manifest = os.path.join(outdir, "result.json")
    check(os.path.exists(manifest), "result.json not uploaded")
    last = max(files, key=lambda p: os.stat(p).st_mtime_ns)
    check(os.stat(manifest).st_mtime_ns >= os.stat(last).st_mtime_ns, f"result.json not last ({last})")
    check(json.load(open(manifest)) == result, "uploaded result.json differs")
    left = h.scratch_left()
    check(not left, f"scratch left behind: {left}")

    st = subprocess.run([MPEGFLOW, "status", "e2e"], env=env, capture_output=True, text=True, timeout=10)
    check(st.returncode == 0 and json.loads(st.stdout)["state"] == "succeeded", f"status: {st.stdout} {st.stderr}")
    st = subprocess.run([MPEGFLOW, "status", "nope"], env=env, capture_output=True, text=True, timeout=10)
    check(st.returncode == 1 and "no job" in st.stderr, f"status of a missing job: {st.returncode} {st.stderr}")

    # Figures: pickup latency and end-to-end against a local encode of the same file.
    pickup = [h.event_time("e2e", "running") - h.event_time("e2e", "queued")]
    for i in range(4):
        jid = f"lat{i}"
        h.xadd(small_job(jid, "uploads/e2e/source.mp4"))
        h.wait_state(jid, ["succeeded"], 30)
        pickup.append(h.event_time(jid, "running") - entry_ms(h.events(jid)[0][0]))
    jf = os.path.join(h.tmp, "local.json")
    with open(jf, "w") as f:
        json.dump({k: v for k, v in job.items() if k not in ("id", "input", "output_prefix")}, f)
    t0 = time.monotonic()
    r = subprocess.run([MPEGFLOW, "encode", src, "-o", os.path.join(h.tmp, "local"), "--job", jf],
                       capture_output=True, text=True, timeout=60)
    local = time.monotonic() - t0
    check(r.returncode == 0, f"encode: {r.stderr}")
    print(f"figure: pickup latency XADD->running ms: {pickup}")
    print(f"figure: end-to-end submit --wait {e2e:.3f}s vs mpegflow encode {local:.3f}s")
    print(f"figure: idle worker RSS {rss_kib(w.pid)} KiB")


def case_audio_tracks(h):
    """Issue 12: a job with audio.tracks ["fr", "en"]: both renditions uploaded, in the master."""
    src = os.path.join(h.tmp, "two.mkv")
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2",
                        "-f", "lavfi", "-i", "sine=f=440:duration=2", "-f", "lavfi", "-i", "sine=f=880:duration=2",
                        "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                        "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre", src],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, f"ffmpeg: {r.stderr}")
    h.upload("uploads/at/source.mkv", src)
    h.worker("w1")
    job = small_job("at", "uploads/at/source.mkv", fmt="both")
    job["audio"] = {"mode": "aac", "tracks": ["fr", "en"]}
    h.xadd(job)
    hs = h.wait_state("at", ["succeeded", "failed"], 60)
    check(hs["state"] == "succeeded", f"hash {hs}")
    result = json.loads(hs["result"])
    check([t["language"] for t in result["audio_tracks"]] == ["fr", "en"], f"audio_tracks {result['audio_tracks']}")
    outdir = h.output("out/at")
    for p in ("hls/audio_fr/index.m3u8", "hls/audio_fr/init.mp4", "hls/audio_en/index.m3u8", "180p.mp4"):
        check(os.path.exists(os.path.join(outdir, p)), f"{p} not uploaded")
    with open(os.path.join(outdir, "hls", "master.m3u8")) as f:
        master = f.read()
    check('LANGUAGE="fr"' in master and 'LANGUAGE="en"' in master, master)


def case_subtitles(h):
    """The SRT sample's subtitle track: its sidecar and HLS WebVTT uploaded as text/vtt, listed in the result."""
    src = os.path.join(os.environ.get("MEDIA_DIR", ""), "mkv_h264_ac3_srt_1080x720.mkv")
    check(os.path.exists(src), f"{src} missing (MEDIA_DIR)")
    h.upload("uploads/subs/source.mkv", src)
    h.worker("w1")
    h.xadd(small_job("subs", "uploads/subs/source.mkv", fmt="both"))
    h.wait_state("subs", ["succeeded", "failed"], 60)
    hs = h.job("subs")
    check(hs["state"] == "succeeded", f"hash {hs}")
    result = json.loads(hs["result"])
    t = result["subtitles"][0] if result.get("subtitles") else {}
    check(t.get("language") == "en" and t.get("files", {}).get("vtt") and t["files"].get("playlist"), f"subtitles {result.get('subtitles')}")
    outdir = h.output("out/subs")
    vtts = [os.path.relpath(os.path.join(d, f), outdir) for d, _, fs in os.walk(outdir) for f in fs if f.endswith(".vtt")]
    check(t["files"]["vtt"] in vtts and len(vtts) == 1 + t["files"]["segments"], f"uploaded .vtt: {vtts}")
    check(open(os.path.join(outdir, t["files"]["vtt"])).read().startswith("WEBVTT"), "sidecar content")
    log = open(os.path.join(h.nginx.dir, "access.log")).read().splitlines()
    puts = {l.split()[1].split("/out/subs/")[-1]: l.split("type=")[-1] for l in log if l.startswith("PUT ") and "/out/subs/" in l}
    types = {k: v for k, v in puts.items() if k.endswith(".vtt")}
    check(len(types) == len(vtts) and set(types.values()) == {"text/vtt"}, f"Content-Type of the .vtt PUTs: {types}")
    check(puts.get("hls/subtitles/sub0-en/index.m3u8") == "application/vnd.apple.mpegurl", f"playlist PUT: {puts}")


def case_invalid_job(h):
    src = clip("small", "320x180", 2)
    h.upload("uploads/ok.mp4", src)
    w = h.worker("w1")
    bad = small_job("bad1", "uploads/ok.mp4")
    bad["video"]["renditions"][0]["height"] = 5
    t0 = time.monotonic()
    h.xadd(bad)
    h.xadd("{not json")
    h.xadd(small_job("good1", "uploads/ok.mp4"))
    hs = h.wait_state("bad1", ["failed", "succeeded"], 20)
    check(hs["state"] == "failed", f"bad1: {hs}")
    check("video.renditions[0].height" in hs["error"], f"error does not name the field: {hs['error']}")
    check(hs["attempt"] == "1", f"retried: {hs}")
    h.wait_state("good1", ["succeeded"], 30)
    took = time.monotonic() - t0
    dead = h.r.xrange(DEAD)
    check(len(dead) == 2, f"dead-letter stream: {dead}")
    check(dead[0][1]["id"] == "bad1" and "height" in dead[0][1]["reason"] and '"height": 5' in dead[0][1]["job"],
          f"dead entry: {dead[0]}")
    check(dead[1][1]["reason"] and dead[1][1]["job"] == "{not json", f"dead entry: {dead[1]}")
    bad2 = h.job(dead[1][1]["id"])
    check(bad2.get("state") == "failed", f"unparseable job's hash (id = entry id): {bad2}")
    check(h.r("XLEN", STREAM) == 0, "stream not empty")
    # Storage 404: permanent, no retry.
    h.xadd(small_job("missing", "uploads/does-not-exist.mp4"))
    hs = h.wait_state("missing", ["failed", "succeeded"], 20)
    check(hs["state"] == "failed" and hs["attempt"] == "1" and "404" in hs["error"], f"404: {hs}")
    # An absolute URL off the endpoint: refused, nothing fetched.
    h.xadd(small_job("outside", "http://127.0.0.1:1/evil.mp4"))
    hs = h.wait_state("outside", ["failed", "succeeded"], 20)
    check(hs["state"] == "failed" and "outside the assigned storage endpoint" in hs["error"], f"outside: {hs}")
    print(f"invalid job failed and the next one ran in {took:.2f}s")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def case_sigkill_takeover(h):
    """The owner is killed mid-encode: another worker takes the job over after the claim
    timeout and it succeeds once, at attempt 2 (also the faults row owner-kill9-takeover)."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    a = h.worker("a", MPEGFLOW_CLAIM_TIMEOUT=4)
    h.xadd(slow_job("k1", "uploads/slow.mp4"))
    b = h.worker("b", MPEGFLOW_CLAIM_TIMEOUT=4)
    hs = h.wait_encoding("k1")           # mid-encode, and progress reaches the hash
    check(float(hs["fps"]) > 0, f"no fps in the hash while running: {hs}")
    a.signal(signal.SIGKILL)
    a.wait(5)
    killed = time.time()
    hs = h.wait_state("k1", ["succeeded", "failed"], 60)
    check(hs["state"] == "succeeded", f"k1: {hs}")
    check(hs["attempt"] == "2", f"attempt {hs['attempt']}, want 2 (one takeover)")
    running = [(i, e) for i, e in h.events("k1") if e["state"] == "running"]
    check(len(running) == 2 and running[1][1]["worker"] != running[0][1]["worker"], f"running events {running}")
    check(len(succeeded_events(h, "k1")) == 1, "not exactly one succeeded")
    recovery = entry_ms(running[1][0]) / 1000 - killed
    # Idle counts from the last heartbeat (every 4/3 s), so 2.6 s at the earliest.
    check(2.5 <= recovery <= 6.5, f"takeover {recovery:.1f}s after the kill (claim timeout 4s)")
    check(h.r("XLEN", STREAM) == 0, "stream not empty")
    print(f"figure: SIGKILL recovery (kill -> running on the other worker) {recovery:.2f}s, claim timeout 4s")
    b.signal(signal.SIGTERM)
    check(b.wait(10) == 0, "worker b exit status")


def case_redis_restart_idle(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    w = h.worker("w1")
    h.xadd(small_job("before", "uploads/ok.mp4"))
    h.wait_state("before", ["succeeded"], 30)
    check(http_get(w.http_port, "/readyz")[0] == 200, "not ready")
    h.r.close()
    h.redis.kill()
    time.sleep(1.5)
    code, body = http_get(w.http_port, "/readyz")
    check(code == 503 and "Redis" in body, f"/readyz with Redis down: {code} {body}")
    check(http_get(w.http_port, "/healthz")[0] == 200, "/healthz with Redis down")
    c0 = cpu_seconds(w.pid)
    time.sleep(3)
    cpu = cpu_seconds(w.pid) - c0
    check(cpu < 0.3, f"worker used {cpu:.2f}s CPU in 3s with Redis down: spinning")
    # Something that accepts and hangs up at once: count the connection attempts.
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", h.redis.port))
    lst.listen(64)
    lst.settimeout(0.2)
    accepts, end = 0, time.monotonic() + 3
    while time.monotonic() < end:
        try:
            conn, _ = lst.accept()
            conn.close()
            accepts += 1
        except socket.timeout:
            pass
    lst.close()
    check(accepts <= 12, f"{accepts} connection attempts in 3s: no backoff")
    print(f"figure: Redis down: {cpu:.3f}s CPU in 3s, {accepts} connection attempts in 3s")
    h.redis = RedisServer(h.tmp, port=h.redis.port).start()     # empty: data lost
    t0 = time.monotonic()
    h.xadd(small_job("after", "uploads/ok.mp4"))
    hs = h.wait_state("after", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded", f"after restart: {hs}")
    print(f"job after the restart done {time.monotonic() - t0:.2f}s after XADD")
    groups = h.r("XINFO", "GROUPS", STREAM)
    check(groups and "workers" in groups[0], f"group not recreated: {groups}")
    check(http_get(w.http_port, "/readyz")[0] == 200, "not ready after the restart")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def case_redis_restart_inflight(h):
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    w = h.worker("w1", MPEGFLOW_CLAIM_TIMEOUT=3)
    h.xadd(slow_job("inflight", "uploads/slow.mp4"))
    h.wait_encoding("inflight")
    h.r.close()
    h.redis.kill()
    c0 = cpu_seconds(w.pid)
    time.sleep(2)
    h.redis = RedisServer(h.tmp, port=h.redis.port).start()     # empty: data lost
    hs = h.wait_state("inflight", ["succeeded", "failed"], 60)
    check(hs["state"] == "succeeded" and hs.get("result"), f"in-flight job after the restart: {hs}")
    check(len(succeeded_events(h, "inflight")) == 1, "not exactly one succeeded event")
    check(os.path.exists(h.output("out/inflight/result.json")), "outputs not uploaded")
    h.xadd(small_job("next", "uploads/ok.mp4"))
    check(h.wait_state("next", ["succeeded", "failed"], 30)["state"] == "succeeded", "next job")
    check(h.r("XLEN", STREAM) == 0, "stream not empty")
    print(f"worker CPU during the outage and the rest of the encode: {cpu_seconds(w.pid) - c0:.2f}s (informative)")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def case_drain_finish(h):
    """SIGTERM mid-encode: no new job is taken, the job finishes on this worker (no
    hand-back), the worker exits 0 (also the faults row sigterm-once)."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    w = h.worker("w1", MPEGFLOW_DRAIN_TIMEOUT=120)
    h.xadd(slow_job("d1", "uploads/slow.mp4"))
    h.wait_encoding("d1")
    w.signal(signal.SIGTERM)
    time.sleep(0.3)
    code, body = http_get(w.http_port, "/readyz")
    check(code == 503 and "draining" in body, f"/readyz while draining: {code} {body}")
    check(http_get(w.http_port, "/healthz")[0] == 200, "/healthz while draining")
    h.xadd(small_job("d2", "uploads/ok.mp4"))
    check(w.wait(90) == 0, "worker exit status after the drain")
    check(h.job("d1")["state"] == "succeeded", f"d1: {h.job('d1')}")
    states = [e["state"] for _, e in h.events("d1")]
    check(states == ["running", "succeeded"], f"d1 events {states} (finished here, no hand-back)")
    check(not h.job("d2"), f"d2 was taken: {h.job('d2')}")
    check(h.r("XLEN", STREAM) == 1 and h.r("XPENDING", STREAM, "workers")[0] == 0, "d2 should be queued, unread")
    check(not os.listdir(h.scratch), "scratch left behind")


def case_drain_handback(h, second_signal=False):
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    drain = 120 if second_signal else 0.3
    ws = [h.worker(n, MPEGFLOW_DRAIN_TIMEOUT=drain, MPEGFLOW_CLAIM_TIMEOUT=30) for n in ("a", "b")]
    h.xadd(slow_job("hb", "uploads/slow.mp4"))
    hs = h.wait_encoding("hb")
    a = next(w for w in ws if hs["worker"].endswith(f"-{w.pid}"))    # the one running it
    b = next(w for w in ws if w is not a)
    t0 = time.time()
    a.signal(signal.SIGTERM)
    if second_signal:
        time.sleep(0.1)
        a.signal(signal.SIGINT)
    check(a.wait(10) == 0, "draining worker exit status")
    exited = time.time() - t0
    hs = h.wait_state("hb", ["succeeded", "failed"], 60)
    check(hs["state"] == "succeeded", f"hb: {hs}")
    ev = h.events("hb")
    states = [(e["state"], e.get("worker")) for _, e in ev]
    check([s for s, _ in states] == ["running", "queued", "running", "succeeded"], f"events {states}")
    check(states[2][1] != states[0][1], "the same worker ran it twice")
    restart = entry_ms(ev[2][0]) / 1000 - t0
    check(restart < 5, f"the other worker started it {restart:.1f}s after SIGTERM (claim timeout 30s)")
    check(hs["attempt"] == "1", f"hand-back counted as an attempt: {hs['attempt']}")
    check(len(succeeded_events(h, "hb")) == 1, "not exactly one succeeded")
    print(f"figure: hand-back: worker exited {exited:.2f}s after SIGTERM "
          f"({'second signal after 0.1s' if second_signal else 'drain timeout 0.3s'}); "
          f"other worker running {restart:.2f}s after SIGTERM")
    b.signal(signal.SIGTERM)
    b.signal(signal.SIGTERM)       # a second signal on an idle worker: still exit 0
    check(b.wait(10) == 0, "worker b exit status")


def case_retry(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    w = h.worker("w1", MPEGFLOW_MAX_ATTEMPTS=2, MPEGFLOW_CLAIM_TIMEOUT=3)
    os.rmdir(h.scratch)                  # a local, retryable failure: no scratch dir
    h.xadd(small_job("r1", "uploads/ok.mp4"))
    end = time.monotonic() + 20
    while not [e for _, e in h.events("r1") if e["state"] == "queued"] and time.monotonic() < end:
        time.sleep(0.05)
    os.mkdir(h.scratch)
    hs = h.wait_state("r1", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded" and hs["attempt"] == "2", f"r1: {hs}")
    states = [e["state"] for _, e in h.events("r1")]
    check(states == ["running", "queued", "running", "succeeded"], f"r1 events {states}")
    check("mkdtemp" in [e for _, e in h.events("r1")][1]["reason"], "retry reason")
    os.rmdir(h.scratch)
    t0 = time.monotonic()
    h.xadd(small_job("r2", "uploads/ok.mp4"))
    hs = h.wait_state("r2", ["succeeded", "failed"], 30)
    check(hs["state"] == "failed" and "gave up after 2 attempts" in hs["error"], f"r2: {hs}")
    dead = h.r.xrange(DEAD)
    check(len(dead) == 1 and dead[0][1]["id"] == "r2" and dead[0][1]["attempts"] == "2", f"dead {dead}")
    check(h.r("XLEN", STREAM) == 0, "stream not empty")
    print(f"retried once with backoff, then dead-lettered, in {time.monotonic() - t0:.1f}s")
    os.mkdir(h.scratch)
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def encode_children(pid):
    """The worker's child processes running `mpegflow encode`."""
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if ppid == pid and len(argv) > 1 and argv[1] == b"encode":
            kids.append(int(d))
    return kids


def maps(pid, lib):
    with open(f"/proc/{pid}/maps") as f:
        return lib in f.read()


def case_encoder_crash(h):
    """Each encode is a child process: a crash on hostile media fails that job with
    a clear message, an OOM kill retries it, and the worker (which loads no FFmpeg
    library itself) keeps serving."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    w = h.worker("w1")
    check(not maps(w.pid, "libavcodec"), "the idle worker has libavcodec mapped")
    print(f"figure: idle worker RSS {rss_kib(w.pid) / 1024:.1f} MB")
    h.xadd(slow_job("crash", "uploads/slow.mp4"))
    h.wait_encoding("crash")
    kids = encode_children(w.pid)
    check(len(kids) == 1, f"encode children while running: {kids}")
    check(maps(kids[0], "libavcodec") and not maps(w.pid, "libavcodec"), "libavcodec should be in the child only")
    # SIGABRT, as a failed assert would raise (under ASan, with abort_on_error, a
    # SIGSEGV also ends in SIGABRT, so this reads the same in both builds).
    os.kill(kids[0], signal.SIGABRT)
    hs = h.wait_state("crash", ["succeeded", "failed"], 30)
    check(hs["state"] == "failed" and "crashed (signal 6" in hs["error"], f"crash: {hs}")
    dead = h.r.xrange(DEAD)
    check(len(dead) == 1 and dead[0][1]["id"] == "crash", f"dead letter {dead}")
    check(http_get(w.http_port, "/healthz")[0] == 200, "worker unhealthy after an encoder crash")

    # SIGKILL from outside (the OOM killer): retryable, the next attempt succeeds.
    h.xadd(slow_job("oom", "uploads/slow.mp4"))
    h.wait_encoding("oom")
    kids = encode_children(w.pid)
    check(len(kids) == 1, f"encode children while running: {kids}")
    os.kill(kids[0], signal.SIGKILL)
    hs = h.wait_state("oom", ["succeeded", "failed"], 60)
    check(hs["state"] == "succeeded" and hs["attempt"] == "2", f"oom: {hs}")
    queued = [e for _, e in h.events("oom") if e["state"] == "queued"]
    check(queued and "the encode was killed for memory" in queued[-1].get("reason", ""), f"oom events {queued}")

    h.xadd(small_job("after", "uploads/ok.mp4"))
    check(h.wait_state("after", ["succeeded", "failed"], 30)["state"] == "succeeded", "job after the crashes")
    check(not encode_children(w.pid), "an encode child outlived its job")
    check(not h.scratch_left(), "scratch left behind")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def case_max_jobs(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    for i in range(3):
        h.xadd(small_job(f"mj{i}", "uploads/ok.mp4"))
    w = h.worker("w1", MPEGFLOW_CONCURRENCY=2, args=["--max-jobs", "2"])
    check(w.wait(30) == 0, "--max-jobs 2: exit status")
    done = [i for i in range(3) if h.job(f"mj{i}").get("state") == "succeeded"]
    check(len(done) == 2 and h.r("XLEN", STREAM) == 1, f"--max-jobs 2 ran {done}")
    check(h.r("XPENDING", STREAM, "workers")[0] == 0, "left an entry pending")


def case_second_signal(h):
    case_drain_handback(h, second_signal=True)


def case_hostile_playlist(h):
    hits = []
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    port = lst.getsockname()[1]

    def serve():
        while True:
            try:
                c, _ = lst.accept()
            except OSError:
                return
            hits.append(1)
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    secret = os.path.join(h.tmp, "secret.ts")
    with open(secret, "wb") as f:
        f.write(open(clip("small", "320x180", 2), "rb").read())
    def m3u8(*segments):
        return "#EXTM3U\n#EXT-X-TARGETDURATION:2\n" + "".join(f"#EXTINF:2,\n{s}\n" for s in segments) + "#EXT-X-ENDLIST\n"
    # name: (the input key, the playlist); a disguised one under a .mp4 key is found by its content
    playlists = {
        "local": ("uploads/local.m3u8", m3u8(f"file://{secret}", secret)),
        "passwd": ("uploads/passwd.m3u8", m3u8("file:///etc/passwd")),
        "dotdot": ("uploads/dotdot.m3u8", m3u8("../../../../../../etc/passwd", "../secret.ts", "../../secret.ts")),
        "network": ("uploads/network.m3u8", m3u8(f"http://127.0.0.1:{port}/seg0.ts")),
        "disguised": ("uploads/disguised.mp4", m3u8(f"http://127.0.0.1:{port}/seg1.ts", "file:///etc/passwd")),
    }
    w = h.worker("w1")
    for name, (key, text) in playlists.items():
        p = os.path.join(h.tmp, f"{name}.m3u8")
        with open(p, "w") as f:
            f.write(text)
        h.upload(key, p)
        h.xadd(small_job(name, key))
    ffc = os.path.join(h.tmp, "concat.ffconcat")
    with open(ffc, "w") as f:
        f.write(f"ffconcat version 1.0\nfile {secret}\nfile http://127.0.0.1:{port}/x.ts\n")
    h.upload("uploads/concat.ffconcat", ffc)
    h.xadd(small_job("concat", "uploads/concat.ffconcat"))
    for name in list(playlists) + ["concat"]:
        hs = h.wait_state(name, ["failed", "succeeded"], 20)
        check(hs["state"] == "failed", f"{name}: {hs}")
        check(hs["attempt"] == "1", f"{name} retried")
        print(f"{name}: {hs['error']}")
        check("input refused" in hs["error"], f"{name}: the error does not say the input is refused: {hs['error']!r}")
        key = playlists[name][0] if name in playlists else "uploads/concat.ffconcat"
        check(key in hs["error"] and h.scratch not in hs["error"], f"{name}: the error does not name {key}")
        check("root:" not in hs["error"], f"{name}: the error quotes /etc/passwd")
        check(not os.path.exists(h.output(f"out/{name}")), f"{name}: outputs written")
    time.sleep(0.5)
    lst.close()
    check(not hits, f"the listener saw {len(hits)} connection(s)")
    check(len(h.r.xrange(DEAD)) == len(playlists) + 1, "dead-letter entries")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def case_load(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    n = 100
    env = {"MPEGFLOW_CONCURRENCY": 2}
    ws = [h.worker("w1", **env), h.worker("w2", **env)]
    t0 = time.monotonic()
    for i in range(n):
        h.xadd(small_job(f"L{i:03d}", "uploads/ok.mp4"))
    end = time.monotonic() + 150
    while time.monotonic() < end:
        if h.r("XLEN", STREAM) == 0:
            break
        time.sleep(0.2)
    took = time.monotonic() - t0
    check(h.r("XLEN", STREAM) == 0, f"{h.r('XLEN', STREAM)} jobs left after {took:.0f}s")
    ev = h.events()
    done = {}
    for _, e in ev:
        if e["state"] == "succeeded":
            done[e["job"]] = done.get(e["job"], 0) + 1
    missing = [f"L{i:03d}" for i in range(n) if f"L{i:03d}" not in done]
    twice = [j for j, c in done.items() if c != 1]
    check(not missing and not twice, f"missing {missing[:5]}.., completed twice {twice[:5]}")
    for i in range(n):
        check(h.job(f"L{i:03d}")["state"] == "succeeded", f"L{i:03d} not succeeded")
    by_worker = {}
    for _, e in ev:
        if e["state"] == "succeeded":
            by_worker[e["worker"]] = by_worker.get(e["worker"], 0) + 1
    check(len(by_worker) == 2, f"one worker did everything: {by_worker}")
    print(f"figure: {n} jobs, 2 workers x concurrency 2: {took:.1f}s, {n / took:.1f} jobs/s; per worker {by_worker}")
    for w in ws:
        w.signal(signal.SIGTERM)
    for w in ws:
        check(w.wait(10) == 0, f"{w.name} exit status")


def case_http(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    w = h.worker("w1")
    code, body = http_get(w.http_port, "/healthz")
    check(code == 200 and body.strip() == "ok", f"/healthz {code} {body}")
    code, body = http_get(w.http_port, "/readyz")
    check(code == 200, f"/readyz {code} {body}")
    check(http_get(w.http_port, "/nope")[0] == 404, "/nope")
    h.xadd(small_job("m1", "uploads/ok.mp4"))
    h.wait_state("m1", ["succeeded"], 30)
    bad = small_job("m2", "uploads/ok.mp4")
    bad["format"] = "avi"
    h.xadd(bad)
    h.wait_state("m2", ["failed"], 30)
    want = {
        'mpegflow_jobs_total{outcome="succeeded"}': lambda v: v == 1,
        'mpegflow_jobs_total{outcome="failed"}': lambda v: v == 1,
        "mpegflow_job_attempts_total": lambda v: v == 2,
        "mpegflow_encode_seconds_total": lambda v: v > 0,
        "mpegflow_frames_total": lambda v: v == 50,
        "mpegflow_bytes_in_total": lambda v: v > 0,
        "mpegflow_bytes_out_total": lambda v: v > 0,
        "mpegflow_queue_wait_seconds_sum": lambda v: v >= 0,
        "mpegflow_queue_wait_seconds_count": lambda v: v == 2,
        "mpegflow_jobs_in_flight": lambda v: v == 0,
        'mpegflow_backend_info{backend="x264"}': lambda v: v == 1,
    }
    # A job's outcome is counted once Redis has recorded it, a moment after
    # the hash shows the final state: poll briefly.
    end = time.monotonic() + 5
    while True:
        code, text = http_get(w.http_port, "/metrics")
        check(code == 200, f"/metrics {code}")
        metrics = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                metrics[k] = float(v)
        missing = [k for k, ok in want.items() if not (k in metrics and ok(metrics[k]))]
        if not missing or time.monotonic() > end:
            break
        time.sleep(0.1)
    for k in missing:
        check(False, f"{k} = {metrics.get(k)}\n{text}")
    for name in ("mpegflow_jobs_total", "mpegflow_jobs_in_flight", "mpegflow_queue_wait_seconds"):
        check(f"# TYPE {name} " in text, f"no TYPE line for {name}")
    logs = w.logs()
    check(logs and all({"ts", "level", "msg"} <= set(l) for l in logs), "log lines lack ts/level/msg")
    check(any(l.get("job") == "m1" for l in logs), "no log line names the job")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def case_backend_unusable(h):
    """A pool configured for NVENC on a host without it: up, never ready (the
    reason in /readyz), takes no job, and stops cleanly on SIGTERM."""
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    h.xadd(small_job("u1", "uploads/ok.mp4"))
    w = h.worker("w1", MPEGFLOW_BACKEND="nvenc")
    code, body = http_get(w.http_port, "/readyz")
    check(code == 503 and "nvenc" in body, f"/readyz {code} {body}")
    check(http_get(w.http_port, "/healthz")[0] == 200, "/healthz")
    time.sleep(1.5)
    check(h.r("XLEN", STREAM) == 1, "the job was taken by a worker that cannot encode")
    check(h.job("u1").get("state") in (None, "queued"), f"job state {h.job('u1')}")
    check(any("unusable" in l.get("msg", "") for l in w.logs()), "no log line says why")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


# --- submit --wait (no worker: the test drives the job hash and events itself, as
# the worker's Lua does: HSET the hash and XADD the event in one script) ------------
SET_STATE_LUA = ("redis.call('HSET', KEYS[1], unpack(ARGV, 3))\n"
                 "redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'job', ARGV[1], 'state', ARGV[2])\n"
                 "return 1\n")


def set_state(h, job_id, state, **fields):
    args = ["state", state] + [x for kv in fields.items() for x in kv]
    h.r("EVAL", SET_STATE_LUA, 2, PREFIX + "job:" + job_id, EVENTS, job_id, state, *args)


def start_submit(h, job_id, *extra):
    path = os.path.join(h.tmp, f"{job_id}.json")
    with open(path, "w") as f:
        json.dump(small_job(job_id, "uploads/none.mp4"), f)
    env = dict(os.environ, MPEGFLOW_REDIS_URL=h.redis.url)
    p = subprocess.Popen([MPEGFLOW, "submit", path, "--wait"] + list(extra), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 10
    while h.job(job_id).get("state") != "queued":
        check(time.monotonic() < end and p.poll() is None, f"submit {job_id} did not queue the job")
        time.sleep(0.01)
    # Past its XADD, blocked on the events stream: a Redis kill from here on hits
    # the wait, not the submission (the hash is queued just before XADD's reply).
    while "cmd=xread" not in h.r("CLIENT", "LIST"):
        check(time.monotonic() < end and p.poll() is None, f"submit {job_id} never waited on the events")
        time.sleep(0.01)
    return p


def reap(p, limit, until=None):
    """Waits for p; returns (when, stdout, stderr). when: the arrival of the first
    stdout line, or of the first stderr line containing until; else p's exit
    (a blocking waitpid: Popen.wait with a timeout polls, which would blur it).
    Sanitizer builds spend a while in exit (LeakSanitizer): the line is the figure."""
    killer = threading.Timer(limit, p.kill)
    killer.start()
    first, lines = None, []
    try:
        if until is None:
            first = p.stdout.readline()
        else:
            for line in p.stderr:
                lines.append(line)
                if until in line:
                    break
        t = time.monotonic()
        p.wait()
        t = t if (first or lines) else time.monotonic()
    finally:
        killer.cancel()
    out, err = p.communicate()
    return t, (first or "") + out, "".join(lines) + err


def case_submit_wait_latency(h):
    """submit --wait returns right after the job's final event, not on a 200 ms poll."""
    import random
    lat = []
    for i in range(11):
        jid = f"lat{i}"
        p = start_submit(h, jid, "--timeout", "30")
        time.sleep(random.uniform(0.1, 0.4))         # inside the blocking read, at any phase
        set_state(h, jid, "running", progress="0", worker="test")
        set_state(h, "other", "running")            # another job's event: no effect
        time.sleep(random.uniform(0.05, 0.25))
        check(p.poll() is None, f"{jid}: submit returned before the job ended")
        t0 = time.monotonic()
        set_state(h, jid, "succeeded", progress="100", result=json.dumps({"outputs": [{"path": f"{jid}.mp4"}]}))
        t, out, err = reap(p, 10)
        check(p.returncode == 0, f"{jid}: exit {p.returncode}: {err}")
        check(json.loads(out) == {"outputs": [{"path": f"{jid}.mp4"}]}, f"{jid}: printed {out!r}")
        lat.append((t - t0) * 1000)
    # A failed job: exit 1 and the error, as fast.
    p = start_submit(h, "bad", "--timeout", "30")
    time.sleep(0.2)
    t0 = time.monotonic()
    set_state(h, "bad", "failed", error="input: no such key")
    t, out, err = reap(p, 10, until="failed")
    check(p.returncode == 1 and "job bad failed: input: no such key" in err and not out,
          f"failed job: exit {p.returncode}, stdout {out!r}, stderr {err!r}")
    lat.append((t - t0) * 1000)
    lat.sort()
    med = lat[len(lat) // 2]
    print(f"figure: submit --wait return after the final event, ms: median {med:.1f}, "
          f"max {lat[-1]:.1f} ({', '.join(f'{x:.1f}' for x in lat)})")
    # Polling every 200 ms gives a median near 100 ms; an event wake-up a few ms
    # (measured to the printed result, so a sanitizer build's slow exit is not in it).
    check(med < 40, f"median {med:.1f} ms from the event to submit's exit: polling?")
    check(lat[-1] < 150, f"max {lat[-1]:.1f} ms from the event to submit's exit")


def case_submit_wait_timeout(h):
    """--timeout is honoured while the job never ends, even with other jobs' events flowing."""
    stop = threading.Event()

    def noise():
        r = type(h.r)(h.redis.port)
        while not stop.is_set():
            r("XADD", EVENTS, "*", "job", "noise", "state", "running")
            time.sleep(0.02)
        r.close()

    t = threading.Thread(target=noise)
    t.start()
    try:
        p = start_submit(h, "slow", "--timeout", "1.5")
        t0 = time.monotonic()                    # just after submit's XADD, before its clock starts
        set_state(h, "slow", "running", progress="10")
        t1, out, err = reap(p, 10)
    finally:
        stop.set()
        t.join()
    el = t1 - t0
    check(p.returncode == 1 and "job slow not finished after 1.5 s" in err and not out,
          f"exit {p.returncode}, stdout {out!r}, stderr {err!r}")
    check(1.3 <= el < 2.5, f"--timeout 1.5 returned after {el:.2f}s")
    # With Redis down the timeout still holds (no waiting out a backoff past it).
    p = start_submit(h, "down", "--timeout", "2")
    h.r.close()
    h.redis.kill()
    t0 = time.monotonic()
    t1, out, err = reap(p, 15)
    check(p.returncode == 1 and "not finished after 2 s" in err and "still waiting" in err,
          f"Redis down: exit {p.returncode}, stderr {err!r}")
    check(t1 - t0 < 2.6, f"--timeout 2 with Redis down returned after {t1 - t0:.2f}s")
    print(f"figure: --timeout 1.5 returned after {el:.2f}s")


def case_submit_wait_redis_restart(h):
    """Redis restarts (its data lost) while submit --wait blocks: it warns once,
    reconnects, and returns when the job ends."""
    p = start_submit(h, "rr", "--timeout", "60")
    time.sleep(0.3)
    h.r.close()
    h.redis.kill()
    time.sleep(2.5)
    check(p.poll() is None, "submit gave up while Redis was down")
    h.redis = RedisServer(h.tmp, port=h.redis.port).start()     # empty: data lost
    time.sleep(0.5)
    t0 = time.monotonic()
    set_state(h, "rr", "succeeded", progress="100", result='{"outputs": []}')
    t1, out, err = reap(p, 20)
    check(p.returncode == 0 and json.loads(out) == {"outputs": []}, f"exit {p.returncode}, {out!r}, {err!r}")
    check(err.count("still waiting") == 1, f"want one warning: {err!r}")
    check(t1 - t0 < 6.5, f"returned {t1 - t0:.2f}s after the job ended (backoff cap 5 s)")
    # Connected again: the next job's end is seen at once, not on a poll.
    p = start_submit(h, "rr2", "--timeout", "30")
    time.sleep(0.3)
    t2 = time.monotonic()
    set_state(h, "rr2", "succeeded", progress="100", result="{}")
    t3, out, err = reap(p, 10)
    check(p.returncode == 0, f"rr2: exit {p.returncode}, {err!r}")
    print(f"figure: after the restart returned {t1 - t0:.2f}s after the job ended; next job {1000 * (t3 - t2):.1f} ms")


def case_config_noserver():
    base = dict(os.environ, MPEGFLOW_STORAGE_URL="http://127.0.0.1:1/media", MPEGFLOW_HTTP_ADDR="off")
    bad = [
        ({"MPEGFLOW_CONCURRENCY": "abc"}, "MPEGFLOW_CONCURRENCY"),
        ({"MPEGFLOW_CONCURRENCY": "0"}, "MPEGFLOW_CONCURRENCY"),
        ({"MPEGFLOW_REDIS_URL": "http://localhost"}, "MPEGFLOW_REDIS_URL"),
        ({"MPEGFLOW_REDIS_URL": "redis://h:99999/0"}, "MPEGFLOW_REDIS_URL"),
        ({"MPEGFLOW_CLAIM_TIMEOUT": "-1"}, "MPEGFLOW_CLAIM_TIMEOUT"),
        ({"MPEGFLOW_DRAIN_TIMEOUT": "soon"}, "MPEGFLOW_DRAIN_TIMEOUT"),
        ({"MPEGFLOW_LOG_FORMAT": "xml"}, "MPEGFLOW_LOG_FORMAT"),
        ({"MPEGFLOW_STORAGE_AUTH": "bearer"}, "MPEGFLOW_STORAGE_TOKEN"),
        ({"MPEGFLOW_STORAGE_AUTH": "sigv4", "AWS_ACCESS_KEY_ID": "k"}, "AWS_SECRET_ACCESS_KEY"),
        ({"MPEGFLOW_STORAGE_AUTH": "basic"}, "MPEGFLOW_STORAGE_AUTH"),
        ({"MPEGFLOW_STORAGE_URL": ""}, "MPEGFLOW_STORAGE_URL"),
        ({"MPEGFLOW_STORAGE_URL": "ftp://x/y"}, "MPEGFLOW_STORAGE_URL"),
        ({"MPEGFLOW_STORAGE_STALL_TIMEOUT": "0"}, "MPEGFLOW_STORAGE_STALL_TIMEOUT"),
        ({"MPEGFLOW_BACKEND": "quicksync"}, "MPEGFLOW_BACKEND"),
        ({"MPEGFLOW_BACKEND_FALLBACK": "maybe"}, "MPEGFLOW_BACKEND_FALLBACK"),
        ({"MPEGFLOW_HTTP_ADDR": "9090"}, "MPEGFLOW_HTTP_ADDR"),
        ({"MPEGFLOW_MAX_ATTEMPTS": "0"}, "MPEGFLOW_MAX_ATTEMPTS"),
        ({"MPEGFLOW_MAX_INPUT_BYTES": "12Q"}, "MPEGFLOW_MAX_INPUT_BYTES"),
        ({"MPEGFLOW_MAX_PIXELS": "big"}, "MPEGFLOW_MAX_PIXELS"),
        ({"MPEGFLOW_MAX_DURATION": "-5"}, "MPEGFLOW_MAX_DURATION"),
        ({"MPEGFLOW_POOL": "a b"}, "MPEGFLOW_POOL"),
        ({"MPEGFLOW_SCRATCH_DIR": "/nonexistent/dir"}, "MPEGFLOW_SCRATCH_DIR"),
    ]
    for env, name in bad:
        r = subprocess.run([MPEGFLOW, "worker"], env=dict(base, **env), capture_output=True, text=True, timeout=10)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and name in lines[0],
              f"{env}: exit {r.returncode}, stderr {r.stderr!r}; want one line naming {name}")
    r = subprocess.run([MPEGFLOW, "worker", "--concurrency", "x"], env=base, capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and "--concurrency" in r.stderr, f"flag: {r.stderr}")
    r = subprocess.run([MPEGFLOW, "worker", "--bogus"], env=base, capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and "--bogus" in r.stderr, f"unknown flag: {r.stderr}")
    r = subprocess.run([MPEGFLOW, "worker", "--help"], env=base, capture_output=True, text=True, timeout=10)
    check(r.returncode == 0 and "MPEGFLOW_CLAIM_TIMEOUT" in r.stdout, "--help")
    # MPEGFLOW_REDIS_PASSWORD is inserted into a URL without one.
    import tempfile
    tmp = tempfile.mkdtemp(prefix="mpegflow-cfg-")
    rs = RedisServer(tmp)
    rs.proc = subprocess.Popen(["redis-server", "--port", str(rs.port), "--bind", "127.0.0.1", "--save", "",
                                "--requirepass", "s3cr@t", "--dir", tmp], stdout=subprocess.DEVNULL)
    try:
        from servers import wait_port
        wait_port(rs.port, rs.proc)
        env = dict(base, MPEGFLOW_REDIS_URL=f"redis://127.0.0.1:{rs.port}/0")
        r = subprocess.run([MPEGFLOW, "status", "x"], env=env, capture_output=True, text=True, timeout=10)
        check(r.returncode == 1 and "AUTH" in r.stderr.upper(), f"no password: {r.stderr}")
        r = subprocess.run([MPEGFLOW, "status", "x"], env=dict(env, MPEGFLOW_REDIS_PASSWORD="s3cr@t"),
                           capture_output=True, text=True, timeout=10)
        check(r.returncode == 1 and "no job 'x'" in r.stderr, f"with MPEGFLOW_REDIS_PASSWORD: {r.stderr}")
        env["MPEGFLOW_REDIS_URL"] = f"redis://:s3cr%40t@127.0.0.1:{rs.port}/0"
        r = subprocess.run([MPEGFLOW, "status", "x"], env=env, capture_output=True, text=True, timeout=10)
        check(r.returncode == 1 and "no job 'x'" in r.stderr, f"percent-encoded URL password: {r.stderr}")
    finally:
        rs.stop()
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)


def case_cmaf_upload(h):
    """format cmaf (issue 12), one rendition, no audio: the MPD and the I-frame playlist are uploaded with the
    segments; every manifest after every media file, result.json last; the MPD as application/dash+xml
    (nginx's log records each PUT's Content-Type)."""
    src = clip("cmaf", "320x180", 3, audio=True)
    h.upload("uploads/cmaf/source.mp4", src)
    h.worker("w1")
    h.xadd(small_job("cmaf", "uploads/cmaf/source.mp4", fmt="cmaf"))
    h.wait_state("cmaf", ["succeeded"], 60)
    result = json.loads(h.job("cmaf")["result"])
    outdir = h.output("out/cmaf")
    kinds = sorted({o["kind"] for o in result["outputs"]})
    check(kinds == ["hls", "iframes", "master", "mpd"], f"kinds {kinds}")
    for o in result["outputs"]:
        check(os.path.exists(os.path.join(outdir, o["path"])), f"{o['path']} not uploaded")
    files = [os.path.join(d, f) for d, _, fs in os.walk(outdir) for f in fs]
    mtime = lambda p: os.stat(p).st_mtime_ns  # noqa: E731
    media = [p for p in files if p.endswith((".m4s", ".mp4"))]
    manifests = [p for p in files if p.endswith((".m3u8", ".mpd"))]
    check(len(manifests) == 4 and media, f"{len(manifests)} manifests, {len(media)} media files")
    last_media = max(media, key=mtime)
    first_manifest = min(manifests, key=mtime)
    check(mtime(first_manifest) >= mtime(last_media), f"{first_manifest} uploaded before {last_media}")
    check(mtime(os.path.join(outdir, "result.json")) >= max(mtime(p) for p in manifests), "result.json not last")
    with open(os.path.join(outdir, "hls", "manifest.mpd")) as f:
        check("urn:mpeg:dash:profile:isoff-live:2011" in f.read(), "the uploaded MPD")
    log = open(os.path.join(h.nginx.dir, "access.log")).read().splitlines()
    puts = {l.split()[1].split("/out/cmaf/")[-1]: l.split("type=")[-1] for l in log if l.startswith("PUT ") and "/out/cmaf/" in l}
    check(puts.get("hls/manifest.mpd") == "application/dash+xml", f"Content-Type of the MPD PUT: {puts.get('hls/manifest.mpd')}")
    check(puts.get("hls/180p/iframes.m3u8") == "application/vnd.apple.mpegurl", f"I-frame playlist PUT: {puts}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(main(CASES))
