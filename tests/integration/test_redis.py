"""The Redis that operators run (issue 14): retention, ACL users, TLS. The real
worker, submit and status against redis-server (and nginx) on loopback.

usage: test_redis.py CASE      (figures measured along the way are printed as "figure: ...")
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import (DEAD, EVENTS, MPEGFLOW, PREFIX, STREAM, Failure, check, clip,  # noqa: E402
                           http_get, main, slow_job, small_job)
from servers import RedisServer, die_with_parent, free_port, wait_port  # noqa: E402
from resp import Redis  # noqa: E402


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


README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "README.md")


def readme_acl(user, password):
    """The README's ACL SETUSER line for user, as arguments, with the password set."""
    with open(README) as f:
        for line in f:
            if line.startswith(f"ACL SETUSER {user} "):
                args = line.split()
                return [">" + password if a.startswith(">") else a for a in args]
    raise Failure(f"README has no 'ACL SETUSER {user}' line")


def perms(rule):
    return [a for a in rule if a.startswith("+")]


def set_user(h, rule, drop=None):
    h.r("ACL", "DELUSER", rule[2])
    h.r(*[a for a in rule if a != drop])


def log_has(w, text, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        with open(w.log_path) as f:
            for line in f:
                if text in line:
                    return line.strip()
        time.sleep(0.05)
    return None


def case_acl(h):
    """The README's users, exactly: jobs run end to end (success, a dead letter, submit
    --wait and status); the worker logs in with MPEGFLOW_REDIS_USERNAME/PASSWORD, the
    client with redis://user:password@."""
    worker, client_rule = readme_acl("mpegflow-worker", "w0rker"), readme_acl("mpegflow-client", "cl:ent@")
    set_user(h, worker)
    set_user(h, client_rule)
    h.upload("uploads/a.mp4", clip("small", "320x180", 2))
    h.worker("w1", MPEGFLOW_REDIS_USERNAME="mpegflow-worker", MPEGFLOW_REDIS_PASSWORD="w0rker",
             MPEGFLOW_CLAIM_TIMEOUT="1")
    url = f"redis://mpegflow-client:cl%3Aent%40@127.0.0.1:{h.redis.port}/0"
    job = os.path.join(h.tmp, "job.json")
    with open(job, "w") as f:
        json.dump(small_job("acl1", "uploads/a.mp4", preset="medium"), f)
    r = client(h, "submit", job, "--wait", "--timeout", "30", env={"MPEGFLOW_REDIS_URL": url})
    check(r.returncode == 0 and json.loads(r.stdout)["outputs"], f"submit --wait: {r.returncode} {r.stderr}")
    st = client(h, "status", "acl1", env={"MPEGFLOW_REDIS_URL": url})
    check(st.returncode == 0 and json.loads(st.stdout)["state"] == "succeeded", f"status: {st.stderr}")
    h.xadd(small_job("acl2", "uploads/missing.mp4"))
    hs = h.wait_state("acl2", ["failed"], 20)
    check(h.r("XLEN", DEAD) == 1 and h.r("TTL", PREFIX + "job:acl2") > 0, f"dead letter / TTL: {hs}")
    check(h.r("ACL", "WHOAMI") == "default", "the test's own connection")
    users = {u.split()[1] for u in h.r("ACL", "LIST")}
    check({"mpegflow-worker", "mpegflow-client"} <= users, f"ACL users {users}")


def case_acl_minus_one(h):
    """Each of the worker's and the client's permissions, one less at a time: a message
    that names the command and says it is the ACL."""
    worker = readme_acl("mpegflow-worker", "pw")
    client_rule = readme_acl("mpegflow-client", "pw")
    h.upload("uploads/a.mp4", clip("small", "320x180", 2))
    h.upload("uploads/long.mp4", clip("small", "320x180", 10))
    job = os.path.join(h.tmp, "job.json")
    # select: only with a database other than 0; ping: idle keepalive, checked by redis-cli below.
    skip = {"+select", "+ping"}
    t0 = time.monotonic()
    for p in perms(client_rule):
        if p in skip:
            continue
        print(f"  client without {p}: {time.monotonic() - t0:.2f}s")
        set_user(h, client_rule, drop=p)
        with open(job, "w") as f:
            json.dump(small_job("c-" + p[1:].replace("|", "-"), "uploads/a.mp4"), f)
        url = f"redis://mpegflow-client:pw@127.0.0.1:{h.redis.port}/0"
        r = client(h, "submit", job, "--wait", "--timeout", "1", env={"MPEGFLOW_REDIS_URL": url})
        if r.returncode == 0:        # submit got through: status and --wait read back
            r = client(h, "status", "c-" + p[1:].replace("|", "-"), env={"MPEGFLOW_REDIS_URL": url})
        name = p[1:].lower()
        check(r.returncode != 0 and "lacks a permission" in r.stderr and f"'{name}'" in r.stderr
              and "ACL user 'mpegflow-client'" in r.stderr,
              f"client without {p}: exit {r.returncode}, stderr {r.stderr!r}")
    for n, p in enumerate(perms(worker)):
        if p in skip:
            continue
        set_user(h, worker, drop=p)
        h.r("DEL", STREAM, EVENTS, DEAD)
        w = h.worker(f"w-{p[1:].replace('|', '-')}", MPEGFLOW_REDIS_USERNAME="mpegflow-worker",
                     MPEGFLOW_REDIS_PASSWORD="pw", MPEGFLOW_CLAIM_TIMEOUT="1", MPEGFLOW_MAX_ATTEMPTS="1")
        jid = f"w{n}"
        # A job long enough for heartbeats (1.3 s), one that fails (dead letter), and one
        # delivered more often than MPEGFLOW_MAX_ATTEMPTS (the worker reads its last error).
        h.xadd(small_job(jid, "uploads/long.mp4", preset="medium"))
        h.xadd(small_job(jid + "-bad", "uploads/missing.mp4"))
        try:
            h.r("XGROUP", "CREATE", STREAM, "workers", "0", "MKSTREAM")
        except Exception:
            pass                     # BUSYGROUP: the worker made it
        ghost = h.xadd(small_job(jid + "-tired", "uploads/a.mp4"))
        h.r("XCLAIM", STREAM, "workers", "ghost", "0", ghost, "IDLE", "100000", "RETRYCOUNT", "5", "FORCE")
        name = p[1:].lower()
        # Only +hget needs the entry lost (as after a Redis restart) while the job runs: the
        # completion then checks the hash's state (HGET). The others keep it (heartbeats).
        line, dropped, end = None, p != "+hget", time.monotonic() + 8
        while not line and time.monotonic() < end:
            line = log_has(w, f"'{name}'", 0.05)
            if not dropped and h.job(jid).get("state") == "running":
                for i, _ in h.r.xrange(STREAM):
                    if json.loads(_["job"])["id"] == jid:
                        h.r("XACK", STREAM, "workers", i)
                        h.r("XDEL", STREAM, i)
                dropped = True
        print(f"  without {p}: {time.monotonic() - end + 8:.2f}s")
        check(line and "lacks a permission" in line and "mpegflow-worker" in line,
              f"worker without {p}: no ACL error naming '{name}' in its log (got: {line})")
        w.stop()
    print(f"figure: {len(perms(worker)) + len(perms(client_rule)) - 4} permissions checked "
          f"one at a time in {time.monotonic() - t0:.1f}s")


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    check(r.returncode == 0, f"openssl {' '.join(args)}: {r.stderr}")


CA_CONF = """[ca]
default_ca = ca
[ca]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
subjectAltName = @alt
[alt]
DNS.1 = {dns}
"""


def make_certs(d):
    """ca.pem signs: server.pem (localhost), expired.pem (localhost, 2020), client.pem;
    other-ca.pem is a second CA that signed nothing the server uses."""
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.pem",
                "-days", "2", "-subj", f"/CN=mpegflow test {ca}", cwd=d)

    def leaf(name, cn, start=None, end=None):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN={cn}", "-addext", f"subjectAltName=DNS:{cn}", cwd=d)
        with open(os.path.join(d, "ca.conf"), "w") as f:
            f.write(CA_CONF.format(dns=cn))
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write(f"{abs(hash(name)) % 10**8:08X}\n")
        dates = ["-startdate", start, "-enddate", end] if start else ["-days", "2"]
        openssl("ca", "-batch", "-config", "ca.conf", "-extensions", "leaf", "-cert", "ca.pem", "-keyfile", "ca.key",
                "-in", f"{name}.csr", "-out", f"{name}.pem", "-notext", *dates, cwd=d)
    leaf("server", "localhost")
    leaf("expired", "localhost", "20200101000000Z", "20210101000000Z")
    leaf("client", "mpegflow-worker")
    return {k: os.path.join(d, k) for k in os.listdir(d)}


