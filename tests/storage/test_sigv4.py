#!/usr/bin/env python3
"""SigV4 against a server that verifies it (run by servers.py --sigv4).

  test_sigv4.py TEST_STORAGE_SIGV4

1. The verifier is honest: requests signed by botocore itself are accepted
   (PUT, GET, ranged GET, HEAD, a 14-minute-old one), and each single change
   is refused with S3's code: one byte of any signed header, of the path, of
   the signature, of the body; an unsigned x-amz-* header; a request 16 minutes
   old; a wrong secret, region or key; no Authorization at all. Checked in
   process (verify()) and over HTTP.
2. Our client (the C test given as argument) runs against it.
3. The server's log: every request of our client was verified, or refused
   with one of the codes the C test provokes, none of those retried, and the
   resumed GET's Range was signed and checked. Prints what was measured.
"""
import http.client
import json
import os
import subprocess
import sys
import time
from urllib.parse import quote, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import botocore  # noqa: F401
except ImportError:
    # python3-botocore is Debian's: run with that interpreter when this one lacks it.
    other = os.environ.get("MF_TEST_SIGV4_PYTHON")
    if other and os.path.realpath(other) != os.path.realpath(sys.executable):
        os.execv(other, [other] + sys.argv)
    raise
from s3_verify_server import Refused, verify  # noqa: E402

from botocore.auth import SIGV4_TIMESTAMP, S3SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

URL = os.environ["MF_TEST_SIGV4_URL"]
KEY, SECRET = os.environ["MF_TEST_SIGV4_KEY"], os.environ["MF_TEST_SIGV4_SECRET"]
REGION = os.environ["MF_TEST_SIGV4_REGION"]
DATA, LOG, TMP = os.environ["MF_TEST_SIGV4_DATA"], os.environ["MF_TEST_SIGV4_LOG"], os.environ["MF_TEST_TMP"]
UA = "mf-sigv4-honesty"
failures = []
checks = 0


def check(ok, what):
    global checks
    checks += 1
    if not ok:
        failures.append(what)
        print("check failed: " + what, file=sys.stderr)


def sign(method, key, body=b"", headers=None, secret=SECRET, region=REGION, access_key=KEY,
         age_s=0):
    """A request signed by botocore's S3SigV4Auth, as add_auth() does it but
    at a chosen time (add_auth always takes now)."""
    req = AWSRequest(method=method, url=URL + "/" + quote(key.encode(), safe="/~"), data=body,
                     headers=dict(headers or {}))
    signer = S3SigV4Auth(Credentials(access_key, secret), "s3", region)
    req.context["timestamp"] = time.strftime(SIGV4_TIMESTAMP, time.gmtime(time.time() - age_s))
    signer._modify_request_before_signing(req)
    req.headers["Host"] = urlsplit(req.url).netloc
    cr = signer.canonical_request(req)
    signer._inject_signature_to_request(req, signer.signature(signer.string_to_sign(req, cr), req))
    return req


