"""The fault matrix (issue 16), Redis and signal rows: what happens to a job's fate
when Redis restarts, pauses or the worker is killed or told to stop. Each case has
its own redis-server and nginx (tests/lib/workerharness.py) and takes under ~20 s.

usage: test_fates.py CASE
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import (MPEGFLOW, STREAM, RedisServer, check, clip, entry_ms, exactly_once, final_events, http_get,  # noqa: E402
                      logged, main, restart_redis_empty, running_worker, slow_job,
                      stop_worker, wait_metric)


def case_handback_after_redis_restart(h):
    """Item 1: a job runs, Redis restarts empty, SIGTERM twice. The hand-back must
    reconnect and re-add the job JSON: the new Redis holds the entry, and another
    worker then runs the job (before: 'XCLAIM release: Server closed the connection',
    no entry, a hash with progress and no state: the job was lost)."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    a = h.worker("a", MPEGFLOW_DRAIN_TIMEOUT=120, MPEGFLOW_CLAIM_TIMEOUT=30)
    h.xadd(slow_job("rr1", "uploads/slow.mp4"))
    h.wait_encoding("rr1")
    restart_redis_empty(h)
    a.signal(signal.SIGTERM)
    time.sleep(0.1)
    a.signal(signal.SIGTERM)
    check(a.wait(15) == 0, "worker exit status")
    entries = h.r.xrange(STREAM)
    check(len(entries) == 1 and '"rr1"' in entries[0][1].get("job", ""),
          f"the new Redis holds no entry for the job: stream {entries}, hash {h.job('rr1')}")
    hs = h.job("rr1")
    check(hs.get("state") == "queued", f"hash after the hand-back: {hs}")
    check(logged(a, "job handed back"), "no 'job handed back' line")
    b = h.worker("b", MPEGFLOW_CLAIM_TIMEOUT=30)
    hs = h.wait_state("rr1", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded" and hs["worker"].endswith(f"-{b.pid}"), f"rr1 after the hand-back: {hs}")
    exactly_once(h, ["rr1"])
    stop_worker(b)


def case_paused_redis_recorded(h):
    """Item 4: Redis paused (SIGSTOP) past the command timeout (10 s) while a job
    finishes. Redis runs the first completion when it resumes; the retry must see
    that it landed and count succeeded, not lost (before: 'another worker owns it
    now; not recorded', lost 1, succeeded 0)."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    w = h.worker("w1")
    h.xadd(slow_job("p1", "uploads/slow.mp4"))
    # Mid-encode: the job thread is past its 'running' write (whose reply a pause
    # right after 'running' shows in the hash could hold back for 10 s).
    h.wait_encoding("p1")
    h.redis.proc.send_signal(signal.SIGSTOP)
    t0 = time.monotonic()
    try:
        # The completion's first try must be in the paused Redis's socket before it
        # times out: the upload of result.json ends the job's own work.
        # (Generous: on busy shared cores the encode may take seconds; Redis stays paused.)
        end = time.monotonic() + 20
        while not os.path.exists(h.output("out/p1/result.json")) and time.monotonic() < end:
            time.sleep(0.05)
        check(os.path.exists(h.output("out/p1/result.json")), "the job did not finish during the pause")
        # The first try timed out (the job thread says Redis is unreachable, and retries);
        # then Redis goes on, and runs that first try before the retry comes.
        end = time.monotonic() + 16
        while not [x for x in logged(w, "Redis unreachable") if x.get("job") == "p1"] and time.monotonic() < end:
            time.sleep(0.1)
        check([x for x in logged(w, "Redis unreachable") if x.get("job") == "p1"],
              "the completion's first try did not time out during the pause: the case proves nothing")
        paused = time.monotonic() - t0
    finally:
        h.redis.proc.send_signal(signal.SIGCONT)
    hs = h.wait_state("p1", ["succeeded", "failed"], 15)
    check(hs["state"] == "succeeded", f"p1: {hs}")
    got = wait_metric(w, {"succeeded": 1, "lost": 0}, 15)
    check(got == {"succeeded": 1, "lost": 0}, f"metrics say {got} for a job Redis recorded")
    check(not logged(w, "another worker owns it"), "logged as owned by another worker")
    exactly_once(h, ["p1"])
    print(f"figure: Redis paused {paused:.1f}s while the job finished: recorded once, counted succeeded")
    stop_worker(w)


def case_paused_redis_handback(h):
    """Item 4, hand-back side: Redis paused past the command timeout while a worker
    hands its job back (SIGTERM twice). The retry sees that the first try landed and
    logs the hand-back as done (before: one try under the hard stop, 'releasing the
    job failed'); one 'queued' event; another worker runs the job once."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    a = h.worker("a", MPEGFLOW_DRAIN_TIMEOUT=120, MPEGFLOW_CLAIM_TIMEOUT=30)
    h.xadd(slow_job("ph1", "uploads/slow.mp4"))
    h.wait_encoding("ph1")
    h.redis.proc.send_signal(signal.SIGSTOP)
    try:
        a.signal(signal.SIGTERM)
        time.sleep(0.1)
        a.signal(signal.SIGTERM)
        # The first try timed out: the worker retries (or, before issue 16, gave up).
        def timed_out():
            return [x for x in a.logs() if x.get("job") == "ph1"
                    and ("Redis unreachable" in x["msg"] or "releasing the job failed" in x["msg"])]
        end = time.monotonic() + 16
        while not timed_out() and time.monotonic() < end:
            time.sleep(0.1)
        check(timed_out(), "the hand-back's first try did not time out during the pause: the case proves nothing")
    finally:
        h.redis.proc.send_signal(signal.SIGCONT)
    check(a.wait(15) == 0, "worker exit status")
    done = logged(a, "job handed back")
    check(len(done) == 1 and done[0].get("recorded"), f"hand-back not logged as landed: {done}; "
          f"{[x['msg'] for x in a.logs() if x.get('level') in ('warn', 'error')]}")
    check([e["state"] for _, e in h.events("ph1")] == ["running", "queued"], f"events {h.events('ph1')}")
    b = h.worker("b", MPEGFLOW_CLAIM_TIMEOUT=30)
    h.wait_state("ph1", ["succeeded", "failed"], 30)
    exactly_once(h, ["ph1"])
    stop_worker(b)


def case_fate_deadline_recoverable(h):
    """Redis down for good during a hand-back: the worker retries until the drain
    deadline (1 s) + 10 s, then exits 0 and logs the job as not recorded, with how to
    recover and its JSON; resubmitted from the log to a new Redis, it runs."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    a = h.worker("a", MPEGFLOW_DRAIN_TIMEOUT=1, MPEGFLOW_CLAIM_TIMEOUT=30)
    h.xadd(slow_job("dl1", "uploads/slow.mp4"))
    h.wait_encoding("dl1")
    h.r.close()
    h.redis.kill()
    t0 = time.monotonic()
    a.signal(signal.SIGTERM)
    time.sleep(0.1)
    a.signal(signal.SIGTERM)
    check(a.wait(25) == 0, "worker exit status")
    took = time.monotonic() - t0
    check(10 <= took <= 20, f"exited {took:.1f}s after SIGTERM: want the drain deadline (1 s) + 10 s of tries")
    lines = logged(a, "was not recorded")
    check(len(lines) == 1 and lines[0].get("job") == "dl1", f"'not recorded' lines: {lines}")
    line = lines[0]
    check("mpegflow submit" in line.get("recover", "") and "claim timeout" in line.get("recover", ""),
          f"no way to recover in {line}")
    job = json.loads(line["job_json"])
    check(job.get("id") == "dl1", f"job_json {line['job_json']}")
    print(f"figure: Redis down during a hand-back: worker exited {took:.1f}s after SIGTERM, "
          f"logged: {line['msg']}")
    h.redis = RedisServer(h.tmp, port=h.redis.port).start()     # empty: the entry is gone
    path = os.path.join(h.tmp, "dl1.json")
    with open(path, "w") as f:
        f.write(line["job_json"])
    b = h.worker("b")
    r = subprocess.run([MPEGFLOW, "submit", path, "--wait", "--timeout", "30"], capture_output=True, text=True,
                       env=dict(os.environ, MPEGFLOW_REDIS_URL=h.redis.url), timeout=60)
    check(r.returncode == 0, f"resubmitted job: exit {r.returncode}: {r.stderr}")
    exactly_once(h, ["dl1"])
    stop_worker(b)


def case_readyz_paused_redis(h):
    """Item 5: /readyz follows a PING with a short timeout: 503 within ~5 s of a
    SIGSTOP of Redis (before: 200 for ~12 s), and 200 again soon after SIGCONT."""
    w = h.worker("w1")
    check(h.worker_ready(w, 5), "not ready at start")
    h.redis.proc.send_signal(signal.SIGSTOP)
    t0 = time.monotonic()
    try:
        took = None
        while time.monotonic() - t0 < 15:
            code, body = http_get(w.http_port, "/readyz")
            if code == 503:
                took = time.monotonic() - t0
                break
            time.sleep(0.1)
        check(http_get(w.http_port, "/healthz")[0] == 200, "/healthz with Redis paused")
    finally:
        h.redis.proc.send_signal(signal.SIGCONT)
    check(took is not None and took <= 5, f"/readyz 503 only {took and round(took, 1)}s after SIGSTOP (want <= 5 s)")
    print(f"figure: /readyz 503 {took:.2f}s after SIGSTOP of Redis ({body.strip()})")
    t1 = time.monotonic()
    check(h.worker_ready(w, 10), "not ready again after SIGCONT")
    print(f"figure: /readyz 200 again {time.monotonic() - t1:.2f}s after SIGCONT")
    stop_worker(w)


def case_kill9_storm(h):
    """3 workers, 6 jobs, a kill -9 of a busy worker every ~1 s (4 kills), each replaced:
    0 lost and 0 done twice, counted from the events stream."""
    h.upload("uploads/mid.mp4", clip("mid", "640x360", 4))
    # Attempts count deliveries: a job killed 3 times would be dead-lettered, rightly.
    env = {"MPEGFLOW_CLAIM_TIMEOUT": 2, "MPEGFLOW_MAX_ATTEMPTS": 10}
    ws = [h.worker(f"w{i}", **env) for i in range(3)]
    jobs = [f"s{i}" for i in range(6)]
    for j in jobs:
        h.xadd(slow_job(j, "uploads/mid.mp4"))
    kills, n, hit = 0, 3, {}
    end = time.monotonic() + 45
    while kills < 4 and time.monotonic() < end:
        time.sleep(1.0)
        busy = sorted((j for j in jobs if h.job(j).get("state") == "running"), key=lambda j: hit.get(j, 0))
        alive = [w for w in ws if w.proc.poll() is None]
        victim = next(((j, w) for j in busy for w in alive if h.job(j).get("worker", "").endswith(f"-{w.pid}")),
                      None)
        if victim is None:
            continue
        hit[victim[0]] = hit.get(victim[0], 0) + 1
        victim = victim[1]
        victim.signal(signal.SIGKILL)
        victim.wait(5)
        kills += 1
        ws.append(h.worker(f"w{n}", **env))
        n += 1
    check(kills >= 3, f"only {kills} kills landed on a busy worker")
    end = time.monotonic() + 40
    while time.monotonic() < end and len([j for j in jobs if h.job(j).get("state") in ("succeeded", "failed")]) < 6:
        time.sleep(0.2)
    exactly_once(h, jobs)
    takeovers = sum(1 for _, e in h.events() if e["state"] == "running") - len(jobs)
    print(f"figure: kill -9 storm: {kills} kills, {takeovers} takeovers, 6 jobs, 0 lost, 0 done twice")
    for w in ws:
        if w.proc.poll() is None:
            stop_worker(w)


def case_redis_restart_midjob(h):
    """Redis restarts empty mid-encode: the job is recorded once on the new Redis."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    w = h.worker("w1", MPEGFLOW_CLAIM_TIMEOUT=3)
    h.xadd(slow_job("m1", "uploads/slow.mp4"))
    h.wait_encoding("m1")
    restart_redis_empty(h)
    hs = h.wait_state("m1", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded" and hs.get("result"), f"m1: {hs}")
    check(os.path.exists(h.output("out/m1/result.json")), "result.json not uploaded")
    exactly_once(h, ["m1"])
    got = wait_metric(w, {"succeeded": 1, "lost": 0})
    check(got == {"succeeded": 1, "lost": 0}, f"metrics {got}")
    stop_worker(w)


def case_sigterm_twice(h):
    """SIGTERM twice mid-encode: handed back at once (not an attempt), another worker
    runs it within a few seconds, succeeded once."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    ws = [h.worker(n, MPEGFLOW_DRAIN_TIMEOUT=120, MPEGFLOW_CLAIM_TIMEOUT=30) for n in ("a", "b")]
    h.xadd(slow_job("t2", "uploads/slow.mp4"))
    h.wait_encoding("t2")
    a = running_worker(h, ws, "t2")
    t0 = time.time()
    a.signal(signal.SIGTERM)
    time.sleep(0.1)
    a.signal(signal.SIGTERM)
    check(a.wait(10) == 0, "exit status after the second signal")
    hs = h.wait_state("t2", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded" and hs["attempt"] == "1", f"t2: {hs}")
    ev = h.events("t2")
    check([e["state"] for _, e in ev] == ["running", "queued", "running", "succeeded"], f"events {ev}")
    check(entry_ms(ev[2][0]) / 1000 - t0 < 5, "the other worker took more than 5 s")
    exactly_once(h, ["t2"])
    check(final_events(h) == {"t2": ["succeeded"]}, "final events")
    check(logged(a, "job handed back"), "no 'job handed back' line from the stopped worker")
    stop_worker(next(w for w in ws if w is not a))


def pid1_worker(h, name, **env):
    """A worker that is PID 1 of its own PID namespace (as in a container without an
    init), through unshare; exit 77 where that is not permitted. Returns the harness
    worker (its proc is unshare's, which exits with the worker's status) and the
    worker's pid as the host sees it, to signal it directly."""
    probe = subprocess.run(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        print(f"unshare refused ({probe.stderr.decode().strip()}): skipped")
        sys.exit(77)
    wrapper = os.path.join(h.tmp, "pid1.sh")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec unshare --pid --fork --kill-child --mount-proc {MPEGFLOW} "$@"\n')
    os.chmod(wrapper, 0o755)
    import workerharness
    saved, workerharness.MPEGFLOW = workerharness.MPEGFLOW, wrapper
    try:
        w = h.worker(name, **env)
    finally:
        workerharness.MPEGFLOW = saved
    with open(f"/proc/{w.pid}/task/{w.pid}/children") as f:
        inner = int(f.read().split()[0])
    with open(f"/proc/{inner}/status") as f:
        nspid = [line.split()[-1] for line in f if line.startswith("NSpid:")]
    check(nspid == ["1"], f"the worker is not PID 1 in its namespace: NSpid {nspid}")
    return w, inner


def case_sigterm_pid1(h):
    """As PID 1 (where a signal without a handler is ignored): SIGTERM drains, the job
    finishes here; a second worker, also PID 1, hands its job back on SIGTERM twice."""
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    w, pid = pid1_worker(h, "p1", MPEGFLOW_DRAIN_TIMEOUT=60, MPEGFLOW_CLAIM_TIMEOUT=30)
    h.xadd(slow_job("one", "uploads/slow.mp4"))
    h.wait_encoding("one")
    os.kill(pid, signal.SIGTERM)
    check(w.wait(30) == 0, "PID 1 worker: exit status after the drain")
    check([e["state"] for _, e in h.events("one")] == ["running", "succeeded"], f"events {h.events('one')}")
    a, apid = pid1_worker(h, "p2", MPEGFLOW_DRAIN_TIMEOUT=60, MPEGFLOW_CLAIM_TIMEOUT=30)
    h.xadd(slow_job("two", "uploads/slow.mp4"))
    h.wait_encoding("two")
    os.kill(apid, signal.SIGTERM)
    time.sleep(0.1)
    os.kill(apid, signal.SIGTERM)
    check(a.wait(10) == 0, "PID 1 worker: exit status after the second signal")
    check([e["state"] for _, e in h.events("two")] == ["running", "queued"], f"events {h.events('two')}")
    b = h.worker("b", MPEGFLOW_CLAIM_TIMEOUT=30)
    h.wait_state("two", ["succeeded", "failed"], 30)
    exactly_once(h, ["one", "two"])
    stop_worker(b)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(main(CASES))
