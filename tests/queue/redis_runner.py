#!/usr/bin/env python3
"""Run a queue test against a real redis-server on 127.0.0.1, then stop it.

  redis_runner.py [--acl FILE] -- TEST [ARGS...]

The server gets a free port and its own temp dir; TEST finds it through
MF_TEST_REDIS_URL (and MF_TEST_REDIS_PORT). --acl starts it with that ACL file
(users and their permissions; 'default' stays on so the test can inspect).
The server is stopped by PID on every exit path (also SIGTERM from meson) and
dies with this process anyway (PR_SET_PDEATHSIG). Exit 77 without redis-server.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from servers import RedisServer  # noqa: E402  (tests/lib/servers.py)

SKIP = 77


def main():
    args = sys.argv[1:]
    extra = []
    while args and args[0] != "--":
        if args[0] == "--acl":
            extra += ["--aclfile", os.path.abspath(args[1])]
            args = args[2:]
        else:
            sys.exit(f"redis_runner.py: unknown option {args[0]}")
    cmd = args[1:]
    if not cmd:
        sys.exit("usage: redis_runner.py [--acl FILE] -- TEST [ARGS...]")
    if not shutil.which("redis-server"):
        print("redis-server not installed: skipped")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="mf-queue-test-")
    redis = RedisServer(tmp, extra_args=extra)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        redis.start()
        env = dict(os.environ, MF_TEST_REDIS_URL=redis.url, MF_TEST_REDIS_PORT=str(redis.port))
        return subprocess.run(cmd, env=env).returncode
    finally:
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
