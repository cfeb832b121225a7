"""The fault matrix (issue 16), storage rows: 5xx, a hang, a slow link and a cut
transfer, on GET (the input) and on PUT (the outputs), through fault_proxy.py in
front of the test nginx; and keys that try to leave the endpoint.

Every PUT of result.json is checked when it reaches the proxy: each output it lists
is already in storage with the size it gives, and every output PUT so far landed
whole (the stored file's sha256 is that of the body nginx took). So result.json is
never uploaded unless every output is intact.

usage: test_storage_faults.py CASE
"""
import hashlib
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import FaultProxy, check, clip, exactly_once, main, small_job, stop_worker  # noqa: E402

STALL_S = 2     # MPEGFLOW_STORAGE_STALL_TIMEOUT: a hang is cut after this


class Storage:
    """The proxy in front of h's nginx, with the result.json check installed."""

    def __init__(self, h):
        self.h = h
        self.proxy = FaultProxy(h.nginx.port).start()
        self.manifests = 0
        self.broken = []
        self.proxy.on_put = self.on_put

    def on_put(self, path, body):
        if not path.endswith("/result.json"):
            return
        self.manifests += 1
        prefix = urllib.parse.unquote(path[len("/media/"):-len("result.json")])
        try:
            outputs = json.loads(body)["outputs"]
        except (ValueError, KeyError) as e:
            self.broken.append(f"result.json unreadable: {e}")
            return
        for o in outputs:
            if o.get("kind") != "mp4":
                continue           # an HLS output's bytes are its segments': the PUT check covers them
            stored = self.h.output(prefix + o["path"])
            if not os.path.exists(stored) or os.path.getsize(stored) != o["bytes"]:
                self.broken.append(f"{o['path']}: {os.path.exists(stored) and os.path.getsize(stored)} bytes "
                                   f"stored, result.json says {o['bytes']}")
        for method, p, action, status in self.proxy.requests("PUT", "/media/" + prefix):
            if p.endswith("/result.json"):
                continue
            stored = self.h.output(urllib.parse.unquote(p[len("/media/"):]))
            sha = self.proxy.put_sha.get(p)
            if sha is None or not os.path.exists(stored) or hashlib.sha256(open(stored, "rb").read()).hexdigest() != sha:
                self.broken.append(f"{p}: not stored whole when result.json came ({action} {status})")

    def worker(self, name="w1", **env):
        env.setdefault("MPEGFLOW_STORAGE_STALL_TIMEOUT", STALL_S)
        env.setdefault("MPEGFLOW_CLAIM_TIMEOUT", 3)
        return self.h.worker(name, MPEGFLOW_STORAGE_URL=self.proxy.url, **env)

    def run(self, job_id, fmt="both", limit=30, **env):
        """One job through a fresh worker; its final hash and the seconds it took."""
        self.h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
        w = self.worker(**env)
        t0 = time.monotonic()
        self.h.xadd(small_job(job_id, "uploads/ok.mp4", fmt=fmt))
        hs = self.h.wait_state(job_id, ["succeeded", "failed"], limit)
        took = time.monotonic() - t0
        stop_worker(w)
        return hs, took

    def intact(self, job_id, hs):
        check(hs["state"] == "succeeded", f"{job_id}: {hs}")
        check(self.manifests >= 1, "result.json never uploaded")
        check(not self.broken, f"result.json uploaded before every output was intact: {self.broken}")
        exactly_once(self.h, [job_id])


def case_get_5xx(h):
    s = Storage(h)
    s.proxy.rule("GET", "uploads/ok.mp4", "503", times=2)
    hs, took = s.run("g5")
    s.intact("g5", hs)
    check(hs["attempt"] == "1", f"retried as a job, not as a transfer: {hs}")
    check(len(s.proxy.requests("GET", "uploads/ok.mp4")) == 3, f"GETs: {s.proxy.requests('GET')}")


def case_put_5xx(h):
    s = Storage(h)
    s.proxy.rule("PUT", "180p.mp4", "503", times=2)
    hs, took = s.run("p5")
    s.intact("p5", hs)
    check(len(s.proxy.requests("PUT", "180p.mp4")) == 3, f"PUTs: {s.proxy.requests('PUT')}")


def case_put_5xx_always(h):
    """An output that never lands: the job fails, result.json is never uploaded."""
    s = Storage(h)
    s.proxy.rule("PUT", "180p.mp4", "503")
    hs, took = s.run("pa", MPEGFLOW_MAX_ATTEMPTS=1)
    check(hs["state"] == "failed" and "503" in hs.get("error", ""), f"pa: {hs}")
    check(s.manifests == 0 and not s.proxy.requests("PUT", "result.json"), "result.json was uploaded")
    check(not os.path.exists(h.output("out/pa/result.json")), "result.json in storage")


def case_get_hang(h):
    s = Storage(h)
    s.proxy.rule("GET", "uploads/ok.mp4", "hang", times=1)
    hs, took = s.run("gh")
    s.intact("gh", hs)
    check(took >= STALL_S, f"done in {took:.1f}s: the hang did not happen")
    check(len(s.proxy.requests("GET", "uploads/ok.mp4")) >= 2, "no second GET after the hang")
    print(f"figure: GET hang cut and retried, job done in {took:.1f}s (stall timeout {STALL_S}s)")