class TlsRedis(RedisServer):
    """redis-server with a TLS port (certs made here with openssl) beside the plain
    one, which the test itself uses to look at the keys."""

    def __init__(self, tmp, port=None):
        self.certs = make_certs(os.path.join(tmp, "certs"))
        self.tls_port = free_port()
        c = self.certs
        super().__init__(tmp, port, extra_args=[
            "--tls-port", str(self.tls_port), "--tls-cert-file", c["server.pem"], "--tls-key-file", c["server.key"],
            "--tls-ca-cert-file", c["ca.pem"], "--tls-auth-clients", "no"])

    @property
    def url(self):
        return f"rediss://localhost:{self.tls_port}/0"

    def start(self):
        super().start()
        wait_port(self.tls_port, self.proc)
        return self


def case_tls(h):
    """A job end to end over rediss:// verified against MPEGFLOW_REDIS_CA (worker,
    submit --wait, status), then mutual TLS."""
    ca = h.redis.certs["ca.pem"]
    h.upload("uploads/t.mp4", clip("small", "320x180", 2))
    w = h.worker("w1", MPEGFLOW_REDIS_CA=ca)
    job = os.path.join(h.tmp, "job.json")
    with open(job, "w") as f:
        json.dump(small_job("tls1", "uploads/t.mp4"), f)
    env = {"MPEGFLOW_REDIS_CA": ca}
    r = client(h, "submit", job, "--wait", "--timeout", "30", env=env)
    check(r.returncode == 0 and json.loads(r.stdout)["outputs"], f"submit --wait over TLS: {r.returncode} {r.stderr}")
    st = client(h, "status", "tls1", env=env)
    check(st.returncode == 0 and json.loads(st.stdout)["state"] == "succeeded", f"status over TLS: {st.stderr}")
    check(h.worker_ready(w), "worker not ready over TLS")
    # MPEGFLOW_REDIS_CA may be a hashed directory (openssl rehash), like /etc/ssl/certs.
    cadir = os.path.join(h.tmp, "cadir")
    os.makedirs(cadir)
    shutil.copy(ca, os.path.join(cadir, "test-ca.pem"))
    openssl("rehash", cadir, cwd=h.tmp)
    st = client(h, "status", "tls1", env={"MPEGFLOW_REDIS_CA": cadir})
    check(st.returncode == 0 and json.loads(st.stdout)["state"] == "succeeded", f"CA directory: {st.stderr}")
    # Mutual TLS: the server now asks for a client certificate.
    h.r("CONFIG", "SET", "tls-auth-clients", "yes")
    st = client(h, "status", "tls1", env=env)
    check(st.returncode == 1 and "requires a client certificate" in st.stderr, f"mutual TLS without a client certificate: {st.stderr!r}")
    print(f"without a client certificate: {st.stderr.strip()}")
    mtls = dict(env, MPEGFLOW_REDIS_CERT=h.redis.certs["client.pem"], MPEGFLOW_REDIS_KEY=h.redis.certs["client.key"])
    st = client(h, "status", "tls1", env=mtls)
    check(st.returncode == 0 and json.loads(st.stdout)["state"] == "succeeded", f"mutual TLS: {st.stderr}")
    w2 = h.worker("w2", **mtls)
    h.xadd(small_job("tls2", "uploads/t.mp4"))
    hs = h.wait_state("tls2", ["succeeded", "failed"], 30)
    check(hs["state"] == "succeeded", f"job over mutual TLS: {hs}")
    check(h.worker_ready(w2), "mutual-TLS worker not ready")


