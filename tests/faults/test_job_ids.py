"""Issue 16 item 8: one rule for job ids (README, "Redis contract").

- An id is 1 to 127 characters of A-Z a-z 0-9 . _ : -. A job whose "id" breaks the
  rule (wrong characters, a space, empty, too long, not a string) is failed under
  mpegflow:job:<stream entry id>, with an error that names the id field; no key is
  made from the refused id.
- A valid id is kept when another field is invalid: the producer watching job:<id>
  sees the failure.
- A resubmission of a finished id (a plain XADD, no `submit`) starts a fresh hash:
  the earlier run's result, progress, fps, error and TTL are gone.

usage: test_job_ids.py bad_ids|valid_id_bad_field|resubmission
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import DEAD, PREFIX, Failure, check, clip, main, small_job  # noqa: E402


def wait_hash(h, key, limit=30):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        hs = h.r.hgetall(key)
        if hs.get("state") in ("succeeded", "failed"):
            return hs
        time.sleep(0.05)
    raise Failure(f"{key}: not finished after {limit}s: {h.r.hgetall(key)}")


def job_keys(h):
    return sorted(h.r("KEYS", PREFIX + "job:*"))


BAD = {
    "glob": "x:*:queue:default",
    "emoji": "\U0001f600id",
    "space": "has space",
    "empty": "",
    "long": "a" * 200,
    "number": 5,
    "slash": "../etc",
}


def case_bad_ids(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    h.worker("w1")
    entries = {}
    for name, bad in BAD.items():
        job = small_job("placeholder", "uploads/ok.mp4")
        job["id"] = bad
        entries[name] = h.xadd(job)
    # A bad id and a bad field: the error names both, the other field first.
    job = small_job("placeholder", "uploads/ok.mp4")
    job["id"] = "two bad"
    job["colour"] = "red"
    entries["both"] = h.xadd(job)
    seen = []
    for name, entry in entries.items():
        hs = wait_hash(h, PREFIX + "job:" + entry)
        check(hs["state"] == "failed", f"{name}: {hs}")
        check("id:" in hs["error"] and f"recorded under the stream entry id {entry}" in hs["error"],
              f"{name}: the error does not name the id field: {hs['error']!r}")
        check(hs.get("entry") == entry, f"{name}: the hash's entry field: {hs}")
        seen.append(f"{name}: {hs['error']}")
    both = h.r.hgetall(PREFIX + "job:" + entries["both"])["error"]
    check(both.startswith("colour") and "; id: may only contain" in both, f"both: {both!r}")
    keys = job_keys(h)
    want = sorted(PREFIX + "job:" + e for e in entries.values())
    check(keys == want, f"keys made from refused ids: {sorted(set(keys) - set(want))}")
    dead = {e["entry"]: e for _, e in h.r.xrange(DEAD)}
    check(all(dead[e]["id"] == e for e in entries.values()), f"dead letters' ids: {dead}")
    print("figure: refused ids, each failed under its entry id:\n  " + "\n  ".join(seen))


def case_valid_id_bad_field(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    h.worker("w1")
    job = small_job("watched-1", "uploads/ok.mp4")
    job["format"] = "avi"
    h.xadd(job)
    job = small_job("watched-2", "uploads/ok.mp4")
    job["extra"] = 1
    h.xadd(job)
    job = small_job("watched-3", "uploads/ok.mp4")
    job["video"]["renditions"][0]["height"] = 99999
    h.xadd(job)
    for jid, field in (("watched-1", "format"), ("watched-2", "extra"), ("watched-3", "video.renditions[0].height")):
        hs = h.wait_state(jid, ["succeeded", "failed"], 30)
        check(hs["state"] == "failed" and hs["error"].startswith(field), f"{jid}: {hs}")
    check(job_keys(h) == [PREFIX + "job:watched-" + n for n in "123"], f"keys {job_keys(h)}")
    print("figure: a valid id with a bad field is failed under job:<id> (3 of 3)")


def case_resubmission(h):
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    h.worker("w1")
    key = PREFIX + "job:re1"
    h.xadd(small_job("re1", "uploads/ok.mp4"))
    first = h.wait_state("re1", ["succeeded", "failed"], 30)
    check(first["state"] == "succeeded" and first.get("result") and first["progress"] == "100", f"first: {first}")
    check(h.r("TTL", key) > 0, "a finished hash has a TTL")
    # A malformed resubmission of the finished id, by plain XADD.
    bad = small_job("re1", "uploads/ok.mp4")
    bad["format"] = "avi"
    entry = h.xadd(bad)
    end = time.monotonic() + 30
    while h.r.hgetall(key).get("entry") != entry and time.monotonic() < end:
        time.sleep(0.05)
    hs = h.wait_state("re1", ["failed"], 30)
    print(f"figure: malformed resubmission of a finished id: {sorted(hs)}")
    check(hs["error"].startswith("format"), f"error {hs}")
    stale = [f for f in ("result", "progress", "fps", "started_at") if f in hs]
    check(not stale, f"the earlier run's fields are kept: {stale}: {hs}")
    # A good resubmission: while it runs, nothing of the earlier runs shows.
    entry = h.xadd(small_job("re1", "uploads/ok.mp4", preset="medium"))
    end = time.monotonic() + 30
    running = {}
    while time.monotonic() < end:
        running = h.r.hgetall(key)
        if running.get("entry") == entry and running.get("state") == "running":
            break
        time.sleep(0.01)
    check(running.get("state") == "running" and "error" not in running and "result" not in running,
          f"running resubmission: {running}")
    check(h.r("TTL", key) == -1, f"the running resubmission has the earlier TTL: {h.r('TTL', key)}")
    hs = h.wait_state("re1", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded" and hs["entry"] == entry and json.loads(hs["result"]), f"third: {hs}")
    # A retry of the same entry keeps its hash (the error of the attempt before).
    check(hs["attempt"] == "1", f"attempt {hs}")


if __name__ == "__main__":
    sys.exit(main({"bad_ids": case_bad_ids, "valid_id_bad_field": case_valid_id_bad_field,
                   "resubmission": case_resubmission}))
