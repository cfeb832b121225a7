"""A small fault-injecting HTTP proxy for the storage tests (Python stdlib only).

It sits on 127.0.0.1 in front of the test nginx and forwards every request,
except that a path segment starting with "fault-" selects a misbehaviour. The
proxy is stateful per (method, path): it counts requests, so "fail twice, then
work" and "cut the first download" are possible. Every request is logged as
one line "METHOD PATH range=RANGE ACTION" to the log file, which the C test reads.

  fault-503x2        503 for the first two requests, then forward
  fault-503always    always 503
  fault-cut          first GET: headers and half the body, then the connection is cut
  fault-cut-norange  like fault-cut, and later requests lose their Range header
                     (the server answers 200 with the whole object)
  fault-stall        first GET: headers and 512 bytes of body, then silence (a stalled transfer)
  fault-chunked      forward, but without Content-Length (chunked encoding)
  fault-nolength     GETs forward without Content-Length: the body ends when the connection
                     closes (HTTP/1.0 style)
  fault-cut-nolength first GET: no Content-Length, half the body, then the connection is closed
                     cleanly (which looks like the end of such a body)
  fault-cut-chunked  first GET: chunked, half the body, no terminating chunk, then closed
  fault-redirect     302 to another host
"""
import http.client
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "expect", "host"}


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        import sys
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            return  # the client gave up on purpose (size limit, cancel)
        super().handle_error(request, client_address)


class FaultProxy:
    def __init__(self, upstream_port, log_path):
        self.upstream_port = upstream_port
        self.log = open(log_path, "a", buffering=1)
        self.lock = threading.Lock()
        self.counts = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                proxy.handle(self)

            do_PUT = do_GET
            do_HEAD = do_GET

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.log.close()

    def handle(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        fault = next((s for s in h.path.split("?")[0].split("/") if s.startswith("fault-")), "")
        with self.lock:
            n = self.counts.get((h.command, h.path), 0) + 1
            self.counts[(h.command, h.path)] = n
        action = "pass"
        if fault == "fault-503always" or (fault == "fault-503x2" and n <= 2):
            action = "503"
        elif fault == "fault-redirect":
            action = "302"
        elif fault in ("fault-cut", "fault-cut-norange") and h.command == "GET" and n == 1:
            action = "cut"
        elif fault == "fault-stall" and h.command == "GET" and n == 1:
            action = "stall"
        elif fault in ("fault-cut-nolength", "fault-cut-chunked") and h.command == "GET" and n == 1:
            action = fault[len("fault-"):]
        elif fault == "fault-nolength" and h.command == "GET":
            action = "nolength"
        with self.lock:
            self.log.write("%s %s range=%s %s\n" % (h.command, h.path, h.headers.get("Range", "-"),
                                                     action))
        h.close_connection = True
        if action == "503":
            return self.reply(h, 503, "Service Unavailable", b"try later\n")
        if action == "302":
            return self.reply(h, 302, "Found", b"", [("Location", "http://127.0.0.2:9/elsewhere")])

        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        if fault == "fault-cut-norange":
            headers.pop("Range", None)
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}]
        if fault == "fault-chunked" and h.command == "GET":
            return self.reply_chunked(h, resp.status, resp.reason, data, out)
        if action in ("cut-nolength", "nolength", "cut-chunked"):
            h.send_response(resp.status, resp.reason)
            for k, v in out:
                h.send_header(k, v)
            if action == "cut-chunked":
                h.send_header("Transfer-Encoding", "chunked")
            h.send_header("Connection", "close")
            h.end_headers()
            part = data if action == "nolength" else data[: len(data) // 2]
            if action == "cut-chunked":
                for i in range(0, len(part), 16384):
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(part[i:i + 16384]), part[i:i + 16384]))
            else:
                h.wfile.write(part)
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_WR)   # a clean FIN, as at the end of a body
            return
        if action in ("cut", "stall"):
            h.send_response(resp.status, resp.reason)
            for k, v in out:
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.send_header("Connection", "close")
            h.end_headers()
            # a stall sends only a little: curl's speed is averaged over ~5 s, so a
            # fast start would hide the stall from the low-speed check for that long
            h.wfile.write(data[: len(data) // 2 if action == "cut" else 512])
            h.wfile.flush()
            if action == "stall":
                self.wait_for_close(h.connection, 10)
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        self.reply(h, resp.status, resp.reason, data if h.command != "HEAD" else b"", out)

    @staticmethod
    def reply(h, status, reason, data, headers=()):
        h.send_response(status, reason)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(data)

    @staticmethod
    def reply_chunked(h, status, reason, data, headers):
        h.send_response(status, reason)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Connection", "close")
        h.end_headers()
        try:
            for i in range(0, len(data), 16384):
                chunk = data[i:i + 16384]
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading (size limit): fine

    @staticmethod
    def wait_for_close(sock, limit):
        """Until the client hangs up (or limit seconds)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            r, _, _ = select.select([sock], [], [], 0.1)
            if r:
                try:
                    if not sock.recv(1024):
                        return
                except OSError:
                    return
