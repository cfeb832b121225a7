"""Bad input: every case exits non-zero with one line naming the file and the
cause, never crashes or hangs, and leaves no partial output behind.

usage: test_bad_input.py CASE
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from mediacheck import MEDIA_DIR, MPEGFLOW, SkipTest, check, encode, main, run

SAMPLE = os.path.join(MEDIA_DIR, "mp4_h264_aac_640x360_17s.mp4")


def expect_failure(r, out, *words, code=1):
    lines = r.stderr.strip().splitlines()
    check(r.returncode == code, f"exit {r.returncode}, want {code}; stderr: {r.stderr.strip()}")
    check(len(lines) == 1, f"want exactly one error line, got {lines}")
    for w in words:
        check(w in lines[0], f"'{w}' not in: {lines[0]}")
    left = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs]
    check(not left, f"partial outputs left: {left}")
    print(lines[0])


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def case_missing(tmp, out):
    p = os.path.join(tmp, "nope.mp4")
    expect_failure(encode(p, out), out, p, "No such file")


def case_empty(tmp, out):
    p = write(os.path.join(tmp, "empty.mp4"), b"")
    expect_failure(encode(p, out), out, p, "empty")


def case_not_media(tmp, out):
    junk = b"these are not the frames you are looking for\n" * 200
    p = write(os.path.join(tmp, "notes.bin"), junk)
    expect_failure(encode(p, out), out, p, "not a media file")
    # With a media extension FFmpeg tries that container and says why not.
    p = write(os.path.join(tmp, "notes.mp4"), junk)
    expect_failure(encode(p, out), out, p, "cannot read the mov")


def lavfi_clip(path, *opts):
    r = subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25",
                        "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", *opts, path], capture_output=True)
    check(r.returncode == 0, r.stderr)
    with open(path, "rb") as f:
        return f.read()


def case_truncated(tmp, out):
    # The index is at the front, so a cut file still opens: the pipeline
    # must notice that far less video arrives than the container declares.
    data = lavfi_clip(os.path.join(tmp, "full.mp4"), "-movflags", "+faststart")
    p = write(os.path.join(tmp, "cut.mp4"), data[: len(data) // 3])
    expect_failure(encode(p, out, "--ladder", "144"), out, p, "truncated")


def case_truncated_index_at_end(tmp, out):
    data = lavfi_clip(os.path.join(tmp, "late-moov.mp4"))
    p = write(os.path.join(tmp, "late-moov-cut.mp4"), data[: len(data) // 2])
    expect_failure(encode(p, out), out, p, "moov atom not found")


def case_no_video(tmp, out):
    p = os.path.join(MEDIA_DIR, "webm_opus_audioonly_mono.webm")
    expect_failure(encode(p, out), out, p, "no video stream")


def case_nothing_encodable(tmp, out):
    p = os.path.join(MEDIA_DIR, "h264_jvt_sva_ba1_176x144.264")
    expect_failure(encode(p, out, "--ladder", "720,480"), out, "no rendition to encode", "176x144")


def case_unwritable_output(tmp, out):
    blocker = write(os.path.join(tmp, "a-file"), b"x")
    r = encode(SAMPLE, blocker)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 1 and len(lines) == 1 and blocker in lines[0], f"got {r.returncode}: {lines}")
    print(lines[0])


class Listener:
    """A loopback TCP listener that counts connections (it must see none)."""
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.connections += 1
                c.close()
            except socket.timeout:
                pass

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def case_hostile_playlists(tmp, out):
    lst = Listener()
    try:
        secret = write(os.path.join(tmp, "secret.ts"), b"\x47" * 188 * 10)
        cases = {
            "local.m3u8": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{secret}\n#EXT-X-ENDLIST\n",
            "remote.m3u8": f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://127.0.0.1:{lst.port}/a.ts\n#EXT-X-ENDLIST\n",
            "list.ffconcat": f"ffconcat version 1.0\nfile '{SAMPLE}'\n",
        }
        for name, text in cases.items():
            p = write(os.path.join(tmp, name), text.encode())
            expect_failure(encode(p, out), out, p, "refused")
        time.sleep(0.3)
        check(lst.connections == 0, f"the listener saw {lst.connections} connection(s)")
    finally:
        lst.close()


def case_bad_job(tmp, out):
    job = write(os.path.join(tmp, "job.json"),
                b'{"video": {"renditions": [{"name": "a", "heigth": 360}]}}')
    expect_failure(encode(SAMPLE, out, "--job", job), out, "video.renditions[0].heigth", code=2)


def case_cancel(tmp, out):
    p = subprocess.Popen([MPEGFLOW, "encode", os.path.join(MEDIA_DIR, "mp4_h264_aac_1080p_6min.mp4"),
                          "-o", out, "--ladder", "720"], stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    check(p.returncode == 130, f"exit {p.returncode} after SIGINT, want 130: {err}")
    check("cancelled" in err, f"no 'cancelled' in: {err}")
    left = [f for _, _, fs in os.walk(out) for f in fs]
    check(not left, f"partial outputs left: {left}")
    print(err.strip())


def case_not_regular(tmp, out):
    # A FIFO with no writer would block open() forever: refused at once.
    fifo = os.path.join(tmp, "in.mp4")
    os.mkfifo(fifo)
    for p in (fifo, tmp, "/dev/zero"):
        t = time.monotonic()
        r = run([MPEGFLOW, "encode", p, "-o", out, "--json"], timeout=10)
        expect_failure(r, out, p, "not a regular file")
        check(time.monotonic() - t < 5, f"{p}: took {time.monotonic() - t:.1f} s")


def case_max_pixels_wxh(tmp, out):
    # 8192x4320 is 35389440 pixels, not 8192: the 640x360 sample passes.
    r = encode(SAMPLE, out, "--ladder", "144", "--format", "mp4", "--max-pixels", "8192x4320")
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr.strip()}")
    mf_clean(out)
    # The WxH form is a product: 640x359 is one row short of the sample.
    expect_failure(encode(SAMPLE, out, "--max-pixels", "640x359"), out, "640x360", "229760")
    expect_failure(encode(SAMPLE, out, "--max-pixels", "230399"), out, "640x360", "230399")
    r = encode(SAMPLE, out, "--ladder", "144", "--format", "mp4", "--max-pixels", "230400")
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr.strip()}")
    mf_clean(out)
    for bad in ("8192x", "x4320", "12abc", "-1", "0x100"):
        expect_failure(encode(SAMPLE, out, "--max-pixels", bad), out, "--max-pixels", bad, code=2)


def big_png(path, w, h, group=64):
    """A w x h RGBA 16-bit PNG of zeros, ~2 MB for 16000x16000 (a 2 GB
    frame), written without holding it: every group of rows deflates, after
    a full flush, to the same bytes, so one is compressed and repeated."""
    import struct
    import zlib
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = (b"\0" * (1 + w * 8)) * group          # filter byte 0 + 8 bytes a pixel
    c = zlib.compressobj(9)
    first = c.compress(rows) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(rows) + c.flush(zlib.Z_FULL_FLUSH)
    adler = 1
    for _ in range(h // group):
        adler = zlib.adler32(rows, adler)
    # Then an empty final fixed-Huffman block and the checksum.
    idat = first + block * (h // group - 1) + b"\x03\x00" + struct.pack(">I", adler)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 6, 0, 0, 0)))
        for i in range(0, len(idat), 1 << 20):
            f.write(chunk(b"IDAT", idat[i:i + (1 << 20)]))
        f.write(chunk(b"IEND", b""))
    return path


def peak_rss_run(args, tmp):
    """(returncode, stderr, peak RSS in MiB) of one run."""
    with open(os.path.join(tmp, "stderr"), "w+") as err:
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return p.returncode, err.read(), usage.ru_maxrss / 1024


def case_pixel_limit_before_decode(tmp, out):
    # The PNG header declares the size only to the decoder: it must refuse
    # it there, before a frame is allocated (before: 2 GB resident).
    small = big_png(os.path.join(tmp, "small.png"), 64, 64)
    r = run(["ffmpeg", "-v", "error", "-i", small, "-f", "null", "-"])
    check(r.returncode == 0, f"the generated PNG does not decode: {r.stderr}")
    p = big_png(os.path.join(tmp, "big.png"), 16000, 16000)
    code, err, rss = peak_rss_run([MPEGFLOW, "encode", p, "-o", out, "--max-pixels", "8192x4320"], tmp)
    print(f"peak RSS {rss:.0f} MiB, {os.path.getsize(p)} bytes on disk")
    r = subprocess.CompletedProcess([], code, "", err)
    expect_failure(r, out, p, "16000x16000", "larger than", "35389440")
    check(rss < 300, f"peak RSS {rss:.0f} MiB: the frame was decoded before the limit was checked")


def mf_clean(out):
    for d, _, fs in os.walk(out, topdown=False):
        for f in fs:
            os.unlink(os.path.join(d, f))
        os.rmdir(d)


def run_case(name):
    if not os.path.exists(SAMPLE):
        raise SkipTest(f"{SAMPLE} not found")
    fn = globals().get("case_" + name)
    check(fn is not None, f"unknown case {name}")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        fn(tmp, out)


if __name__ == "__main__":
    main(lambda: run_case(sys.argv[1]))