def case_put_hang(h):
    s = Storage(h)
    s.proxy.rule("PUT", "180p.mp4", "hang", times=1)
    hs, took = s.run("ph")
    s.intact("ph", hs)
    check(took >= STALL_S, f"done in {took:.1f}s: the hang did not happen")
    print(f"figure: PUT hang cut and retried, job done in {took:.1f}s (stall timeout {STALL_S}s)")


def case_get_slow(h):
    rate = 64 * 1024
    s = Storage(h)
    s.proxy.rule("GET", "uploads/ok.mp4", "slow", rate=rate)
    hs, took = s.run("gs")
    s.intact("gs", hs)
    size = os.path.getsize(clip("small", "320x180", 2))
    check(took >= 0.8 * size / rate, f"{size} bytes at {rate} B/s took only {took:.1f}s")
    check(len(s.proxy.requests("GET", "uploads/ok.mp4")) == 1, "a slow (not stalled) GET was retried")


def case_put_slow(h):
    s = Storage(h)
    s.proxy.rule("PUT", "/out/", "slow", rate=64 * 1024)
    hs, took = s.run("ps")
    s.intact("ps", hs)
    check(all(a == "slow" for _, _, a, _ in s.proxy.requests("PUT", "/out/")), "not every PUT was slow")


def case_get_truncated(h):
    s = Storage(h)
    s.proxy.rule("GET", "uploads/ok.mp4", "truncate", times=1)
    hs, took = s.run("gt")
    s.intact("gt", hs)
    check(hs["attempt"] == "1", f"a cut GET made the job fail or retry: {hs}")
    check(len(s.proxy.requests("GET", "uploads/ok.mp4")) >= 2, "the cut GET was taken as whole")


def case_put_truncated(h):
    s = Storage(h)
    s.proxy.rule("PUT", "180p.mp4", "truncate", times=1)
    s.proxy.rule("PUT", "index.m3u8", "truncate", times=1)
    hs, took = s.run("pt")
    s.intact("pt", hs)
    cut = [r for r in s.proxy.requests("PUT") if r[2] == "truncate"]
    check(len(cut) == 2, f"cut PUTs: {cut}")


def case_hostile_keys(h):
    """Keys that try to leave the endpoint (/media/ of nginx): each job fails at once,
    no request leaves /media/, nothing is written outside it, and a file that sits
    just outside (data/secret.mp4) is never read."""
    s = Storage(h)
    h.upload("uploads/ok.mp4", clip("small", "320x180", 2))
    with open(clip("small", "320x180", 2), "rb") as f, open(os.path.join(h.nginx.data, "secret.mp4"), "wb") as g:
        g.write(f.read())
    inputs = ["../secret.mp4", "uploads/../../secret.mp4", "%2e%2e/secret.mp4", "uploads/%2E%2E/%2e%2e/secret.mp4",
              "..%2fsecret.mp4", "uploads/..%2F..%2Fsecret.mp4", "uploads\\..\\..\\secret.mp4", "/../secret.mp4",
              "//127.0.0.1:1/secret.mp4", "http://127.0.0.1:1/secret.mp4", "file:///etc/passwd",
              "uploads/%00/../../secret.mp4", "./../secret.mp4", "uploads/./../../secret.mp4"]
    prefixes = ["../escape/", "out/../../escape/", "%2e%2e/escape/", "..%2fescape/", "/../escape/",
                "out\\..\\..\\escape\\", "http://127.0.0.1:1/escape/"]
    jobs = []
    for i, key in enumerate(inputs):
        jobs.append((f"in{i}", small_job(f"in{i}", key)))
    for i, prefix in enumerate(prefixes):
        jobs.append((f"out{i}", small_job(f"out{i}", "uploads/ok.mp4", prefix=prefix)))
    w = s.worker()
    for _, job in jobs:
        h.xadd(job)
    results = {}
    for job_id, job in jobs:
        hs = h.wait_state(job_id, ["succeeded", "failed"], 30)
        results[job_id] = hs
        if job_id.startswith("in"):
            # Any reading of these keys inside the endpoint is a 404; only an escape succeeds.
            check(hs["state"] == "failed" and hs.get("attempt") == "1", f"{job_id} ({job['input']!r}): {hs}")
        else:
            # Taken literally (a directory named '%2e%2e' under the endpoint) or refused at once.
            check(hs["state"] == "failed" and hs.get("attempt") == "1" or hs["state"] == "succeeded",
                  f"{job_id} ({job['output_prefix']!r}): {hs}")
    for method, path, _, _ in s.proxy.log:
        real = os.path.normpath(urllib.parse.unquote(path.split("?")[0]))
        check(real.startswith("/media/"), f"{method} {path} left the endpoint")
    for root, dirs, files in os.walk(h.nginx.data):
        rel = os.path.relpath(root, h.nginx.data)
        if rel == ".":
            check(set(files) <= {"secret.mp4"} and set(dirs) <= {"media"}, f"written outside media/: {dirs} {files}")
    for job_id, job in jobs:
        hs = results[job_id]
        what = job["input"] if job_id.startswith("in") else job["output_prefix"]
        print(f"{job_id} {what!r}: {hs['state']} {hs.get('error', '')[:120]}")
    stop_worker(w)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    sys.exit(main(CASES))
