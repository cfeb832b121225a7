#!/usr/bin/env python3
"""`helm test` check of an mpegflow install (Python 3 standard library only).

  check-install.py CHECKS_JSON [--skip-kubernetes]

CHECKS_JSON (rendered by templates/tests/test-install.yaml) lists the release's pools. The rest
comes from the environment the workers themselves get (the first pool's ConfigMap and the same
Secret references): MPEGFLOW_REDIS_URL, MPEGFLOW_REDIS_USERNAME, MPEGFLOW_REDIS_PASSWORD,
MPEGFLOW_STORAGE_URL, MPEGFLOW_STORAGE_AUTH, MPEGFLOW_STORAGE_TOKEN.

Checks, each printed as "ok:", "note:" or "FAIL:":
  kubernetes  every pool's workload exists; pools with minReplicas > 0 have that many Ready pods;
              pools that may sit at zero have their KEDA ScaledObject/ScaledJob (and it is not
              reporting Ready=False). Needs the in-cluster API (the Pod's ServiceAccount token);
              --skip-kubernetes or MPEGFLOW_CHECK_SKIP_KUBERNETES=1 skips this part.
  redis       AUTH with the configured credentials, PING, and each pool's stream has the consumer
              group "workers" (a pool at zero whose first worker has not started yet has no group:
              a note, not a failure).
  storage     the endpoint answers HTTP (HEAD of a key that need not exist; 2xx/404 are answers;
              401/403 mean the credentials were refused, except for sigv4, which this check does
              not sign).
Exit status: 0 when nothing failed, 1 otherwise, 2 on a usage error.
"""
import json
import os
import socket
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = float(os.environ.get("MPEGFLOW_CHECK_TIMEOUT", "10"))
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
failures = []


def ok(msg):
    print(f"ok: {msg}", flush=True)


def note(msg):
    print(f"note: {msg}", flush=True)


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    failures.append(msg)


# ---- Redis (RESP2 over a socket, TLS for rediss://) --------------------------------------------
class RedisError(Exception):
    pass


class Redis:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("redis", "rediss"):
            raise RedisError(f"MPEGFLOW_REDIS_URL: scheme must be redis:// or rediss://, not {u.scheme}://")
        self.host, self.port = u.hostname or "localhost", u.port or 6379
        self.db = int(u.path.lstrip("/") or 0)
        self.url_user = urllib.parse.unquote(u.username or "")
        self.url_password = urllib.parse.unquote(u.password or "")
        sock = socket.create_connection((self.host, self.port), timeout=TIMEOUT)
        if u.scheme == "rediss":
            ctx = ssl.create_default_context(cafile=os.environ.get("MPEGFLOW_REDIS_CA") or None)
            sock = ctx.wrap_socket(sock, server_hostname=self.host)
        self.f = sock.makefile("rwb")

    def __call__(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.f.write(b"".join(out))
        self.f.flush()
        return self._reply()

    def _reply(self):
        line = self.f.readline()
        if not line.endswith(b"\r\n"):
            raise RedisError("connection closed by the server")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2].decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RedisError(f"unexpected reply {line!r}")


def check_redis(cfg):
    url = os.environ.get("MPEGFLOW_REDIS_URL", "")
    if not url:
        fail("redis: MPEGFLOW_REDIS_URL is not set (the pool ConfigMap is not mounted)")
        return
    safe = url.split("@")[-1] if "@" in url else url.split("://", 1)[-1]
    where = f"redis {safe}"
    try:
        r = Redis(url)
    except (OSError, RedisError) as e:
        fail(f"{where}: cannot connect: {e}")
        return
    user = os.environ.get("MPEGFLOW_REDIS_USERNAME") or r.url_user
    password = os.environ.get("MPEGFLOW_REDIS_PASSWORD") or r.url_password
    try:
        if password:
            r(*(["AUTH", user, password] if user else ["AUTH", password]))
        if r.db:
            r("SELECT", r.db)
        pong = r("PING")
    except RedisError as e:
        what = "the configured credentials were refused" if "AUTH" in str(e) or "WRONGPASS" in str(e) \
            or "NOAUTH" in str(e) else "error"
        fail(f"{where}: {what}: {e}")
        return
    except OSError as e:
        fail(f"{where}: {e}")
        return
    ok(f"{where}: {'authenticated, ' if password else ''}PING -> {pong}")
    group = cfg.get("group", "workers")
    for pool in cfg["pools"]:
        stream = pool["stream"]
        try:
            groups = r("XINFO", "GROUPS", stream)
        except RedisError as e:
            if "no such key" in str(e).lower():
                groups = None
            else:
                fail(f"pool {pool['name']}: XINFO GROUPS {stream}: {e}")
                continue
        except OSError as e:
            fail(f"pool {pool['name']}: XINFO GROUPS {stream}: {e}")
            continue
        names = []
        for g in groups or []:
            fields = dict(zip(g[0::2], g[1::2]))
            names.append(fields.get("name"))
            if fields.get("name") == group:
                ok(f"pool {pool['name']}: stream {stream} has consumer group {group} "
                   f"({fields.get('consumers')} consumer(s), {fields.get('pending')} pending)")
                break
        else:
            missing = f"stream {stream} {'does not exist' if groups is None else 'has no group ' + group}"
            if int(pool.get("minReplicas", 0)) > 0:
                fail(f"pool {pool['name']}: {missing} although minReplicas is {pool['minReplicas']} "
                     f"(a started worker creates it)")
            else:
                note(f"pool {pool['name']}: {missing} yet: the pool may be at zero and its first worker "
                     f"creates the group")


