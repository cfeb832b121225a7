#!/usr/bin/env python3
"""Run a storage test against real servers on 127.0.0.1, then stop them.

  servers.py [--nginx] [--s3rver] [--sigv4] -- TEST [ARGS...]

--nginx   nginx with its own config (dav PUT), on a free port, in a temp dir,
          plus the fault-injecting proxy (faultproxy.py) in front of it.
--s3rver  s3rver from npm (pinned, installed into a cache dir when absent;
          the test is skipped, exit 77, when that is impossible).
--sigv4   s3_verify_server.py: an S3-like server that verifies every SigV4
          signature with botocore (skipped, exit 77, without python3-botocore),
          with a fresh access key and secret per run.

TEST gets the servers through MF_TEST_* variables (see below). Everything
started here is stopped on every exit path, also on SIGTERM/SIGINT (meson's
timeout); children also die with this process (PR_SET_PDEATHSIG).
Set MF_TEST_KEEP=1 to keep the temp dir for a post-mortem.
"""
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from servers import die_with_parent, free_port, nginx_conf, wait_port  # noqa: E402  (tests/lib/servers.py)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from faultproxy import FaultProxy  # noqa: E402

S3RVER_VERSION = "3.7.1"
SKIP = 77



def stop(proc, sig=signal.SIGTERM):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def start_nginx(tmp, env):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    data = os.path.join(tmp, "data")
    os.makedirs(os.path.join(data, "media"))
    user = ""
    if os.geteuid() == 0:
        # nginx's workers drop to this user: it must be able to write the data dir.
        pw = pwd.getpwnam("nobody")
        user = "user nobody %s;" % __import__("grp").getgrgid(pw.pw_gid).gr_name
        for root, dirs, _ in os.walk(data):
            os.chown(root, pw.pw_uid, pw.pw_gid)
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(tmp, data, port, user, master="on", access_log=f"{tmp}/access.log mf"))
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf, "-e", os.path.join(tmp, "error.log")],
                            start_new_session=True, preexec_fn=die_with_parent)
    wait_port(port, proc, 15, "nginx")
    env.update(MF_TEST_NGINX_URL="http://127.0.0.1:%d/media" % port,
               MF_TEST_NGINX_LOG=os.path.join(tmp, "access.log"),
               MF_TEST_DATA_DIR=data)
    return proc, port


def s3rver_script():
    cache = os.environ.get("MF_TEST_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mpegflow")
    prefix = os.path.join(cache, "s3rver-" + S3RVER_VERSION)
    script = os.path.join(prefix, "node_modules", "s3rver", "bin", "s3rver.js")
    if os.path.exists(script):
        return script
    if not shutil.which("node") or not shutil.which("npm"):
        print("SKIP: node/npm not installed", file=sys.stderr)
        return None
    os.makedirs(prefix, exist_ok=True)
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                        "--prefix", prefix, "s3rver@" + S3RVER_VERSION],
                       stdout=subprocess.DEVNULL, timeout=120)
    if r.returncode != 0 or not os.path.exists(script):
        print("SKIP: npm install s3rver@%s failed" % S3RVER_VERSION, file=sys.stderr)
        return None
    return script


def start_s3rver(tmp, env):
    script = s3rver_script()
    if not script:
        return None
    port = free_port()
    data = os.path.join(tmp, "s3")
    os.makedirs(data)
    log = open(os.path.join(tmp, "s3rver.log"), "w")
    proc = subprocess.Popen(["node", script, "-d", data, "-a", "127.0.0.1", "-p", str(port),
                             "--configure-bucket", "media"],
                            stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=die_with_parent)
    wait_port(port, proc, 15, "s3rver")
    # s3rver knows one account, S3RVER/S3RVER; it parses SigV4 headers but does not
    # verify V4 signature values (test_storage_unit recomputes them; --sigv4 checks them).
    env.update(MF_TEST_S3_URL="http://127.0.0.1:%d/media" % port, MF_TEST_S3_KEY="S3RVER",
               MF_TEST_S3_SECRET="S3RVER", MF_TEST_S3_DATA=data)
    return proc


