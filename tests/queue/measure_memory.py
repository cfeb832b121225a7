"""What a finished job costs in Redis (MEMORY USAGE), without and with retention: N jobs'
hashes as the worker leaves them plus their 3 events each, on a throwaway redis-server.

  python3 tests/queue/measure_memory.py
"""
import json
import os
import shutil
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from servers import RedisServer
from resp import Redis
tmp = tempfile.mkdtemp()
rs = RedisServer(tmp).start()
r = Redis(rs.port)
try:
    # A finished job's hash as the worker leaves it (fields of worker_job.c's succeed(), a 3-rendition result).
    result = json.dumps({"outputs": [{"path": f"{n}p.mp4", "rendition": f"{n}p", "bytes": 1234567, "width": n*16//9, "height": n,
                                      "video": {"codec": "h264", "bitrate": 800000}} for n in (360, 240, 144)],
                         "duration": 17.0, "backend": "x264"})
    lua = """
for i = 1, tonumber(ARGV[1]) do
  local h = 'mpegflow:job:j' .. i
  redis.call('HSET', h, 'state', 'succeeded', 'progress', '100', 'fps', '412.3', 'attempt', '1', 'worker', 'mpegflow-7d9f-abcde-12345',
    'result', ARGV[2], 'created_at', '2026-12-02T07:00:00.000Z', 'started_at', '2026-12-02T07:00:00.100Z', 'finished_at', '2026-12-02T07:00:05.000Z')
  if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', h, ARGV[3]) end
  for _, s in ipairs({'queued', 'running', 'succeeded'}) do
    redis.call('XADD', 'mpegflow:events', 'MAXLEN', '~', ARGV[4], '*', 'job', 'j' .. i, 'state', s, 'worker', 'mpegflow-7d9f-abcde-12345', 'attempt', '1')
  end
end
return 1
"""
    N = 20000
    for ttl, cap, label in ((0, 10**9, "before (no TTL, events uncapped)"), (2, 100000 // 20, "after (TTL, events capped)")):
        r("FLUSHALL")
        m0 = int(r("INFO", "memory").split("used_memory:")[1].split()[0])
        r("EVAL", lua, 0, N, result, ttl, cap)
        one = r("MEMORY", "USAGE", "mpegflow:job:j1", "SAMPLES", "0")
        ev = r("MEMORY", "USAGE", "mpegflow:events", "SAMPLES", "0")
        xl = r("XLEN", "mpegflow:events")
        m1 = int(r("INFO", "memory").split("used_memory:")[1].split()[0])
        print(f"{label}: {N} jobs: hash {one} B each, events {xl} entries {ev} B ({ev / xl:.0f} B/entry), used_memory +{(m1 - m0) / 1e6:.1f} MB")
        if ttl:
            time.sleep(ttl + 1)
            for _ in range(50):     # active expiry samples 20 keys per cycle; SCAN touches every key
                cur = "0"
                while True:
                    cur, keys = r("SCAN", cur, "COUNT", 1000)
                    if cur == "0":
                        break
                if r("DBSIZE") <= 1:
                    break
            m2 = int(r("INFO", "memory").split("used_memory:")[1].split()[0])
            print(f"  after the TTL: DBSIZE {r('DBSIZE')}, used_memory +{(m2 - m0) / 1e6:.1f} MB over empty")
finally:
    rs.stop()
    shutil.rmtree(tmp, ignore_errors=True)
