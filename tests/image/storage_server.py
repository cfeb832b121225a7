#!/usr/bin/env python3
"""A throwaway storage endpoint for the image suite: GET (with Range), HEAD and PUT of files
under ROOT, on 127.0.0.1:PORT, no auth. Prints "ready PORT" once listening (PORT 0 = any).
    storage_server.py ROOT PORT"""
import http.server
import os
import re
import sys

ROOT = os.path.realpath(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("storage: " + (fmt % args) + "\n")

    def _path(self):
        p = os.path.realpath(os.path.join(ROOT, self.path.split("?", 1)[0].lstrip("/")))
        return p if p == ROOT or p.startswith(ROOT + os.sep) else None

    def _reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        p = self._path()
        if not p or not os.path.isfile(p):
            return self._reply(404, b"not found\n")
        data = open(p, "rb").read()
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if m:
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else len(data) - 1
            if start >= len(data):
                return self._reply(416, b"", [("Content-Range", f"bytes */{len(data)}")])
            return self._reply(206, data[start:end + 1],
                               [("Content-Range", f"bytes {start}-{end}/{len(data)}")])
        self._reply(200, data, [("Accept-Ranges", "bytes")])

    do_HEAD = do_GET

    def do_PUT(self):
        p = self._path()
        if not p:
            return self._reply(403, b"outside root\n")
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(body)
        self._reply(201)


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
print("ready", server.server_address[1], flush=True)
server.serve_forever()