def send(req, path=None, body=None):
    """(status, S3 error code or "", body) of req sent as it is: its headers
    exactly, Host included."""
    parts = urlsplit(req.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest(req.method, path or parts.path, skip_host=True, skip_accept_encoding=True)
        for name, value in req.headers.items():
            conn.putheader(name, value)
        data = req.body if body is None else body
        conn.putheader("User-Agent", UA)
        conn.putheader("Content-Length", str(len(data or b"")))
        conn.endheaders(data or None)
        resp = conn.getresponse()
        out = resp.read()
    finally:
        conn.close()
    code = ""
    if b"<Code>" in out:
        code = out.split(b"<Code>")[1].split(b"</Code>")[0].decode()
    return resp.status, code, out


def flip(value):
    """value with one byte changed: its last digit, else its last letter."""
    for i in range(len(value) - 1, -1, -1):
        c = value[i]
        if c.isdigit():
            return value[:i] + str((int(c) + 1) % 10) + value[i + 1:]
    for i in range(len(value) - 1, -1, -1):
        if value[i].isalpha() and value[i] not in "zZ":
            return value[:i] + chr(ord(value[i]) + 1) + value[i + 1:]
    return value + "x"


def in_process():
    """verify() on a botocore-signed request, then on it with one byte changed."""
    req = sign("PUT", "unit/a b+c.txt", b"abc", {"Content-Type": "text/plain"})
    target = urlsplit(req.url).path
    headers = list(req.headers.items())
    try:
        v = verify("PUT", target, headers, {KEY: SECRET}, REGION)
        check(v["payload"] == req.headers["X-Amz-Content-SHA256"], "in process: payload")
    except Refused as e:
        check(False, "in process: botocore's own request refused: %s" % e)
    bad = [(n, flip(v) if n.lower() == "content-type" else v) for n, v in headers]
    try:
        verify("PUT", target, bad, {KEY: SECRET}, REGION)
        check(False, "in process: a changed Content-Type byte was accepted")
    except Refused as e:
        check(e.code == "SignatureDoesNotMatch", "in process: changed byte gave %s" % e.code)


def over_http():
    key = "honesty/a b+c=d&e~f \u00e9\u65e5.txt"
    body = b"honest body, signed by botocore\n"
    stored = os.path.join(DATA, *key.split("/"))

    def expect(req, status, code, what, **kw):
        got = send(req, **kw)
        check(got[:2] == (status, code), "%s: got %d %s, want %d %s" % (what, got[0], got[1],
                                                                        status, code))
        return got

    expect(sign("PUT", key, body, {"Content-Type": "text/plain"}), 200, "", "botocore PUT")
    check(open(stored, "rb").read() == body, "botocore PUT: stored bytes")
    check(expect(sign("GET", key), 200, "", "botocore GET")[2] == body, "GET body")
    check(expect(sign("GET", key, headers={"Range": "bytes=7-10"}), 206, "",
                 "botocore ranged GET")[2] == body[7:11], "ranged GET body")
    expect(sign("HEAD", key), 200, "", "botocore HEAD")
    expect(sign("GET", key, age_s=14 * 60), 200, "", "14 minutes old")

    # one changed byte anywhere the signature covers
    req = sign("PUT", key, body, {"Content-Type": "text/plain"})
    signed = req.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    check(set(signed) == {"content-type", "host", "x-amz-content-sha256", "x-amz-date"},
          "botocore signed %s" % signed)
    for name in signed:
        bad = sign("PUT", key, body, {"Content-Type": "text/plain"})
        value = bad.headers[name]
        del bad.headers[name]
        bad.headers[name] = flip(value)
        expect(bad, 403, "SignatureDoesNotMatch", "one byte of %s (%s)" % (name, flip(value)))
    bad = sign("PUT", key, body, {"Content-Type": "text/plain"})
    path = urlsplit(bad.url).path
    expect(bad, 403, "SignatureDoesNotMatch", "one byte of the path", path=path[:-1] + "u")
    auth = bad.headers["Authorization"]
    del bad.headers["Authorization"]
    bad.headers["Authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    expect(bad, 403, "SignatureDoesNotMatch", "one byte of the signature")
    bad = sign("PUT", key, body, {"Content-Type": "text/plain"})
    expect(bad, 400, "XAmzContentSHA256Mismatch", "one byte of the body",
           body=body[:-2] + b"?" + body[-1:])
    check(open(stored, "rb").read() == body, "a refused PUT changed the object")
    bad = sign("GET", key)
    bad.headers["x-amz-meta-sneaky"] = "1"
    expect(bad, 403, "AccessDenied", "an unsigned x-amz-* header")

    expect(sign("GET", key, age_s=16 * 60), 403, "RequestTimeTooSkewed", "16 minutes old")
    wrong = SECRET[:-1] + ("x" if SECRET[-1] != "x" else "y")     # the secret is random
    expect(sign("GET", key, secret=wrong), 403, "SignatureDoesNotMatch", "wrong secret")
    expect(sign("GET", key, region="eu-west-1"), 400, "AuthorizationHeaderMalformed", "wrong region")
    expect(sign("GET", key, access_key="AKIDNOTAKEY"), 403, "InvalidAccessKeyId", "unknown key")
    anon = sign("GET", key)
    del anon.headers["Authorization"]
    expect(anon, 403, "AccessDenied", "no Authorization")


def client_requests():
    with open(LOG, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    return lines, [r for r in lines if r["user_agent"] == "mpegflow"]


def main():
    in_process()
    over_http()
    honesty = len(client_requests()[0])
    r = subprocess.run([sys.argv[1]])
    check(r.returncode == 0, "%s exited with %d" % (sys.argv[1], r.returncode))

    lines, ours = client_requests()
    refused = [r for r in ours if not 200 <= r["status"] < 300]
    verified = [r for r in ours if r["verified"]]
    check(len(ours) >= 20, "only %d requests from mpegflow" % len(ours))
    for r in ours:
        ok = (r["verified"] and (200 <= r["status"] < 300 or r["code"] == "NoSuchKey")) or \
             (not r["verified"] and r["code"] in
              ("SignatureDoesNotMatch", "AuthorizationHeaderMalformed", "InvalidAccessKeyId"))
        check(ok, "unexpected: %s" % r)
    codes = sorted({r["code"] for r in refused})
    check(codes == ["AuthorizationHeaderMalformed", "InvalidAccessKeyId", "NoSuchKey",
                    "SignatureDoesNotMatch"], "refusal codes %s" % codes)
    seen = [(r["method"], r["key"], r["code"]) for r in refused]
    check(len(seen) == len(set(seen)), "a refused request was retried: %s" % seen)
    resumed = [r for r in ours if r["key"].startswith("sigv4/fault-cut/") and r["method"] == "GET"]
    check(len(resumed) == 2 and resumed[0]["code"] == "fault-cut" and
          resumed[1]["range"].startswith("bytes=") and resumed[1]["status"] == 206 and
          resumed[1]["verified"], "resumed GET: %s" % resumed)
    check(all("x-amz-content-sha256" in r["signed_headers"] and
              "host" in r["signed_headers"].split(";") for r in verified), "signed headers")
    with open(os.path.join(TMP, "sigv4.log")) as f:
        server_out = f.read()
    check("Traceback" not in server_out, "the verifier crashed:\n" + server_out[-2000:])

    print("sigv4: %d requests to the verifier: %d honesty probes (botocore-signed), %d from "
          "mpegflow: %d signatures recomputed by botocore and equal (%s), %d refused (%s); %d checks"
          % (len(lines), honesty, len(ours), len(verified),
             ", ".join(sorted({"%s %d" % (r["method"], r["status"]) for r in verified})),
             len([r for r in ours if not r["verified"]]),
             ", ".join(c for c in codes if c != "NoSuchKey"), checks))
    print("sigv4: signed headers of mpegflow's requests: %s"
          % ", ".join(sorted({r["signed_headers"] for r in verified})))
    if failures:
        print("%d of %d checks failed" % (len(failures), checks), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
