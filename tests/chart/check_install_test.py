#!/usr/bin/env python3
"""The `helm test` check script, run for real against redis-server and nginx on 127.0.0.1.

  check_install_test.py TOOLS_DIR CHART_DIR

The script and its checks.json are taken from the chart as helm renders them (the test hook
ConfigMap), and the environment from the first pool's rendered ConfigMap plus the Secret values the
Pod would get: what runs here is what runs in the Pod. The Kubernetes API part needs a cluster and
is not run here: every case passes --skip-kubernetes, and one case checks that without the flag,
outside a cluster, the script fails and says why.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml  # python3-yaml

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
from resp import Redis as Resp  # noqa: E402
from servers import RedisServer, die_with_parent, free_port, wait_port  # noqa: E402

TOKEN = "s3cret-token"
PASSWORD = "redis-pass"

NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/cb; proxy_temp_path {d}/pt; fastcgi_temp_path {d}/ft;
    uwsgi_temp_path {d}/ut; scgi_temp_path {d}/st;
    server {{
        listen 127.0.0.1:{port};
        root {d}/data;
        location /open/ {{ }}
        location /bearer/ {{
            if ($http_authorization != "Bearer {token}") {{ return 401; }}
        }}
        location /broken/ {{ return 503; }}
    }}
}}
"""

passed = 0


def check(cond, msg):
    global passed
    if not cond:
        raise AssertionError(msg)
    passed += 1
    print(f"ok {passed} - {msg}", flush=True)