def case_tls_refused(h):
    """Wrong CA, wrong host name, expired certificate: each refused, with its reason;
    MPEGFLOW_REDIS_TLS_INSECURE=1 connects anyway, loudly; bad TLS settings stop the start."""
    c = h.redis.certs
    port = h.redis.tls_port
    cases = [
        ("wrong CA", {"MPEGFLOW_REDIS_CA": c["other-ca.pem"]}, f"rediss://localhost:{port}/0", "unknown CA"),
        ("wrong host", {"MPEGFLOW_REDIS_CA": c["ca.pem"]}, f"rediss://127.0.0.1:{port}/0",
         "wrong host name: the server's certificate is not for '127.0.0.1'"),
        ("wrong SNI", {"MPEGFLOW_REDIS_CA": c["ca.pem"], "MPEGFLOW_REDIS_SNI": "redis.example"},
         f"rediss://localhost:{port}/0", "not for 'redis.example'"),
        ("system CA store", {}, f"rediss://localhost:{port}/0", "unknown CA"),
    ]
    for what, env, url, want in cases:
        st = client(h, "status", "x", env=dict(env, MPEGFLOW_REDIS_URL=url))
        check(st.returncode == 1 and want in st.stderr, f"{what}: exit {st.returncode}, {st.stderr!r}; want {want!r}")
        print(f"{what}: {st.stderr.strip()}")
    st = client(h, "status", "x", env={"MPEGFLOW_REDIS_CA": c["ca.pem"], "MPEGFLOW_REDIS_SNI": "localhost",
                                        "MPEGFLOW_REDIS_URL": f"rediss://127.0.0.1:{port}/0"})
    check(st.returncode == 1 and "no job 'x'" in st.stderr, f"SNI names the host to verify: {st.stderr!r}")
    # A worker that cannot verify stays up, not ready, and says why.
    w = h.worker("w-wrong-ca", MPEGFLOW_REDIS_CA=c["other-ca.pem"])
    line = log_has(w, "unknown CA", 5)
    check(line and "TLS to Redis" in line, f"worker log: {line}")
    check(http_get(w.http_port, "/readyz")[0] == 503, "ready without a verified Redis")
    w.stop()
    # Expired: the server now presents a certificate that ran out in 2021.
    h.r("CONFIG", "SET", "tls-cert-file", c["expired.pem"], "tls-key-file", c["expired.key"])
    st = client(h, "status", "x", env={"MPEGFLOW_REDIS_CA": c["ca.pem"]})
    check(st.returncode == 1 and "has expired (not after Jan  1 00:00:00 2021 GMT)" in st.stderr,
          f"expired: {st.stderr!r}")
    print(f"expired: {st.stderr.strip()}")
    st = client(h, "status", "x", env={"MPEGFLOW_REDIS_TLS_INSECURE": "1"})
    check(st.returncode == 1 and "no job 'x'" in st.stderr and "NOT verified" in st.stderr,
          f"insecure: {st.stderr!r}")
    # Settings that cannot work stop at start, exit 2, naming the variable.
    for env, name in [({"MPEGFLOW_REDIS_CA": "/nonexistent/ca.pem"}, "MPEGFLOW_REDIS_CA"),
                      ({"MPEGFLOW_REDIS_CERT": c["client.pem"]}, "MPEGFLOW_REDIS_KEY"),
                      ({"MPEGFLOW_REDIS_CERT": c["client.pem"], "MPEGFLOW_REDIS_KEY": c["server.key"]},
                       "does not match"),
                      ({"MPEGFLOW_REDIS_CA": c["ca.pem"], "MPEGFLOW_REDIS_URL": h.redis.url.replace("rediss", "redis")},
                       "not rediss://")]:
        st = client(h, "status", "x", env=env)
        check(st.returncode == 2 and name in st.stderr, f"{env}: exit {st.returncode}, {st.stderr!r}")


