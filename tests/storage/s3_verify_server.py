#!/usr/bin/env python3
"""A small S3-like server on 127.0.0.1 that VERIFIES AWS Signature V4.

s3rver parses SigV4 headers but never checks a signature value. This server
recomputes every request's signature with botocore's own SigV4 code
(botocore.auth.S3SigV4Auth: canonical_request, string_to_sign, signature)
from what arrived on the wire, and refuses what S3 would refuse, with S3's
status and XML error:

  no Authorization / unsigned x-amz-* header  403 AccessDenied
  unknown access key id                       403 InvalidAccessKeyId
  X-Amz-Date more than 15 minutes off         403 RequestTimeTooSkewed
  scope date, region, service, terminator     400 AuthorizationHeaderMalformed
  no x-amz-content-sha256                     400 InvalidRequest
  signature (or SignedHeaders) differs        403 SignatureDoesNotMatch
  body's SHA-256 is not x-amz-content-sha256  400 XAmzContentSHA256Mismatch

Objects live in DATA/BUCKET/KEY (path-style URLs, /BUCKET/KEY): PUT, GET
(with Range), HEAD, DELETE. The canonical URI is rebuilt the way S3 does it,
from the decoded key, so a client that signs a path it did not send (or
encodes it differently) fails. A key with a "fault-cut" segment answers its
first GET with half the body and a closed connection, so that a client's
resumed, ranged GET is signed and checked too.

Every request is one JSON line in --log: method, key, status, code, whether
its signature was verified, the signed headers, the Range and the User-Agent.

  s3_verify_server.py --port P --data DIR --access-key K --secret S
                      [--region us-east-1] [--bucket media] [--log FILE]
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import sys
import tempfile
import threading
import time
import uuid
from calendar import timegm
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote_to_bytes
from xml.sax.saxutils import escape

from botocore.auth import SIGV4_TIMESTAMP, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

MAX_SKEW_S = 15 * 60                    # S3's limit
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Refused(Exception):
    """What S3 answers: status, <Code>, <Message>, and extra XML fields."""

    def __init__(self, status, code, message, **extra):
        super().__init__("%d %s: %s" % (status, code, message))
        self.status, self.code, self.message, self.extra = status, code, message, extra


class _Signer(S3SigV4Auth):
    """botocore's S3 signer, told to sign exactly the headers it is given.

    botocore's headers_to_sign() drops a few names (user-agent, expect, ...)
    that botocore itself never signs; S3 signs whatever SignedHeaders names,
    so the request handed to this class holds only those, all of them kept.
    """

    def headers_to_sign(self, request):
        out = HTTPHeaders()
        for name, value in request.headers.items():
            out[name.lower()] = value
        return out


def canonical_path(raw_path):
    """The canonical URI S3 computes: the decoded path, each byte but
    unreserved ones and '/' percent-encoded (uppercase hex)."""
    return quote(unquote_to_bytes(raw_path), safe="/~")


def canonical_query(raw_query):
    if not raw_query:
        return ""
    pairs = []
    for pair in raw_query.split("&"):
        k, _, v = pair.partition("=")
        pairs.append(quote(unquote_to_bytes(k), safe="-_.~") + "=" +
                     quote(unquote_to_bytes(v), safe="-_.~"))
    return "&".join(pairs)            # botocore sorts them


def parse_authorization(value):
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        raise Refused(400, "AuthorizationHeaderMalformed",
                      "Unsupported Authorization Type: %s" % algorithm)
    fields = {}
    for part in rest.split(","):
        k, eq, v = part.strip().partition("=")
        if not eq or k in fields:
            raise Refused(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed: %r" % part.strip())
        fields[k] = v
    if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
        raise Refused(400, "AuthorizationHeaderMalformed",
                      "The authorization header needs Credential, SignedHeaders and Signature")
    scope = fields["Credential"].split("/")
    if len(scope) != 5:
        raise Refused(400, "AuthorizationHeaderMalformed",
                      "The credential is malformed: %s" % fields["Credential"])
    return scope, fields["SignedHeaders"], fields["Signature"]


def check_time_and_scope(amz_date, date, scope_region, service, term, region, now):
    try:
        t = timegm(time.strptime(amz_date, SIGV4_TIMESTAMP))
    except ValueError:
        raise Refused(403, "AccessDenied",
                      "AWS authentication requires a valid Date or x-amz-date header") from None
    if abs(now - t) > MAX_SKEW_S:
        raise Refused(403, "RequestTimeTooSkewed",
                      "The difference between the request time and the current time is too large.",
                      RequestTime=amz_date, ServerTime=time.strftime(SIGV4_TIMESTAMP, time.gmtime(now)),
                      MaxAllowedSkewMilliseconds=str(MAX_SKEW_S * 1000))
    if date != amz_date[:8]:
        raise Refused(400, "AuthorizationHeaderMalformed",
                      "Invalid credential date \"%s\". This date is not the same as X-Amz-Date: \"%s\"."
                      % (date, amz_date[:8]))
    if scope_region != region:
        raise Refused(400, "AuthorizationHeaderMalformed",
                      "The authorization header is malformed; the region '%s' is wrong; expecting '%s'"
                      % (scope_region, region), Region=region)
    if service != "s3" or term != "aws4_request":
        raise Refused(400, "AuthorizationHeaderMalformed",
                      "The authorization header is malformed; incorrect service \"%s\" or terminator "
                      "\"%s\". This endpoint uses \"s3\" and \"aws4_request\"." % (service, term))


def check_signed_names(names, by_name):
    """S3's rules on what must be signed; returns x-amz-content-sha256."""
    if "host" not in names:
        raise Refused(403, "AccessDenied", "The host header must be signed")
    unsigned = sorted(n for n in by_name if n.startswith("x-amz-") and n not in names)
    if unsigned:
        raise Refused(403, "AccessDenied",
                      "There were headers present in the request which were not signed",
                      HeadersNotSigned=", ".join(unsigned))
    payload = (by_name.get("x-amz-content-sha256") or [None])[0]
    if payload is None:
        raise Refused(400, "InvalidRequest",
                      "Missing required header for this request: x-amz-content-sha256")
    if payload != UNSIGNED_PAYLOAD and not HEX64.match(payload):
        raise Refused(400, "InvalidArgument",
                      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.")
    return payload


def check_signature(method, target, by_name, names, amz_date, access_key, secret, region,
                    signature):
    """Recompute the signature with botocore from the request as S3 sees it:
    canonical path and query rebuilt from the decoded ones, only the signed
    headers, the client's timestamp."""
    path, _, query = target.partition("?")
    host = by_name.get("host", [""])[0]
    url = "http://%s%s" % (host, canonical_path(path)) + ("?" + canonical_query(query) if query else "")
    request = AWSRequest(method=method, url=url)
    for name in names:
        for value in by_name.get(name, []):
            request.headers[name] = value     # HTTPHeaders: a repeated name keeps every value
    request.context["timestamp"] = amz_date
    signer = _Signer(Credentials(access_key, secret), "s3", region)
    canonical_request = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical_request)
    expected = signer.signature(string_to_sign, request)
    recomputed = signer.signed_headers(signer.headers_to_sign(request))
    if not hmac.compare_digest(expected.encode(), signature.encode()) or \
            recomputed != ";".join(names):
        raise Refused(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided. "
                      "Check your key and signing method.",
                      AWSAccessKeyId=access_key, StringToSign=string_to_sign,
                      SignatureProvided=signature, CanonicalRequest=canonical_request)


