"""Issue 16: the host runs short (scratch disk, memory) and hostile playlists.

- scratch_full: the worker's MPEGFLOW_SCRATCH_DIR is an 8 MB tmpfs (root only, else
  exit 77); a job's input fits, its outputs do not. The encode exits 75 (the host is
  short: retryable), the job is retried, then fails with an error that says the
  scratch disk is full (no space left on device), not a scratch path; nothing of it
  reaches storage (no result.json), its scratch dir is removed, the worker stays
  healthy and runs the next small job. An input larger than the disk: the same.
- oom_twice: the encode child of a job is SIGKILLed from outside on two attempts in a
  row, as the OOM killer at a pod's memory limit would (this simulates the kill only:
  no cgroup limit is hit, so the error says "most likely" rather than citing the
  cgroup's oom_kill count). The first kill is retried, the second fails the job at
  once with the reason and both attempts, with MPEGFLOW_MAX_ATTEMPTS=5 left unused.
  (A job killed once, then run to the end, succeeds at attempt 2: worker-encoder-crash.)

- oom_real: a real OOM kill. The worker runs in its own cgroup v1 memory cgroup
  limited to 150 MB (root and a writable /sys/fs/cgroup/memory only, else exit 77);
  a 720p "medium" encode needs ~275 MB, a 180p "ultrafast" one ~60 MB. The kernel
  kills the big job's encode on attempts 1 and 2; the job fails at attempt 2 with
  "the cgroup's oom_kill count rose"; the worker lives and runs the small job.

usage: test_resources.py scratch_full|oom_twice|oom_real
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import DEAD, STREAM, Failure, check, clip, http_get, main, slow_job, small_job  # noqa: E402

def stored(h, prefix):
    root = h.output(prefix)
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def can_mount_tmpfs():
    """None when this process may mount a tmpfs, else why not."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    d = tempfile.mkdtemp(prefix="mpegflow-tmpfs-probe-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], capture_output=True, text=True)
    if r.returncode == 0:
        subprocess.run(["umount", d])
    os.rmdir(d)
    return None if r.returncode == 0 else f"mount -t tmpfs refused: {r.stderr.strip()}"


def case_scratch_full(h):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", h.scratch], capture_output=True, text=True)
    check(r.returncode == 0, f"mount: {r.stderr}")
    try:
        scratch_full(h)
    finally:
        for w in h.workers:
            w.stop()
        subprocess.run(["umount", "-l", h.scratch])


