"""The Redis that operators run (issue 14): retention, ACL users, TLS. The real
worker, submit and status against redis-server (and nginx) on loopback.

usage: test_redis.py CASE      (figures measured along the way are printed as "figure: ...")
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import (DEAD, EVENTS, MPEGFLOW, PREFIX, STREAM, Failure, check, clip,  # noqa: E402
                           main, small_job)
from servers import RedisServer  # noqa: E402


def client(h, *args, env=None, timeout=60):
    e = dict(os.environ, MPEGFLOW_REDIS_URL=h.redis.url)
    e.update(env or {})
    return subprocess.run([MPEGFLOW, *args], env=e, capture_output=True, text=True, timeout=timeout)


def memory_usage(h, key):
    return h.r("MEMORY", "USAGE", key, "SAMPLES", "0") or 0


def case_retention(h):
    """MPEGFLOW_JOB_TTL on finished hashes (succeeded and failed), MAXLEN ~ on the
    events and dead-letter streams, status of an expired job."""
    h.upload("uploads/r.mp4", clip("small", "320x180", 2))
    h.r("CONFIG", "SET", "stream-node-max-entries", "2")   # MAXLEN ~ trims near the cap
    h.worker("w1", MPEGFLOW_JOB_TTL="4", MPEGFLOW_EVENTS_MAXLEN="6", MPEGFLOW_DEAD_MAXLEN="2")
    n = 4
    for i in range(n):
        h.xadd(small_job(f"ok{i}", "uploads/r.mp4"))
        h.xadd(small_job(f"bad{i}", "uploads/missing.mp4"))
    for i in range(n):
        h.wait_state(f"ok{i}", ["succeeded"], 60)
        h.wait_state(f"bad{i}", ["failed"], 60)
    for i in range(n):
        for jid in (f"ok{i}", f"bad{i}"):
            ttl = h.r("TTL", PREFIX + "job:" + jid)
            check(0 < ttl <= 4, f"{jid}: TTL {ttl}, want 1..4 (MPEGFLOW_JOB_TTL=4)")
    ev, dead = h.r("XLEN", EVENTS), h.r("XLEN", DEAD)
    # 3 events per job, 8 jobs: 24 written; the cap is 6 (+ one node of 2 for MAXLEN ~).
    check(6 <= ev <= 8, f"events stream length {ev}, want about 6 (MPEGFLOW_EVENTS_MAXLEN)")
    check(2 <= dead <= 4, f"dead-letter stream length {dead}, want about 2 (MPEGFLOW_DEAD_MAXLEN)")
    hash_bytes = memory_usage(h, PREFIX + "job:ok0")
    st = client(h, "status", "ok0")
    check(st.returncode == 0 and json.loads(st.stdout)["state"] == "succeeded", f"status: {st.stderr}")
    # Expired: the key is gone and status says why it may be.
    end = time.monotonic() + 10
    while h.r("EXISTS", PREFIX + "job:ok0") and time.monotonic() < end:
        time.sleep(0.2)
    st = client(h, "status", "ok0", env={"MPEGFLOW_JOB_TTL": "4"})
    check(st.returncode == 1 and "no job 'ok0'" in st.stderr and "expired" in st.stderr
          and "MPEGFLOW_JOB_TTL" in st.stderr, f"status of an expired job: {st.returncode} {st.stderr!r}")
    print(f"figure: finished job hash MEMORY USAGE {hash_bytes} B, TTL 4 s then 0 B; "
          f"events {ev} (cap 6), dead {dead} (cap 2) after {2 * n} jobs")
    print(f"status of an expired job: {st.stderr.strip()}")


def case_retention_default(h):
    """Defaults: 7 days on a finished hash; MPEGFLOW_JOB_TTL=0 keeps it."""
    h.upload("uploads/r.mp4", clip("small", "320x180", 2))
    w = h.worker("w1")
    h.xadd(small_job("d1", "uploads/r.mp4"))
    h.wait_state("d1", ["succeeded"], 60)
    ttl = h.r("TTL", PREFIX + "job:d1")
    check(7 * 86400 - 60 < ttl <= 7 * 86400, f"default TTL {ttl}, want 7 days")
    w.stop()
    h.worker("w2", MPEGFLOW_JOB_TTL="0")
    h.xadd(small_job("d2", "uploads/r.mp4"))
    h.wait_state("d2", ["succeeded"], 60)
    check(h.r("TTL", PREFIX + "job:d2") == -1, "MPEGFLOW_JOB_TTL=0 set a TTL")
    # Memory a finished job costs: its hash plus its share of the events stream.
    keys = {k: memory_usage(h, k) for k in (PREFIX + "job:d1", EVENTS, STREAM)}
    print(f"figure: MEMORY USAGE after 2 jobs: {keys}; events entries {h.r('XLEN', EVENTS)}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
SERVERS = {}

if __name__ == "__main__":
    sys.exit(main(CASES, SERVERS))