def verify(method, target, headers, accounts, region, now=None):
    """Check one request's SigV4 signature (the body is checked apart, see
    check_payload). target: the request-target as received ("/b/k%20x?q");
    headers: (name, value) pairs as received; accounts: {access key: secret}.
    Returns a dict describing the verified request; raises Refused."""
    by_name = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(value)
    auth = by_name.get("authorization")
    if not auth:
        raise Refused(403, "AccessDenied", "Anonymous access is refused: no Authorization header")
    if len(auth) > 1:
        raise Refused(400, "InvalidArgument", "Only one auth mechanism allowed")
    (access_key, date, scope_region, service, term), signed, signature = \
        parse_authorization(auth[0])
    if access_key not in accounts:
        raise Refused(403, "InvalidAccessKeyId",
                      "The AWS Access Key Id you provided does not exist in our records.",
                      AWSAccessKeyId=access_key)
    amz_date = (by_name.get("x-amz-date") or [""])[0]
    check_time_and_scope(amz_date, date, scope_region, service, term, region,
                         time.time() if now is None else now)
    names = signed.split(";")
    payload = check_signed_names(names, by_name)
    check_signature(method, target, by_name, names, amz_date, access_key, accounts[access_key],
                    region, signature)
    return {"access_key": access_key, "signed_headers": signed, "payload": payload}


