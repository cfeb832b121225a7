"""Shared pieces of the faults suite (issue 16): the worker harness of
tests/lib/workerharness.py (its own redis-server and nginx per test), a storage
fault proxy in front of nginx, and the checks every row makes: outcomes counted
from the events stream, the worker's metrics, its log."""
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from workerharness import (DEAD, EVENTS, MPEGFLOW, PREFIX, STREAM, Failure, check, clip, entry_ms,  # noqa: E402,F401
                           http_get, main, slow_job, small_job)
from servers import RedisServer  # noqa: E402,F401
from fault_proxy import FaultProxy  # noqa: E402,F401

FINAL = ("succeeded", "failed")


def metrics(w):
    code, text = http_get(w.http_port, "/metrics")
    check(code == 200, f"/metrics {code}")
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def outcome(w, name):
    return metrics(w).get(f'mpegflow_jobs_total{{outcome="{name}"}}', 0)


def wait_metric(w, want, limit=5):
    """Until every outcome in want ({"succeeded": 1, ...}) has its count; the outcome is
    counted a moment after Redis recorded it."""
    end = time.monotonic() + limit
    while True:
        m = metrics(w)
        got = {k: m.get(f'mpegflow_jobs_total{{outcome="{k}"}}', 0) for k in want}
        if got == want or time.monotonic() > end:
            return got
        time.sleep(0.1)


def logged(w, text):
    return [entry for entry in w.logs() if text in entry.get("msg", "")]


def wait_logged(w, text, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        found = logged(w, text)
        if found:
            return found
        time.sleep(0.1)
    raise Failure(f"{w.name}: no log line with {text!r} within {limit}s")


def final_events(h):
    """{job: [final states]} from the events stream: a job done twice shows twice."""
    out = {}
    for _, e in h.events():
        if e["state"] in FINAL:
            out.setdefault(e["job"], []).append(e["state"])
    return out


def exactly_once(h, jobs):
    """Every job in jobs succeeded exactly once (events), and the stream is empty."""
    fin = final_events(h)
    lost = [j for j in jobs if j not in fin]
    twice = [j for j in jobs if len(fin.get(j, [])) > 1]
    wrong = [j for j in jobs if fin.get(j) and fin[j] != ["succeeded"]]
    check(not lost and not twice and not wrong,
          f"lost {lost}, done twice {twice}, not succeeded {wrong}; final events {fin}")
    check(h.r("XLEN", STREAM) == 0, f"stream not empty: {h.r.xrange(STREAM)}")


def running_worker(h, ws, job_id):
    """The worker (of ws) whose pid the job hash names as running it."""
    hs = h.job(job_id)
    for w in ws:
        if hs.get("worker", "").endswith(f"-{w.pid}"):
            return w
    raise Failure(f"{job_id}: no worker of {[w.name for w in ws]} runs it: {hs}")


def restart_redis_empty(h):
    h.r.close()
    h.redis.kill()
    h.redis = RedisServer(h.tmp, port=h.redis.port).start()


def stop_worker(w, limit=10):
    w.signal(signal.SIGTERM)
    check(w.wait(limit) == 0, f"{w.name}: exit status")