SENTINEL_CONF = """port {port}
bind 127.0.0.1
dir {dir}
logfile {dir}/sentinel.log
sentinel monitor mymaster 127.0.0.1 {primary} 1
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 4000
sentinel parallel-syncs mymaster 1
"""


class SentinelRedis(RedisServer):
    """A primary (this server), one replica and one sentinel that monitors them as
    'mymaster'. The worker gets a redis-sentinel:// URL."""

    def __init__(self, tmp, port=None):
        super().__init__(tmp, port)
        self.replica = RedisServer(os.path.join(tmp, "replica"))
        self.replica.extra_args = ["--replicaof", "127.0.0.1", str(self.port)]
        self.sentinel_port = free_port()
        self.sentinel_dir = os.path.join(tmp, "sentinel")
        self.sentinel = None

    @property
    def url(self):
        return f"redis-sentinel://127.0.0.1:{self.sentinel_port}/mymaster/0"

    def start(self):
        super().start()
        self.replica.start()
        os.makedirs(self.sentinel_dir, exist_ok=True)
        conf = os.path.join(self.sentinel_dir, "sentinel.conf")
        with open(conf, "w") as f:
            f.write(SENTINEL_CONF.format(port=self.sentinel_port, dir=self.sentinel_dir, primary=self.port))
        cmd = ["redis-sentinel", conf] if shutil.which("redis-sentinel") else ["redis-server", conf, "--sentinel"]
        self.sentinel = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         preexec_fn=die_with_parent)
        wait_port(self.sentinel_port, self.sentinel, what="redis-sentinel")
        return self

    def stop(self):
        if self.sentinel and self.sentinel.poll() is None:
            self.sentinel.kill()
            self.sentinel.wait()
        self.replica.stop()
        super().stop()


