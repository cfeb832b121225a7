"""NVENC on a host that cannot use it (every CI machine): the probe names the
reason, `encode --backend nvenc` fails with one line, and a fallback backend
(--fallback or MPEGFLOW_BACKEND_FALLBACK) encodes instead and is recorded in
result.json. Skipped where NVENC is usable (tests/gpu covers that).

usage: test_nvenc_host.py CASE
"""
import json
import os
import sys
import tempfile

from mediacheck import MEDIA_DIR, MPEGFLOW, SkipTest, check, main, run, streams

SOURCE = "h264_jvt_sva_ba1_176x144.264"     # 17 frames: the encode itself is not the point


def env(**extra):
    e = {k: v for k, v in os.environ.items() if k != "MPEGFLOW_BACKEND_FALLBACK"}
    e.update(extra)
    return e


def nvenc_reason():
    r = run([MPEGFLOW, "probe"], env=env())
    lines = r.stdout.splitlines()
    nv = [l for l in lines if l.startswith("nvenc: ")]
    check(len(nv) == 1, f"probe lists nvenc once: {lines}")
    if nv[0] == "nvenc: usable":
        raise SkipTest("NVENC is usable on this host; see tests/gpu")
    check(nv[0].startswith("nvenc: unusable: "), f"probe line: {nv[0]}")
    reason = nv[0][len("nvenc: unusable: "):]
    check(len(reason) > 10 and reason != "unknown reason", f"no real reason: {nv[0]}")
    return r, reason


def source():
    path = os.path.join(MEDIA_DIR, SOURCE)
    if not os.path.exists(path):
        raise SkipTest(f"{path} not found")
    return path


def encode(out, *extra, **envs):
    return run([MPEGFLOW, "encode", source(), "-o", out, "-y", "--ladder", "144", "--preset", "ultrafast",
                "--audio", "none", "--json", *extra], env=env(**envs), timeout=120)


def check_one_line_failure(r, out, *needles):
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 1, f"exit {r.returncode}, want 1; stderr: {r.stderr}")
    check(len(lines) == 1, f"want one error line, got {lines}")
    for n in needles:
        check(n in lines[0], f"'{n}' not in: {lines[0]}")
    check(not os.listdir(out), f"outputs left behind: {os.listdir(out)}")
    print(lines[0])


def check_fallback(r, out, reason, codec="h264", to="x264"):
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    res = json.loads(r.stdout)
    check(res["backend"] == to, f"backend {res['backend']}, want {to}")
    check(res.get("fallback") == {"from": "nvenc", "to": to, "reason": reason},
          f"fallback record {res.get('fallback')}")
    with open(os.path.join(out, "result.json")) as f:
        check(json.load(f) == res, "result.json differs from --json")
    v = [s for s in streams(os.path.join(out, "144p.mp4"))["streams"] if s["codec_type"] == "video"]
    check(len(v) == 1 and v[0]["codec_name"] == codec, f"output {v}")
    note = [l for l in r.stderr.splitlines() if "nvenc unusable" in l]
    check(len(note) == 1 and f"encoded with {to} instead" in note[0], f"no fallback note on stderr: {r.stderr}")
    print(note[0])


def case_probe():
    r, reason = nvenc_reason()
    check(r.returncode == 0, f"probe exit {r.returncode} though x264 is usable")
    check("x264: usable" in r.stdout, r.stdout)
    # On a machine without the NVIDIA driver the first check is the one that fails.
    if not os.path.exists("/dev/nvidiactl"):
        check("libcuda.so.1" in reason, f"reason should name libcuda.so.1: {reason}")
    print(r.stdout.strip())


def case_encode_fails():
    _, reason = nvenc_reason()
    for codec in ("h264", "hevc"):
        with tempfile.TemporaryDirectory() as out:
            r = encode(out, "--backend", "nvenc", "--codec", codec)
            check_one_line_failure(r, out, "nvenc: unusable on this host: " + reason)
    # An explicit "none" beats the environment.
    with tempfile.TemporaryDirectory() as out:
        r = encode(out, "--backend", "nvenc", "--fallback", "none", MPEGFLOW_BACKEND_FALLBACK="x264")
        check_one_line_failure(r, out, "nvenc: unusable on this host: " + reason)


def case_fallback():
    _, reason = nvenc_reason()
    with tempfile.TemporaryDirectory() as out:
        check_fallback(encode(out, "--backend", "nvenc", "--fallback", "x264"), out, reason)
    with tempfile.TemporaryDirectory() as out:
        check_fallback(encode(out, "--backend", "nvenc", "--codec", "hevc", "--fallback", "x265"),
                       out, reason, codec="hevc", to="x265")
    # The job file can name the backend too.
    with tempfile.TemporaryDirectory() as out:
        job = os.path.join(out, "..", os.path.basename(out) + ".job.json")
        with open(job, "w") as f:
            json.dump({"format": "mp4", "video": {"backend": "nvenc", "renditions": [{"name": "144p", "height": 144, "crf": 23}]},
                       "audio": {"mode": "none"}}, f)
        try:
            r = run([MPEGFLOW, "encode", source(), "-o", out, "-y", "--job", job, "--json", "--fallback", "x264"],
                    env=env(), timeout=120)
            check_fallback(r, out, reason)
        finally:
            os.unlink(job)


def case_fallback_env():
    _, reason = nvenc_reason()
    with tempfile.TemporaryDirectory() as out:
        check_fallback(encode(out, "--backend", "nvenc", MPEGFLOW_BACKEND_FALLBACK="x264"), out, reason)
    # No fallback when the asked-for backend works: nothing recorded.
    with tempfile.TemporaryDirectory() as out:
        r = encode(out, "--backend", "x264", MPEGFLOW_BACKEND_FALLBACK="x265")
        check(r.returncode == 0, r.stderr)
        check("fallback" not in json.loads(r.stdout), "fallback recorded without one")


def case_fallback_wrong_codec():
    _, reason = nvenc_reason()
    with tempfile.TemporaryDirectory() as out:
        r = encode(out, "--backend", "nvenc", "--codec", "hevc", "--fallback", "x264")
        check_one_line_failure(r, out, "nvenc: unusable on this host: " + reason,
                               "fallback x264: encodes h264 only")
    with tempfile.TemporaryDirectory() as out:
        r = encode(out, "--backend", "nvenc", "--fallback", "no-such")
        check_one_line_failure(r, out, "fallback no-such: not built into this mpegflow")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES[sys.argv[1]])
