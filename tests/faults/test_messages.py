"""Issue 16 item 11: what a failed job's error says.

- input_key: an input that is not media fails with an error that names the job's
  input key, not the worker's scratch path (<scratch>/mpegflow-<id>-XXXXXX/input.mp4).
- gave_up: a job whose every attempt died with its worker (kill -9 mid-encode) ends
  with "gave up after N attempts" and the last cause: which attempt, on which worker,
  ended without an outcome.

usage: test_messages.py input_key|gave_up
"""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import DEAD, check, clip, main, slow_job, small_job  # noqa: E402


def case_input_key(h):
    junk = os.path.join(h.tmp, "junk.mp4")
    with open(junk, "wb") as f:
        f.write(os.urandom(20000))
    h.upload("uploads/camera/junk.mp4", junk)
    h.upload("uploads/cut.mp4", clip("small", "320x180", 2))
    with open(h.output("uploads/cut.mp4"), "r+b") as f:
        f.truncate(3000)
    h.worker("w1")
    for jid, key in (("junk", "uploads/camera/junk.mp4"), ("cut", "uploads/cut.mp4")):
        h.xadd(small_job(jid, key))
        hs = h.wait_state(jid, ["succeeded", "failed"], 30)
        print(f"figure: {jid}: error {hs.get('error')!r}")
        check(hs["state"] == "failed", f"{jid}: {hs}")
        check(key in hs["error"], f"{jid}: the error does not name the input key {key}: {hs['error']!r}")
        check(h.scratch not in hs["error"] and "mpegflow-" not in hs["error"],
              f"{jid}: the error names the scratch path: {hs['error']!r}")
        dead = [e for _, e in h.r.xrange(DEAD) if e["id"] == jid]
        check(dead and key in dead[0]["reason"], f"{jid}: dead letter reason {dead}")


def case_gave_up(h):
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    a = h.worker("a", MPEGFLOW_MAX_ATTEMPTS=1, MPEGFLOW_CLAIM_TIMEOUT=2)
    h.xadd(slow_job("doomed", "uploads/slow.mp4"))
    h.wait_encoding("doomed")
    a.signal(signal.SIGKILL)
    a.wait(5)
    h.worker("b", MPEGFLOW_MAX_ATTEMPTS=1, MPEGFLOW_CLAIM_TIMEOUT=2)
    hs = h.wait_state("doomed", ["succeeded", "failed"], 30)
    print(f"figure: gave up: {hs.get('error')!r}")
    check(hs["state"] == "failed", f"doomed: {hs}")
    err = hs["error"]
    check(err.startswith("gave up after 1 attempt"), f"error {err!r}")
    check("attempt 1" in err and "without an outcome" in err and a.name not in ("",), f"no last cause: {err!r}")
    check(hs.get("worker", "") != "" and "killed" in err, f"no last cause: {err!r}")


if __name__ == "__main__":
    sys.exit(main({"input_key": case_input_key, "gave_up": case_gave_up}))