def check_payload(claimed, actual):
    if claimed != UNSIGNED_PAYLOAD and claimed != actual:
        raise Refused(400, "XAmzContentSHA256Mismatch",
                      "The provided 'x-amz-content-sha256' header does not match what was computed.",
                      ClientComputedContentSHA256=claimed, S3ComputedContentSHA256=actual)


def error_xml(e, resource, request_id):
    extra = "".join("<%s>%s</%s>" % (k, escape(v), k) for k, v in e.extra.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
            "<Resource>%s</Resource><RequestId>%s</RequestId></Error>\n"
            % (e.code, escape(e.message), extra, escape(resource), request_id)).encode()


def parse_range(value, size):
    """(first, last) of a "bytes=A-B" / "bytes=A-" / "bytes=-N" header, or None
    for the whole object; raises Refused when it cannot be satisfied."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", value.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None                                   # S3 ignores a malformed Range
    if not m.group(1):
        n = int(m.group(2))
        if n == 0 or size == 0:
            raise Refused(416, "InvalidRange", "The requested range is not satisfiable")
        return max(0, size - n), size - 1
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else size - 1
    if first >= size or last < first:
        raise Refused(416, "InvalidRange", "The requested range is not satisfiable")
    return first, min(last, size - 1)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mf-sigv4-verify"

    def log_message(self, *args):
        pass

    def parse_request(self):
        self.rid = uuid.uuid4().hex[:16].upper()
        self.verified, self.status, self.code, self.key, self.size = None, 0, "", "", 0
        return super().parse_request()

    # The signature is checked before "100 Continue" (as S3 does), else once
    # the body is in: the connection stays usable after a refusal.
    def _verify(self):
        cfg = self.server.cfg
        self.verified = verify(self.command, self.path, self.headers.items(), cfg.accounts,
                               cfg.region)

    def handle_expect_100(self):
        try:
            self._verify()
        except Refused as e:
            self.close_connection = True
            self._error(e)
            self._log()
            return False
        return super().handle_expect_100()

    def _handle(self):
        tmp = None
        try:
            if "transfer-encoding" in self.headers:
                self.close_connection = True
                raise Refused(501, "NotImplemented", "Transfer-Encoding is not supported here")
            tmp, actual = self._read_body()
            if self.verified is None:
                self._verify()
            check_payload(self.verified["payload"], actual)
            self.key, fs_path = self._object_path()
            getattr(self, "_" + self.command.lower())(fs_path, tmp)
        except Refused as e:
            self._error(e)
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)
            self._log()

    do_GET = do_PUT = do_HEAD = do_DELETE = _handle

    def _read_body(self):
        """The body into a temp file next to the data (hashed on the way), or
        (None, sha256 of nothing)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise Refused(400, "InvalidArgument", "bad Content-Length") from None
        if not length:
            return None, EMPTY_SHA256
        sha = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=self.server.cfg.data, prefix=".upload-")
        with os.fdopen(fd, "wb") as f:
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 16))
                if not chunk:
                    self.close_connection = True
                    raise Refused(400, "IncompleteBody", "fewer bytes than Content-Length")
                sha.update(chunk)
                f.write(chunk)
                length -= len(chunk)
        return tmp, sha.hexdigest()

    def _object_path(self):
        cfg = self.server.cfg
        path = self.path.partition("?")[0]
        prefix = "/" + cfg.bucket + "/"
        if not path.startswith(prefix):
            raise Refused(404, "NoSuchBucket", "The specified bucket does not exist")
        try:
            key = unquote_to_bytes(path[len(prefix):]).decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "InvalidURI", "Couldn't parse the specified URI.") from None
        segs = key.split("/")
        if not key or any(s in ("", ".", "..") for s in segs) or "\0" in key:
            raise Refused(400, "InvalidArgument", "this test server stores no such key")
        return key, os.path.join(cfg.data, cfg.bucket, *segs)

    def _put(self, fs_path, tmp):
        os.makedirs(os.path.dirname(fs_path), exist_ok=True)
        if tmp:
            os.replace(tmp, fs_path)
        else:
            open(fs_path, "wb").close()
        with open(fs_path, "rb") as f:
            etag = hashlib.md5(f.read()).hexdigest()
        self.server.cfg.types[self.key] = self.headers.get("Content-Type", "binary/octet-stream")
        self._reply(200, [("ETag", '"%s"' % etag)])

    def _delete(self, fs_path, tmp):
        if os.path.isfile(fs_path):
            os.unlink(fs_path)
        self._reply(204)

    def _head(self, fs_path, tmp):
        self._get(fs_path, tmp, body=False)

    def _get(self, fs_path, tmp, body=True):
        if not os.path.isfile(fs_path):
            raise Refused(404, "NoSuchKey", "The specified key does not exist.", Key=self.key)
        size = self.size = os.path.getsize(fs_path)
        rng = parse_range(self.headers["Range"], size) if self.headers.get("Range") else None
        first, last = rng if rng else (0, size - 1)
        headers = [("Content-Type", self.server.cfg.types.get(self.key, "binary/octet-stream")),
                   ("Accept-Ranges", "bytes"), ("ETag", '"%s"' % self._md5(fs_path)),
                   ("Last-Modified", time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                   time.gmtime(os.path.getmtime(fs_path))))]
        if rng:
            headers.append(("Content-Range", "bytes %d-%d/%d" % (first, last, size)))
        with open(fs_path, "rb") as f:
            f.seek(first)
            data = f.read(last - first + 1) if size else b""
        if body and self._cut_once():
            self.status = 200
            self.code = "fault-cut"
            self.send_response(200)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._reply(206 if rng else 200, headers, data if body else b"", length=len(data))

    def _cut_once(self):
        if "fault-cut" not in self.key.split("/"):
            return False
        with self.server.cfg.lock:
            n = self.server.cfg.gets.get(self.key, 0)
            self.server.cfg.gets[self.key] = n + 1
        return n == 0

    @staticmethod
    def _md5(fs_path):
        with open(fs_path, "rb") as f:
            return hashlib.md5(f.read()).hexdigest()

    def _reply(self, status, headers=(), data=b"", length=None):
        self.status = status
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("x-amz-request-id", self.rid)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _error(self, e):
        self.code = e.code
        data = error_xml(e, self.path.partition("?")[0], self.rid)
        extra = [("Content-Range", "bytes */%d" % self.size)] if e.status == 416 else []
        self._reply(e.status, [("Content-Type", "application/xml")] + extra,
                    data if self.command != "HEAD" else b"", length=len(data))

    def _log(self):
        cfg = self.server.cfg
        v = self.verified or {}
        # the key, also of a refused request
        key = unquote_to_bytes(self.path.partition("?")[0]).decode("utf-8", "replace")
        key = key[len(cfg.bucket) + 2:] if key.startswith("/" + cfg.bucket + "/") else key
        line = {"method": self.command, "key": key, "path": self.path, "status": self.status,
                "code": self.code, "verified": bool(v), "signed_headers": v.get("signed_headers", ""),
                "payload": v.get("payload", ""), "range": self.headers.get("Range", ""),
                "user_agent": self.headers.get("User-Agent", "")}
        with cfg.lock:
            cfg.log.write(json.dumps(line, ensure_ascii=False) + "\n")
            cfg.log.flush()

    def send_response(self, code, message=None):
        self.status = code
        super().send_response(code, message)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            return                                  # a client that hung up on purpose
        super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--bucket", default="media")
    p.add_argument("--log", default=os.devnull)
    cfg = p.parse_args()
    cfg.accounts = {cfg.access_key: cfg.secret}
    cfg.lock = threading.Lock()
    cfg.types, cfg.gets = {}, {}
    cfg.log = open(cfg.log, "a", encoding="utf-8")
    os.makedirs(os.path.join(cfg.data, cfg.bucket), exist_ok=True)
    server = Server(("127.0.0.1", cfg.port), Handler)
    server.cfg = cfg
    server.serve_forever()


if __name__ == "__main__":
    main()