def botocore_python():
    """An interpreter that has botocore: this one, or Debian's (python3-botocore installs
    there, and a machine's python3 may be another build). None without one."""
    for exe in (sys.executable, "/usr/bin/python3"):
        if exe and os.path.exists(exe) and subprocess.run(
                [exe, "-c", "import botocore"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL).returncode == 0:
            return exe
    return None


def start_sigv4(tmp, env):
    python = botocore_python()
    if not python:
        print("SKIP: python3-botocore not installed", file=sys.stderr)
        return None
    port = free_port()
    data = os.path.join(tmp, "sigv4")
    key = "AKIDMFTEST" + secrets.token_hex(5).upper()
    # real secrets hold '/' and '+': so does this one
    secret = secrets.token_urlsafe(15) + "/+" + secrets.token_urlsafe(6)
    log = os.path.join(tmp, "sigv4.jsonl")
    out = open(os.path.join(tmp, "sigv4.log"), "w")
    proc = subprocess.Popen([python, os.path.join(HERE, "s3_verify_server.py"),
                             "--port", str(port), "--data", data, "--access-key=" + key,
                             "--secret=" + secret, "--region", "us-east-1", "--bucket", "media",
                             "--log", log],           # "=": a secret may start with '-'
                            stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=die_with_parent)
    wait_port(port, proc, 15, "s3_verify_server")
    env.update(MF_TEST_SIGV4_PYTHON=python)
    env.update(MF_TEST_SIGV4_URL="http://127.0.0.1:%d/media" % port, MF_TEST_SIGV4_KEY=key,
               MF_TEST_SIGV4_SECRET=secret, MF_TEST_SIGV4_REGION="us-east-1",
               MF_TEST_SIGV4_DATA=os.path.join(data, "media"), MF_TEST_SIGV4_LOG=log)
    return proc


def main():
    args = sys.argv[1:]
    if "--" not in args:
        sys.exit(__doc__)
    opts, cmd = args[:args.index("--")], args[args.index("--") + 1:]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = tempfile.mkdtemp(prefix="mf-storage-")
    os.chmod(tmp, 0o755)  # nginx's workers run as nobody when we are root
    env = dict(os.environ, MF_TEST_TMP=tmp)
    nginx = s3 = sigv4 = test = proxy = None
    rc = 1
    try:
        if "--nginx" in opts:
            nginx, port = start_nginx(tmp, env)
            proxy = FaultProxy(port, os.path.join(tmp, "proxy.log")).start()
            env.update(MF_TEST_PROXY_URL="http://127.0.0.1:%d/media" % proxy.port,
                       MF_TEST_PROXY_LOG=os.path.join(tmp, "proxy.log"))
            open(env["MF_TEST_PROXY_LOG"], "a").close()
        if "--s3rver" in opts:
            s3 = start_s3rver(tmp, env)
            if not s3:
                rc = SKIP
                return
        if "--sigv4" in opts:
            sigv4 = start_sigv4(tmp, env)
            if not sigv4:
                rc = SKIP
                return
        test = subprocess.Popen(cmd, env=env, preexec_fn=die_with_parent)
        rc = test.wait()
    except Exception as e:  # noqa: BLE001 - report and fail
        print("servers.py: %s" % e, file=sys.stderr)
        for name in ("error.log", "s3rver.log", "sigv4.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                sys.stderr.write(open(p).read()[-2000:])
    finally:
        if test is not None and test.poll() is None:
            test.kill()
            test.wait()
        if proxy:
            proxy.stop()
        stop(nginx, signal.SIGTERM)
        stop(s3)
        stop(sigv4)
        if sigv4 is not None and os.path.getsize(os.path.join(tmp, "sigv4.log")):
            sys.stderr.write(open(os.path.join(tmp, "sigv4.log")).read()[-4000:])
        if os.environ.get("MF_TEST_KEEP"):
            print("servers.py: kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(rc)


if __name__ == "__main__":
    main()