def main():
    tools, chart = sys.argv[1], sys.argv[2]
    for tool in ("redis-server", "nginx"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            print(f"SKIP: {tool} is not installed")
            return 77
    helm = os.path.join(tools, "bin", "helm")
    tmp = tempfile.mkdtemp(prefix="mpegflow-check-install-")
    procs = []
    try:
        return run(helm, chart, tmp, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def run(helm, chart, tmp, procs):
    redis = RedisServer(tmp).start()
    procs.append(redis.proc)
    r = Resp(redis.port)
    r("CONFIG", "SET", "requirepass", PASSWORD)
    r("AUTH", PASSWORD)

    nd = os.path.join(tmp, "nginx")
    os.makedirs(os.path.join(nd, "data", "open"))
    os.makedirs(os.path.join(nd, "data", "bearer"))
    nport = free_port()
    with open(os.path.join(nd, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(d=nd, port=nport, token=TOKEN))
    nginx = subprocess.Popen(["nginx", "-c", os.path.join(nd, "nginx.conf"), "-p", nd, "-e",
                              os.path.join(nd, "error.log")], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    procs.append(nginx)
    wait_port(nport, nginx, what="nginx")

    home = os.path.join(tmp, "helm-home")
    helm_env = {**os.environ, "HOME": home, "HELM_CACHE_HOME": home + "/c", "HELM_CONFIG_HOME": home + "/f",
                "HELM_DATA_HOME": home + "/d"}

    def configmaps(*values):
        """The ConfigMaps' data, by name, as helm renders them with these values."""
        args = [helm, "template", "mf", chart, "-n", "media", "--set", "redis.host=127.0.0.1",
                "--set", f"redis.port={redis.port}", "--set", "redis.keyPrefix=t:",
                "--set", "redis.existingSecret=redis", "--set", "pools[0].name=cpu",
                "--set", "pools[0].minReplicas=1", "--set", "pools[1].name=gpu", "--set", "pools[1].backend=nvenc",
                "--set", "pools[1].gpu=1"]
        for v in values:
            args += ["--set", v]
        out = subprocess.run(args, env=helm_env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return {d["metadata"]["name"]: d["data"] for d in yaml.safe_load_all(out.stdout)
                if d and d.get("kind") == "ConfigMap"}

    def setup(*values):
        cms = configmaps(*values)
        test = cms["mf-mpegflow-helm-test"]
        pool_env = cms["mf-mpegflow-cpu"]
        with open(os.path.join(chart, "files", "check-install.py")) as f:
            assert test["check-install.py"] == f.read(), "the ConfigMap ships the script verbatim"
        d = tempfile.mkdtemp(dir=tmp)
        with open(os.path.join(d, "check-install.py"), "w") as f:
            f.write(test["check-install.py"])
        with open(os.path.join(d, "checks.json"), "w") as f:
            f.write(test["checks.json"])
        return d, pool_env

    def run_check(d, env, skip=True):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("MPEGFLOW_", "KUBERNETES_"))}
        e.update(env)
        e["MPEGFLOW_CHECK_TIMEOUT"] = "3"
        cmd = [sys.executable, os.path.join(d, "check-install.py"), os.path.join(d, "checks.json")]
        if skip:
            cmd.append("--skip-kubernetes")
        p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=30)
        print("    | " + (p.stdout + p.stderr).strip().replace("\n", "\n    | "), flush=True)
        return p.returncode, p.stdout + p.stderr

    open_url = f"http://127.0.0.1:{nport}/open"
    d, env = setup(f"storage.url={open_url}")
    check(json.load(open(os.path.join(d, "checks.json")))["pools"][0]["stream"] == "t:queue:cpu",
          "checks.json names the pool's stream")
    check(env["MPEGFLOW_REDIS_URL"] == f"redis://127.0.0.1:{redis.port}/0", "environment from the pool ConfigMap")
    env = {**env, "MPEGFLOW_REDIS_PASSWORD": PASSWORD}

    # Nothing created yet: pool cpu (minReplicas 1) must have its group; pool gpu (at zero) may not.
    rc, out = run_check(d, env)
    check(rc == 1 and "FAIL: pool cpu: stream t:queue:cpu does not exist although minReplicas is 1" in out,
          "a pool with minReplicas > 0 and no consumer group fails, naming its stream")
    check("note: pool gpu: stream t:queue:gpu does not exist yet" in out, "a pool at zero without a group is a note")
    check("skipped: kubernetes checks" in out, "the Kubernetes part says it was skipped")

    # The group as a started worker makes it: with $MPEGFLOW (meson passes the built binary) a real
    # `mpegflow worker` runs with pool cpu's rendered environment; without it, the same command
    # the worker sends (queue.c: XGROUP CREATE <stream> workers 0 MKSTREAM).
    worker = None
    if os.environ.get("MPEGFLOW"):
        wenv = {k: v for k, v in os.environ.items() if not k.startswith("MPEGFLOW_")}
        wenv.update(env)
        scratch = os.path.join(tmp, "scratch")
        os.makedirs(scratch)
        wenv.update(MPEGFLOW_SCRATCH_DIR=scratch, MPEGFLOW_HTTP_ADDR=f"127.0.0.1:{free_port()}",
                    MPEGFLOW_LOG_FORMAT="text")
        worker = subprocess.Popen([os.environ["MPEGFLOW"], "worker"], env=wenv, stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(tmp, "worker.log"), "w"), preexec_fn=die_with_parent)
        procs.append(worker)
        end = time.monotonic() + 15
        while time.monotonic() < end and worker.poll() is None:
            try:
                groups = [dict(zip(g[0::2], g[1::2])) for g in r("XINFO", "GROUPS", "t:queue:cpu")]
                if any(g["name"] == "workers" for g in groups):
                    break
            except Exception:
                pass
            time.sleep(0.1)
        if worker.poll() is not None:
            print(open(os.path.join(tmp, "worker.log")).read()[-2000:])
        check(worker.poll() is None, "a real mpegflow worker serves pool cpu with the rendered environment")
    else:
        print("# MPEGFLOW unset: the consumer group is made with the worker's XGROUP CREATE, no worker runs")
        r("XGROUP", "CREATE", "t:queue:cpu", "workers", "0", "MKSTREAM")
    r("XGROUP", "CREATE", "t:queue:gpu", "other", "0", "MKSTREAM")
    rc, out = run_check(d, env)
    check(rc == 0 and "ok: pool cpu: stream t:queue:cpu has consumer group workers" in out,
          "with the workers' group the Redis check passes")
    if worker is not None:
        check(worker.poll() is None, "the group is the real worker's (it did not exist before it started)")
    check("authenticated, PING -> PONG" in out, "Redis AUTH with the configured password")
    check("note: pool gpu: stream t:queue:gpu has no group workers" in out, "another group is not taken for ours")
    check(f"ok: storage {open_url}: answers (HTTP 404, auth none)" in out, "the storage endpoint answers")
    check("all checks passed" in out, "summary line")

    rc, out = run_check(d, {**env, "MPEGFLOW_REDIS_PASSWORD": "wrong"})
    check(rc == 1 and "the configured credentials were refused" in out, "a wrong Redis password fails")
    rc, out = run_check(d, {k: v for k, v in env.items() if k != "MPEGFLOW_REDIS_PASSWORD"})
    check(rc == 1 and "NOAUTH" in out, "no password where Redis wants one fails")

    # Bearer storage: the token from the Secret is sent; a wrong one is refused.
    d2, env2 = setup(f"storage.url=http://127.0.0.1:{nport}/bearer", "storage.auth=bearer",
                     "storage.existingSecret=st")
    env2 = {**env2, "MPEGFLOW_REDIS_PASSWORD": PASSWORD}
    rc, out = run_check(d2, {**env2, "MPEGFLOW_STORAGE_TOKEN": TOKEN})
    check(rc == 0 and "answers (HTTP 404, auth bearer)" in out, "bearer storage with the right token")
    rc, out = run_check(d2, {**env2, "MPEGFLOW_STORAGE_TOKEN": "nope"})
    check(rc == 1 and "HTTP 401: the token was refused" in out, "bearer storage with a wrong token fails")

    d3, env3 = setup(f"storage.url=http://127.0.0.1:{nport}/broken")
    rc, out = run_check(d3, {**env3, "MPEGFLOW_REDIS_PASSWORD": PASSWORD})
    check(rc == 1 and "answers HTTP 503 (server error)" in out, "a storage endpoint answering 5xx fails")
    dead = free_port()
    d4, env4 = setup(f"storage.url=http://127.0.0.1:{dead}/media")
    rc, out = run_check(d4, {**env4, "MPEGFLOW_REDIS_PASSWORD": PASSWORD})
    check(rc == 1 and "no answer" in out and "Connection refused" in out, "a storage endpoint that is down fails")

    # Redis down.
    redis.kill()
    rc, out = run_check(d, env)
    check(rc == 1 and "cannot connect" in out, "Redis down fails")

    # The Kubernetes part outside a cluster: fails and says how to skip it.
    rc, out = run_check(d, env, skip=False)
    check(rc == 1 and "kubernetes: not running in a cluster" in out and "--skip-kubernetes" in out,
          "without --skip-kubernetes outside a cluster the API part fails with the reason")
    print(f"1..{passed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