def scratch_full(h):
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))      # 2.3 MB: fits
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    w = h.worker("w1", MPEGFLOW_MAX_ATTEMPTS=2)
    big = {"id": "big", "input": "uploads/slow.mp4", "output_prefix": "out/big/", "format": "mp4",
           "video": {"preset": "ultrafast", "renditions": [
               {"name": n, "height": ht, "crf": 0} for n, ht in (("360p", 360), ("288p", 288), ("240p", 240))]},
           "audio": {"mode": "none"}}                # lossless: 5.3 MB for 360p alone, 11 MB in all
    t0 = time.monotonic()
    h.xadd(big)
    hs = h.wait_state("big", ["succeeded", "failed"], 40)
    print(f"figure: scratch full: {hs['state']} at attempt {hs.get('attempt')} after "
          f"{time.monotonic() - t0:.1f}s: {hs.get('error')!r}")
    check(hs["state"] == "failed" and hs["attempt"] == "2", f"big: {hs}")
    err = hs["error"]
    queued = [e for _, e in h.events("big") if e["state"] == "queued" and e.get("reason")]
    check(queued, f"big was not retried: {h.events('big')}")
    for what in [err, queued[0]["reason"]]:
        check("no space left on device" in what.lower() and "scratch" in what.lower(),
              f"the error does not say the scratch disk is full: {what!r}")
        check(h.scratch not in what and "mpegflow-big-" not in what, f"the error names the scratch path: {what!r}")
    check(stored(h, "out/big") == [], f"outputs of big reached storage: {stored(h, 'out/big')}")
    check(not h.scratch_left(), f"scratch left: {os.listdir(h.scratch)}")
    # An input that does not fit (10 MB): the fetch runs out of space; the same promises.
    huge = os.path.join(h.tmp, "huge.mp4")
    with open(huge, "wb") as f:
        f.write(os.urandom(10 << 20))
    h.upload("uploads/huge.mp4", huge)
    h.xadd(small_job("huge", "uploads/huge.mp4"))
    hs = h.wait_state("huge", ["succeeded", "failed"], 30)
    print(f"figure: input larger than the scratch disk: {hs['state']} at attempt {hs.get('attempt')}: "
          f"{hs.get('error')!r}")
    err = hs["error"]
    check(hs["state"] == "failed" and hs["attempt"] == "2", f"huge: {hs}")
    check("scratch disk" in err and "no space left on device" in err.lower() and "uploads/huge.mp4" in err
          and h.scratch not in err, f"huge: error {err!r}")
    check(stored(h, "out/huge") == [] and not h.scratch_left(), "huge: outputs or scratch left")
    check(http_get(w.http_port, "/healthz")[0] == 200, "unhealthy after a full scratch disk")
    check(h.worker_ready(w), "not ready after a full scratch disk")
    h.xadd(small_job("after", "uploads/ok.mp4"))
    hs = h.wait_state("after", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded" and hs["attempt"] == "1", f"the next job: {hs}")
    check("result.json" in stored(h, "out/after"), f"the next job's outputs: {stored(h, 'out/after')}")
    check(not h.scratch_left(), f"scratch left: {os.listdir(h.scratch)}")
    check(h.r("XLEN", STREAM) == 0 and len(h.r.xrange(DEAD)) == 2, "stream / dead letters")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


def encode_child(h, w, job_id):
    """The pid of the worker's encode child, once the job is mid-encode."""
    h.wait_encoding(job_id)
    with open(f"/proc/{w.pid}/task/{w.pid}/children") as f:
        kids = [int(p) for p in f.read().split()]
    for t in os.listdir(f"/proc/{w.pid}/task"):
        with open(f"/proc/{w.pid}/task/{t}/children") as f:
            kids += [int(p) for p in f.read().split()]
    kids = sorted(set(kids))
    check(len(kids) == 1, f"encode children: {kids}")
    return kids[0]


def wait_attempt(h, job_id, attempt, limit=20):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        hs = h.job(job_id)
        if hs.get("state") == "running" and hs.get("attempt") == str(attempt):
            return hs
        if hs.get("state") in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    raise Failure(f"{job_id}: attempt {attempt} not seen running: {h.job(job_id)}")


def case_oom_twice(h):
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    w = h.worker("w1", MPEGFLOW_MAX_ATTEMPTS=5)
    # Killed on attempts 1 and 2: failed at attempt 2 with the reason. (Killed once, then
    # left alone, a job succeeds at attempt 2: worker-encoder-crash.)
    t0 = time.monotonic()
    h.xadd(slow_job("twice", "uploads/slow.mp4"))
    os.kill(encode_child(h, w, "twice"), signal.SIGKILL)
    wait_attempt(h, "twice", 2)
    os.kill(encode_child(h, w, "twice"), signal.SIGKILL)
    hs = h.wait_state("twice", ["succeeded", "failed"], 20)
    print(f"figure: killed twice: {hs['state']} at attempt {hs.get('attempt')} after "
          f"{time.monotonic() - t0:.1f}s: {hs.get('error')!r}")
    check(hs["state"] == "failed" and hs["attempt"] == "2", f"twice: {hs}")
    err = hs["error"]
    check(err.startswith("the encode was killed for memory") and "on attempt 2, as on attempt 1" in err
          and "not retried" in err, f"twice: error {err!r}")
    queued = [e for _, e in h.events("twice") if e["state"] == "queued" and e.get("reason")]
    check(len(queued) == 1 and "killed for memory" in queued[0]["reason"] and "on attempt 1" in queued[0]["reason"],
          f"twice: the first kill's retry {queued}")
    dead = [e for _, e in h.r.xrange(DEAD) if e["id"] == "twice"]
    check(dead and dead[0]["reason"] == err, f"twice: dead letter {dead}")
    check(not h.scratch_left(), f"scratch left: {os.listdir(h.scratch)}")
    check(http_get(w.http_port, "/healthz")[0] == 200, "unhealthy after the kills")
    w.signal(signal.SIGTERM)
    check(w.wait(10) == 0, "worker exit status")


MEMCG = "/sys/fs/cgroup/memory"
LIMIT_MB = 150


def can_make_memcg():
    """None when this process may make a cgroup v1 memory cgroup, else why not."""
    if os.geteuid() != 0:
        return "making a memory cgroup needs root"
    if not os.path.exists(os.path.join(MEMCG, "memory.oom_control")):
        return f"no cgroup v1 memory controller at {MEMCG}"
    d = os.path.join(MEMCG, f"mpegflow-probe-{os.getpid()}")
    try:
        os.mkdir(d)
        os.rmdir(d)
    except OSError as e:
        return f"cannot make a memory cgroup: {e}"
    return None


def cg_write(cg, name, value):
    path = os.path.join(cg, name)
    if os.path.exists(path):
        with open(path, "w") as f:
            f.write(str(value))


def cg_oom_kills(cg):
    with open(os.path.join(cg, "memory.oom_control")) as f:
        return int([line.split()[1] for line in f if line.startswith("oom_kill ")][0])


def case_oom_real(h):
    cg = os.path.join(MEMCG, f"mpegflow-oom-{os.getpid()}")
    os.mkdir(cg)
    try:
        cg_write(cg, "memory.limit_in_bytes", LIMIT_MB << 20)
        cg_write(cg, "memory.memsw.limit_in_bytes", LIMIT_MB << 20)      # no swapping instead
        h.upload("uploads/hd.mp4", clip("hd", "1280x720", 4))
        h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
        w = h.worker("w1", MPEGFLOW_MAX_ATTEMPTS=5)
        cg_write(cg, "cgroup.procs", w.pid)                 # its encode children follow
        big = {"id": "big", "input": "uploads/hd.mp4", "output_prefix": "out/big/", "format": "mp4",
               "video": {"preset": "medium", "renditions": [{"name": "720p", "height": 720, "crf": 23}]},
               "audio": {"mode": "none"}}
        t0 = time.monotonic()
        h.xadd(big)
        hs = h.wait_state("big", ["succeeded", "failed"], 40)
        kills = cg_oom_kills(cg)
        print(f"figure: real OOM ({LIMIT_MB} MB): {hs['state']} at attempt {hs.get('attempt')} after "
              f"{time.monotonic() - t0:.1f}s, {kills} OOM kills: {hs.get('error')!r}")
        check(hs["state"] == "failed" and hs["attempt"] == "2", f"big: {hs}")
        check(kills == 2, f"the cgroup counts {kills} OOM kills, want 2")
        err = hs["error"]
        check(err.startswith("the encode was killed for memory (out of memory at the pod's limit: the cgroup's "
                             "oom_kill count rose) on attempt 2, as on attempt 1: not retried"), f"big: error {err!r}")
        check(w.proc.poll() is None and http_get(w.http_port, "/healthz")[0] == 200, "the worker did not survive")
        h.xadd(small_job("after", "uploads/ok.mp4"))
        hs = h.wait_state("after", ["succeeded", "failed"], 30)
        check(hs["state"] == "succeeded" and hs["attempt"] == "1", f"the small job: {hs}")
        check(not h.scratch_left(), f"scratch left: {os.listdir(h.scratch)}")
        w.signal(signal.SIGTERM)
        check(w.wait(10) == 0, "worker exit status")
    finally:
        for w in h.workers:
            w.stop()
        for _ in range(50):
            try:
                os.rmdir(cg)
                break
            except OSError:
                time.sleep(0.1)


if __name__ == "__main__":
    why = {"scratch_full": can_mount_tmpfs, "oom_real": can_make_memcg}.get(sys.argv[1] if sys.argv[1:] else "",
                                                                         lambda: None)()
    if why:
        print(f"skip: {why}")
        sys.exit(77)
    sys.exit(main({"scratch_full": case_scratch_full, "oom_twice": case_oom_twice, "oom_real": case_oom_real}))
