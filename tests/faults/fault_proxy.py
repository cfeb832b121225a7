"""A storage fault proxy for the faults suite (stdlib only, 127.0.0.1, in the test's process).

It forwards every request to the test nginx, except those a rule matches. Rules are set
by the test while it runs: proxy.rule("PUT", "180p.mp4", "truncate", times=1).

  503       the body is read, 503 is the answer
  hang      the body is read, then no answer until the client hangs up (or 60 s)
  slow      forwarded at `rate` bytes/s (GET: the response body; PUT: the request body)
  truncate  GET: the full Content-Length, half the body, then the connection is closed;
            PUT: half the body is read, then the connection is closed, nothing forwarded

Every request is recorded in proxy.log as (method, raw path, action, status), and
for every PUT that nginx took, proxy.put_sha[path] is the sha256 of the body it got.
proxy.on_put(path, body), when set, is called just before a PUT is forwarded: the
tests use it to look at storage at the moment result.json arrives.
"""
import hashlib
import http.client
import os
import select
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "storage"))
from faultproxy import HOP_BY_HOP, QuietServer  # noqa: E402  (tests/storage/faultproxy.py)


class Rule:
    def __init__(self, method, match, action, times, rate):
        self.method, self.match, self.action, self.left, self.rate = method, match, action, times, rate


class FaultProxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.rules = []
        self.log = []
        self.put_sha = {}
        self.on_put = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy.handle(self)

            do_PUT = do_HEAD = do_DELETE = do_GET

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/media"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def rule(self, method, match, action, times=None, rate=0):
        """times None: every matching request; else the first `times` of them."""
        with self.lock:
            self.rules.append(Rule(method, match, action, times, rate))

    def requests(self, method=None, match=""):
        with self.lock:
            return [r for r in self.log if (method is None or r[0] == method) and match in r[1]]

    def _take(self, method, path):
        with self.lock:
            for r in self.rules:
                if r.method == method and r.match in path and (r.left is None or r.left > 0):
                    if r.left is not None:
                        r.left -= 1
                    return r
        return None

    def _record(self, h, action, status):
        with self.lock:
            self.log.append((h.command, h.path, action, status))

    @staticmethod
    def _read_body(h, limit=None, rate=0):
        """The request body (Content-Length or chunked); at most limit bytes; rate bytes/s."""
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    h.rfile.readline()
                    return out
                out += h.rfile.read(size)
                h.rfile.readline()
                if limit is not None and len(out) >= limit:
                    return out[:limit]
        length = int(h.headers.get("Content-Length") or 0)
        want = length if limit is None else min(limit, length)
        out = b""
        step = max(1, rate // 10) if rate else 65536
        while len(out) < want:
            chunk = h.rfile.read(min(step, want - len(out)))
            if not chunk:
                break
            out += chunk
            if rate:
                time.sleep(len(chunk) / rate)
        return out

    def handle(self, h):
        r = self._take(h.command, h.path)
        action = r.action if r else "pass"
        h.close_connection = True
        if action == "truncate" and h.command == "PUT":
            length = int(h.headers.get("Content-Length") or 0)
            self._read_body(h, limit=length // 2)
            self._record(h, action, 0)
            h.connection.shutdown(2)
            return
        body = self._read_body(h, rate=r.rate if r and action == "slow" and h.command == "PUT" else 0) \
            if h.command == "PUT" else None
        if action == "503":
            self._record(h, action, 503)
            return self._reply(h, 503, b"try later\n")
        if action == "hang":
            self._record(h, action, 0)
            end = time.monotonic() + 60
            while time.monotonic() < end:
                ready, _, _ = select.select([h.connection], [], [], 0.1)
                if ready:
                    try:
                        if not h.connection.recv(1024):
                            break
                    except OSError:
                        break
            return
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP | {"content-length"}}
        if h.command == "PUT" and self.on_put:
            self.on_put(h.path, body)
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if h.command == "PUT" and resp.status < 300:
            with self.lock:
                self.put_sha[h.path] = hashlib.sha256(body or b"").hexdigest()
        self._record(h, action, resp.status)
        out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}]
        h.send_response(resp.status, resp.reason)
        for k, v in out:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        h.end_headers()
        if h.command == "HEAD":
            return
        try:
            if action == "truncate":
                h.wfile.write(data[: len(data) // 2])
                h.wfile.flush()
                h.connection.shutdown(2)
            elif action == "slow":
                step = max(1, r.rate // 10)
                for i in range(0, len(data), step):
                    h.wfile.write(data[i:i + step])
                    h.wfile.flush()
                    time.sleep(0.1)
            else:
                h.wfile.write(data)
        except OSError:
            pass   # the client gave up (a cut or a cancel)

    @staticmethod
    def _reply(h, status, data):
        h.send_response(status)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(data)
