"""Issue 16 item 6: scratch left by kill -9 is removed when a worker starts on that dir.

Three times: a worker takes a job, is killed with SIGKILL mid-encode (its job dir,
with the input and partial outputs, stays), and the next worker starts on the same
scratch dir. Each start must remove the dead worker's dir, while a live worker that
shares the scratch dir and encodes all along keeps its own; its job succeeds.

usage: test_scratch_kill9.py kill9
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import check, clip, main, slow_job  # noqa: E402

KILLS = 3
CLAIM = 30           # no takeover while the test runs: each job stays with its dead worker


def dirs(h, job_id=None):
    return sorted(d for d in os.listdir(h.scratch)
                  if d.startswith("mpegflow-") and (job_id is None or d.startswith(f"mpegflow-{job_id}-")))


def case_kill9(h):
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    h.upload("uploads/long.mp4", clip("long", "640x360", 30))
    # A live worker mid-encode on the same scratch dir the whole time.
    b = h.worker("b", MPEGFLOW_CLAIM_TIMEOUT=CLAIM)
    h.xadd(slow_job("live", "uploads/long.mp4"))
    h.wait_encoding("live")
    left, workers = [], []
    for i in range(1, KILLS + 2):
        w = h.worker(f"a{i}", MPEGFLOW_CLAIM_TIMEOUT=CLAIM)
        workers.append(w)
        now = dirs(h)
        check(not [d for d in now if d.startswith("mpegflow-k")],
              f"worker a{i} started, the dead workers' dirs are still there: {now}")
        check(dirs(h, "live") and h.job("live").get("state") == "running",
              f"the live worker's dir or job is gone: {now}, {h.job('live').get('state')}")
        if i > KILLS:
            break
        h.xadd(slow_job(f"k{i}", "uploads/slow.mp4"))
        h.wait_encoding(f"k{i}")
        check(dirs(h, f"k{i}"), f"k{i} has no scratch dir mid-encode: {dirs(h)}")
        w.signal(signal.SIGKILL)
        w.wait(5)
        left.append(len(dirs(h)) - 1)
    print(f"figure: dead workers' dirs in scratch after each of {KILLS} kill -9s (before the next start): "
          f"{left}; after the restart: {len([d for d in dirs(h) if d.startswith('mpegflow-k')])}, "
          f"live worker's dir kept: {bool(dirs(h, 'live'))}")
    hs = h.wait_state("live", ["succeeded", "failed"], 90)
    check(hs["state"] == "succeeded", f"live: {hs}")
    last = workers[-1]
    for w in (last, b):
        w.signal(signal.SIGTERM)
        check(w.wait(20) == 0, f"{w.name} exit status")
    check(not dirs(h), f"scratch not empty after clean exits: {dirs(h)}")
    freed = []
    for w in workers[1:]:
        logs = [e for e in w.logs() if e.get("msg") == "removed the scratch dirs of dead workers"]
        check(logs and int(logs[0].get("dirs")) == 1, f"{w.name}'s log: {logs}")
        freed.append(float(logs[0]["mb"]))
    print(f"figure: MB removed at each restart: {freed}")


if __name__ == "__main__":
    sys.exit(main({"kill9": case_kill9}))
