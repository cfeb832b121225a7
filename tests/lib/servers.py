"""Throwaway servers for the integration tests: redis-server and nginx (DAV PUT),
each on a free 127.0.0.1 port in its own temp dir, always stopped afterwards.
Children die with the test (PR_SET_PDEATHSIG) even when meson kills it.
"""
import ctypes
import os
import pwd
import signal
import socket
import subprocess
import time


def die_with_parent():
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, limit=10, what="server"):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what}: nothing listens on {port} after {limit}s")


class RedisServer:
    """redis-server without persistence: a restart loses every key (data loss)."""

    def __init__(self, tmp, port=None, extra_args=()):
        self.dir = os.path.join(tmp, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
             "--logfile", os.path.join(self.dir, "redis.log")] + self.extra_args,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
        wait_port(self.port, self.proc)
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        self.kill()


# The one nginx config of every loopback run (also the bench's, built into the binary).
NGINX_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "bench",
                              "nginx-storage.conf.in")


def nginx_conf(tmp, data, port, user="", master="off", access_log=None):
    """The storage endpoint's nginx.conf: DAV PUT under /media/ of data, on 127.0.0.1:port."""
    with open(NGINX_TEMPLATE) as f:
        conf = f.read()
    for key, value in (("TMP", tmp), ("DATA", data), ("PORT", str(port)), ("USER", user),
                       ("MASTER", master), ("ACCESS_LOG", access_log or f"{tmp}/access.log")):
        conf = conf.replace(f"@{key}@", value)
    return conf


class Nginx:
    """nginx serving {tmp}/nginx/data, with PUT under /media/ (the storage endpoint)."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "nginx")
        self.data = os.path.join(self.dir, "data")
        self.media = os.path.join(self.data, "media")
        os.makedirs(self.media, exist_ok=True)
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/media"

    def put_file(self, key, src):
        """Place a file as if uploaded: data/media/<key>."""
        dst = os.path.join(self.media, key)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(src, "rb") as f, open(dst, "wb") as g:
            g.write(f.read())
        os.chmod(dst, 0o644)
        return dst

    def start(self):
        # Without a master process nginx keeps running as its caller (root here): no user line.
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            # the "mf" format: method, URI, status, Range, and the Content-Type of a PUT
            f.write(nginx_conf(self.dir, self.data, self.port, access_log=os.path.join(self.dir, "access.log") + " mf"))
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir, "-e", os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=die_with_parent)
        wait_port(self.port, self.proc)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