def wait_for(what, fn, limit):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise Failure(f"{what}: not after {limit}s")


def case_sentinel_failover(h):
    """A job runs through the sentinel's primary; SENTINEL FAILOVER mid-job; the job
    completes once, on the new primary; /readyz follows."""
    red = h.redis
    s = Redis(red.sentinel_port)

    def replica_known():
        reps = s("SENTINEL", "REPLICAS", "mymaster") or []
        return any("s_down" not in dict(zip(r[::2], r[1::2])).get("flags", "s_down") for r in reps)
    t = time.monotonic()
    wait_for("sentinel sees the replica", replica_known, 15)
    print(f"sentinel saw the replica after {time.monotonic() - t:.1f}s")
    wait_for("replica in sync", lambda: "master_link_status:up" in Redis(red.replica.port)("INFO", "replication"), 10)
    h.upload("uploads/s.mp4", clip("small", "320x180", 10))
    w = h.worker("w1", MPEGFLOW_CLAIM_TIMEOUT="3")
    check(h.worker_ready(w), "worker not ready through the sentinel")
    h.xadd(small_job("before", "uploads/s.mp4"))
    h.wait_state("before", ["succeeded"], 30)
    h.upload("uploads/slow.mp4", clip("slow", "640x360", 10))
    h.xadd(slow_job("fo", "uploads/slow.mp4"))
    h.wait_encoding("fo", 30)
    t0 = time.monotonic()
    check(s("SENTINEL", "FAILOVER", "mymaster") == "OK", "SENTINEL FAILOVER")
    wait_for("the replica promoted", lambda: s("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")[1]
             == str(red.replica.port), 15)
    t_switch = time.monotonic() - t0
    h.r.close()
    h.r = Redis(red.replica.port)          # the new primary: what the worker must write to
    hs = h.wait_state("fo", ["succeeded", "failed"], 60)
    t_done = time.monotonic() - t0
    check(hs["state"] == "succeeded", f"job after the failover: {hs}")
    done = [e for _, e in h.events("fo") if e["state"] == "succeeded"]
    check(len(done) == 1, f"'fo' completed {len(done)} times: {h.events('fo')}")
    check(h.r("XLEN", STREAM) == 0 and h.r("XPENDING", STREAM, "workers")[0] == 0, "entry left behind")
    check(h.worker_ready(w, 10), "worker not ready after the failover")
    moved = log_has(w, "primary moved", 5)
    check(moved and "+switch-master mymaster" in moved, f"no +switch-master in the worker log: {moved}")
    # The old primary is a replica now: nothing the worker wrote after the switch went there only.
    role = Redis(red.port)("ROLE")[0]
    h.xadd(small_job("after", "uploads/s.mp4"))
    h.wait_state("after", ["succeeded"], 30)
    print(f"figure: SENTINEL FAILOVER -> new primary known {t_switch:.2f}s, -> job recorded {t_done:.2f}s; "
          f"old primary {red.port} right then: {role}, new primary {red.replica.port}")
    print(f"worker: {moved}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}
SERVERS = {"tls": TlsRedis, "tls_refused": TlsRedis, "sentinel_failover": SentinelRedis}

if __name__ == "__main__":
    sys.exit(main(CASES, SERVERS))