# ---- storage ---------------------------------------------------------------------------------------
def check_storage():
    base = os.environ.get("MPEGFLOW_STORAGE_URL", "")
    auth = os.environ.get("MPEGFLOW_STORAGE_AUTH", "none")
    if not base:
        fail("storage: MPEGFLOW_STORAGE_URL is not set (the pool ConfigMap is not mounted)")
        return
    url = base.rstrip("/") + "/.mpegflow-helm-test"
    req = urllib.request.Request(url, method="HEAD")
    if auth == "bearer":
        token = os.environ.get("MPEGFLOW_STORAGE_TOKEN", "")
        if not token:
            fail("storage: auth is bearer but MPEGFLOW_STORAGE_TOKEN is empty (storage.existingSecret/tokenKey)")
            return
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            code = resp.status
    except urllib.error.HTTPError as e:
        code = e.code
    except (urllib.error.URLError, OSError) as e:
        fail(f"storage {base}: no answer: {getattr(e, 'reason', e)}")
        return
    if code >= 500:
        fail(f"storage {base}: answers HTTP {code} (server error)")
    elif code in (401, 403) and auth != "sigv4":
        fail(f"storage {base}: HTTP {code}: the {'token was' if auth == 'bearer' else 'anonymous request was'} "
             f"refused (storage.auth {auth})")
    elif code in (401, 403):
        ok(f"storage {base}: answers (HTTP {code} to an unsigned HEAD; sigv4 keys are not checked here)")
    else:
        ok(f"storage {base}: answers (HTTP {code}, auth {auth})")


# ---- Kubernetes (in-cluster API with the Pod's ServiceAccount token) --------------------------------
def kube_get(path):
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    with open(os.path.join(SA_DIR, "token")) as f:
        token = f.read().strip()
    ctx = ssl.create_default_context(cafile=os.path.join(SA_DIR, "ca.crt"))
    host = f"[{host}]" if ":" in host else host
    req = urllib.request.Request(f"https://{host}:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT, context=ctx) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def condition(obj, kind):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return c
    return None


def check_kubernetes(cfg):
    if not os.environ.get("KUBERNETES_SERVICE_HOST") or not os.path.exists(os.path.join(SA_DIR, "token")):
        fail("kubernetes: not running in a cluster with a ServiceAccount token "
             "(run with --skip-kubernetes outside a cluster; tests.kubernetesChecks=false in the chart)")
        return
    ns = cfg["namespace"]
    for pool in cfg["pools"]:
        name, mode, minr = pool["name"], pool["mode"], int(pool["minReplicas"])
        try:
            if mode == "job":
                sj = kube_get(f"/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledjobs/{pool['workload']}")
                if sj is None:
                    fail(f"pool {name}: ScaledJob {pool['workload']} not found")
                    continue
                ready = condition(sj, "Ready")
                if ready and ready.get("status") == "False":
                    fail(f"pool {name}: ScaledJob {pool['workload']} is not Ready: {ready.get('message')}")
                else:
                    ok(f"pool {name}: ScaledJob {pool['workload']} exists (a Job per queued entry)")
                continue
            dep = kube_get(f"/apis/apps/v1/namespaces/{ns}/deployments/{pool['workload']}")
            if dep is None:
                fail(f"pool {name}: Deployment {pool['workload']} not found")
                continue
            sel = urllib.parse.quote(pool["selector"])
            pods = kube_get(f"/api/v1/namespaces/{ns}/pods?labelSelector={sel}") or {"items": []}
            live = [p for p in pods["items"] if not p["metadata"].get("deletionTimestamp")]
            ready = [p for p in live if (condition(p, "Ready") or {}).get("status") == "True"]
            unready = sorted(p["metadata"]["name"] for p in live if p not in ready)
            if len(ready) < minr:
                fail(f"pool {name}: {len(ready)} Ready pod(s), minReplicas is {minr}"
                     + (f"; not ready: {', '.join(unready)}" if unready else ""))
            elif unready:
                note(f"pool {name}: {len(ready)} Ready pod(s); still starting: {', '.join(unready)}")
            else:
                ok(f"pool {name}: {len(ready)} Ready pod(s) (minReplicas {minr})")
            if cfg.get("keda"):
                so = kube_get(f"/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledobjects/{pool['workload']}")
                if so is None:
                    fail(f"pool {name}: ScaledObject {pool['workload']} not found" +
                         (" (the pool is at zero and nothing would wake it)" if minr == 0 else ""))
                elif (condition(so, "Ready") or {}).get("status") == "False":
                    fail(f"pool {name}: ScaledObject {pool['workload']} is not Ready: "
                         f"{condition(so, 'Ready').get('message')}")
                else:
                    ok(f"pool {name}: ScaledObject {pool['workload']} exists"
                       + (" (scales the pool up from zero)" if minr == 0 else ""))
        except (OSError, urllib.error.URLError, ValueError, KeyError) as e:
            fail(f"pool {name}: Kubernetes API: {getattr(e, 'reason', e)}")


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    flags = {a for a in argv if a.startswith("--")}
    if len(args) != 1 or flags - {"--skip-kubernetes"}:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(args[0]) as f:
        cfg = json.load(f)
    skip_kube = "--skip-kubernetes" in flags or os.environ.get("MPEGFLOW_CHECK_SKIP_KUBERNETES") == "1"
    print(f"mpegflow install check: release {cfg.get('release')} in {cfg.get('namespace')}, "
          f"pools {', '.join(p['name'] for p in cfg['pools'])}", flush=True)
    if skip_kube:
        print("skipped: kubernetes checks (--skip-kubernetes / MPEGFLOW_CHECK_SKIP_KUBERNETES=1)", flush=True)
    else:
        check_kubernetes(cfg)
    check_redis(cfg)
    check_storage()
    print(f"{len(failures)} check(s) failed" if failures else "all checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
