#!/usr/bin/env python3
"""The main job end to end on loopback: redis-server, nginx as the storage endpoint
(DAV PUT), one `mpegflow worker`, and `mpegflow submit --wait` of a sample job.
Prints the result and where the outputs are; stops everything afterwards.

usage: scripts/demo_worker.py [BUILD_DIR] [SAMPLE] [OUTDIR]   (run scripts/install-deps.sh first)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "tests", "lib"))
from servers import Nginx, RedisServer, die_with_parent, free_port  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build")
sample = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "..", "shared", "media", "mp4_h264_aac_640x360_17s.mp4")
outdir = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "demo-worker-output")
mpegflow = os.path.join(build, "tools", "mpegflow")

tmp = tempfile.mkdtemp(prefix="mpegflow-demo-")
redis = RedisServer(tmp).start()
nginx = Nginx(tmp).start()
worker = None
try:
    nginx.put_file("uploads/demo/source.mp4", sample)
    env = dict(os.environ, MPEGFLOW_REDIS_URL=redis.url, MPEGFLOW_STORAGE_URL=nginx.url,
               MPEGFLOW_HTTP_ADDR=f"127.0.0.1:{free_port()}", MPEGFLOW_SCRATCH_DIR=tmp, MPEGFLOW_LOG_FORMAT="text")
    worker = subprocess.Popen([mpegflow, "worker"], env=env, preexec_fn=die_with_parent)
    job = {"id": "demo", "input": "uploads/demo/source.mp4", "output_prefix": "renditions/demo/", "format": "both",
           "video": {"preset": "veryfast", "renditions": [{"name": "360p", "height": 360, "crf": 23},
                                                         {"name": "240p", "height": 240, "crf": 25}]},
           "audio": {"mode": "aac", "bitrate": "128k", "channels": 2}}
    with open(os.path.join(tmp, "job.json"), "w") as f:
        json.dump(job, f)
    r = subprocess.run([mpegflow, "submit", os.path.join(tmp, "job.json"), "--wait", "--timeout", "300"],
                       env=env, stdout=subprocess.PIPE, text=True)
    if r.returncode:
        sys.exit(r.returncode)
    subprocess.run([mpegflow, "status", "demo"], env=env)
    shutil.rmtree(outdir, ignore_errors=True)
    shutil.copytree(os.path.join(nginx.media, "renditions", "demo"), outdir)
    print(f"\noutputs (uploaded to {nginx.url}/renditions/demo/, copied to {outdir}):")
    for d, _, fs in sorted(os.walk(outdir)):
        for f in sorted(fs):
            if f.endswith((".mp4", ".m3u8", ".json")) and f != "init.mp4":
                print("  " + os.path.relpath(os.path.join(d, f), outdir))
finally:
    if worker and worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    redis.stop()
    nginx.stop()
    shutil.rmtree(tmp, ignore_errors=True)
