"""Harness for the worker integration tests: a temp dir with its own
redis-server and nginx (DAV PUT), mpegflow workers as subprocesses, test
clips, and helpers to submit jobs and read the Redis contract back.
Everything started here is stopped on exit (PR_SET_PDEATHSIG as a backstop).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import Redis  # noqa: E402
from servers import Nginx, RedisServer, die_with_parent, free_port  # noqa: E402

MPEGFLOW = os.environ.get("MPEGFLOW", "mpegflow")
PREFIX = "mpegflow:"
STREAM = PREFIX + "queue:default"
EVENTS = PREFIX + "events"
DEAD = PREFIX + "dead:default"


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def clip(name, size, seconds, audio=False):
    """A lavfi test clip, cached across tests (generation costs CPU we share)."""
    cache = os.environ.get("MF_TEST_CACHE") or os.path.join(tempfile.gettempdir(), f"mpegflow-test-clips-{os.getuid()}")
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, f"{name}-{size}-{seconds}{'-a' if audio else ''}.mp4")
    if not os.path.exists(path):
        tmp = path + f".{os.getpid()}.tmp.mp4"
        args = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25"]
        if audio:
            args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-c:a", "aac", "-shortest"]
        args += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", tmp]
        r = subprocess.run(args, capture_output=True, text=True)
        check(r.returncode == 0, f"ffmpeg: {r.stderr}")
        os.replace(tmp, path)
    return path


def small_job(job_id, key, prefix=None, fmt="mp4", preset="ultrafast"):
    return {"id": job_id, "input": key, "output_prefix": prefix or f"out/{job_id}/", "format": fmt,
            "video": {"preset": preset, "renditions": [{"name": "180p", "height": 180, "crf": 30}]},
            "audio": {"mode": "none"}}


def slow_job(job_id, key):
    """A second or more of encoding (640x360 'slow', ~2.7 CPU s on the 10 s clip): long
    enough to kill or drain mid-encode, cheap enough for shared cores."""
    return {"id": job_id, "input": key, "output_prefix": f"out/{job_id}/", "format": "mp4",
            "video": {"preset": "slow", "renditions": [{"name": "360p", "height": 360, "crf": 23}]},
            "audio": {"mode": "none"}}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def http_get(port, path, timeout=5):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def entry_ms(entry_id):
    return int(entry_id.split("-")[0])


class Worker:
    def __init__(self, h, name, env):
        self.name = name
        self.http_port = free_port()
        self.log_path = os.path.join(h.tmp, f"{name}.log")
        full = dict(os.environ)
        full.update({
            "MPEGFLOW_REDIS_URL": h.redis.url,
            "MPEGFLOW_STORAGE_URL": h.nginx.url,
            "MPEGFLOW_HTTP_ADDR": f"127.0.0.1:{self.http_port}",
            "MPEGFLOW_LOG_FORMAT": "json",
            "MPEGFLOW_SCRATCH_DIR": h.scratch,
            "MPEGFLOW_CLAIM_TIMEOUT": "5",
            "MPEGFLOW_BACKEND": "x264",
        })
        full.update({k: str(v) for k, v in env.items() if k.startswith(("MPEGFLOW_", "AWS_"))})
        args = [MPEGFLOW, "worker"] + [str(a) for a in env.get("args", [])]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, env=full, stdout=self.log, stderr=self.log, preexec_fn=die_with_parent)
        self.pid = self.proc.pid

    def wait_http(self, limit=10):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            try:
                return http_get(self.http_port, "/healthz", timeout=1)
            except OSError:
                time.sleep(0.05)
        raise Failure(f"{self.name}: no HTTP listener")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, limit):
        try:
            return self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            raise Failure(f"{self.name} did not exit within {limit}s")

    def logs(self):
        with open(self.log_path) as f:
            return [json.loads(line) for line in f if line.startswith("{")]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Harness:
    def __init__(self, redis=RedisServer):
        """redis: a class like servers.RedisServer (tmp -> a server with .url, .port, .start())."""
        self.tmp = tempfile.mkdtemp(prefix="mpegflow-worker-test-")
        self.scratch = os.path.join(self.tmp, "scratch")
        os.makedirs(self.scratch)
        self.redis = redis(self.tmp).start()
        self.nginx = Nginx(self.tmp).start()
        self.r = Redis(self.redis.port)
        self.workers = []

    def worker(self, name, **env):
        w = Worker(self, name, env)
        self.workers.append(w)
        w.wait_http()
        return w

    def worker_ready(self, w, limit=5):
        """True once the worker's /readyz answers 200 (within limit seconds)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if http_get(w.http_port, "/readyz")[0] == 200:
                return True
            time.sleep(0.1)
        return False

    def upload(self, key, path):
        self.nginx.put_file(key, path)
        return key

    def xadd(self, job):
        text = job if isinstance(job, str) else json.dumps(job)
        return self.r("XADD", STREAM, "*", "job", text)

    def job(self, job_id):
        return self.r.hgetall(PREFIX + "job:" + job_id)

    def scratch_left(self, limit=5):
        """What is left in the scratch dir once the worker has had time to clean up:
        it removes a job's dir just after it records the outcome in Redis."""
        end = time.monotonic() + limit
        while os.listdir(self.scratch) and time.monotonic() < end:
            time.sleep(0.02)
        return os.listdir(self.scratch)

    def wait_state(self, job_id, states, limit=60):
        end = time.monotonic() + limit
        h = {}
        while time.monotonic() < end:
            try:
                h = self.job(job_id)
            except (OSError, ConnectionError):
                h = {}
            if h.get("state") in states:
                return h
            time.sleep(0.05)
        raise Failure(f"job {job_id}: state {h.get('state')!r} after {limit}s, want {states}; hash {h}")

    def wait_encoding(self, job_id, limit=30):
        """Until the job is mid-encode: running, with progress above 0 in its hash."""
        end = time.monotonic() + limit
        h = {}
        while time.monotonic() < end:
            h = self.job(job_id)
            if h.get("state") == "running" and 0 < float(h.get("progress", 0)) < 100:
                return h
            time.sleep(0.02)
        raise Failure(f"job {job_id} not seen mid-encode: {h}")

    def events(self, job_id=None):
        ev = self.r.xrange(EVENTS)
        return [(i, e) for i, e in ev if job_id is None or e.get("job") == job_id]

    def event_time(self, job_id, state, nth=0):
        ev = [i for i, e in self.events(job_id) if e["state"] == state]
        return entry_ms(ev[nth]) if len(ev) > nth else None

    def output(self, key):
        return os.path.join(self.nginx.media, key)

    def close(self, ok):
        for w in self.workers:
            w.stop()
        self.r.close()
        self.redis.stop()
        self.nginx.stop()
        if not ok:
            for w in self.workers:
                print(f"--- {w.name} log (last 30 lines)", file=sys.stderr)
                with open(w.log_path) as f:
                    sys.stderr.writelines(f.readlines()[-30:])
        if os.environ.get("MF_TEST_KEEP"):
            print(f"kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main(cases, servers=None):
    """usage: SCRIPT CASE — runs cases[CASE](harness) or, for names ending in
    '_noserver', cases[CASE]() without servers. servers: {CASE: RedisServer-like
    class} for cases that need another kind of Redis."""
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in cases:
        print(f"usage: {sys.argv[0]} {{{'|'.join(cases)}}}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))   # meson's timeout: clean up
    t0 = time.monotonic()
    if name.endswith("_noserver"):
        try:
            cases[name]()
        except Failure as e:
            print(f"FAIL {name}: {e}", file=sys.stderr)
            return 1
        print(f"ok {name} {time.monotonic() - t0:.1f}s")
        return 0
    h = Harness(**({"redis": servers[name]} if servers and name in servers else {}))
    ok = False
    try:
        cases[name](h)
        ok = True
    except Failure as e:
        print(f"FAIL {name}: {e}", file=sys.stderr)
    finally:
        h.close(ok)
    print(f"{'ok' if ok else 'FAILED'} {name} {time.monotonic() - t0:.1f}s")
    return 0 if ok else 1
