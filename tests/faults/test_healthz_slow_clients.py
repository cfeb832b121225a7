"""Issue 16 item 2: slow and idle clients must not stop the probes.

200 connections from four "attacker" addresses (127.0.0.2-5, 50 each): half send a
header byte every 2 s and never end the request (slow loris), half connect and send
nothing. A client the worker cuts off reconnects at once, so the pressure stays at 200.
Meanwhile a fresh /healthz from 127.0.0.1 (the kubelet) every 0.2 s for 14 s must be
answered within 1 s each time, and every slow or idle connection must be cut by the
worker within the request deadline (10 s) plus slack, whatever bytes it trickles.
Then one address opening 100 connections gets at most the per-address limit (64).

usage: test_healthz_slow_clients.py slow_clients
"""
import os
import select
import socket
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from workerharness import check, main  # noqa: E402

N = 200
ATTACKERS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
DEADLINE_S = 10          # the worker's whole-request deadline (src/worker/http.c)
PER_IP = 64              # the worker's per-address connection limit


class Loris:
    """N connections kept open against port; slow ones trickle a header byte every 2 s."""

    def __init__(self, port):
        self.port = port
        self.stop = threading.Event()
        self.conns = {}              # socket -> (slow, opened at, index)
        self.lifetimes = []          # (slow, seconds) of connections the server closed
        self.refused = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self, i):
        s = socket.socket()
        s.bind((ATTACKERS[i % len(ATTACKERS)], 0))
        try:
            s.connect(("127.0.0.1", self.port))
        except OSError:
            self.refused += 1
            s.close()
            return
        slow = i % 2 == 0
        if slow:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        s.setblocking(False)
        self.conns[s] = (slow, time.monotonic(), i)

    def run(self):
        for i in range(N):
            self.open(i)
        last_trickle = time.monotonic()
        while not self.stop.is_set():
            ready, _, _ = select.select(list(self.conns), [], [], 0.1)
            for s in ready:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if data:             # a 408 or similar before the close: keep reading
                    continue
                slow, t0, i = self.conns.pop(s)
                self.lifetimes.append((slow, time.monotonic() - t0))
                s.close()
                self.open(i)         # the attacker comes back at once
            if time.monotonic() - last_trickle >= 2:
                last_trickle = time.monotonic()
                for s, (slow, _, _) in list(self.conns.items()):
                    if slow:
                        try:
                            s.send(b"a")
                        except OSError:
                            pass
        for s in self.conns:
            s.close()


def probe(port):
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            r.read()
            code = r.status
    except Exception as e:   # noqa: BLE001 - a timeout, a reset: all count as a failed probe
        code = f"{type(e).__name__}: {e}"
    return code, time.monotonic() - t0


def case_slow_clients(h):
    w = h.worker("w1")
    code, took = probe(w.http_port)
    check(code == 200, f"/healthz before the clients: {code}")
    loris = Loris(w.http_port)
    loris.thread.start()
    time.sleep(1)                    # all 200 connected
    check(len(loris.conns) >= N - 5, f"only {len(loris.conns)} of {N} slow clients connected")
    lat, bad = [], []
    end = time.monotonic() + DEADLINE_S + 4
    while time.monotonic() < end:
        code, took = probe(w.http_port)
        lat.append(took)
        if code != 200 or took >= 1:
            bad.append((round(took, 2), code))
        time.sleep(0.2)
    open_now = len(loris.conns)
    loris.stop.set()
    loris.thread.join(5)
    lat.sort()
    print(f"figure: /healthz under {N} slow/idle clients: {len(lat)} probes, "
          f"median {lat[len(lat) // 2] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms, {len(bad)} over 1 s or failed; "
          f"{open_now} client connections open at the end")
    check(not bad, f"{len(bad)} of {len(lat)} probes slow or failed: {bad[:5]}")
    cut = [t for slow, t in loris.lifetimes if slow]
    print(f"figure: slow-loris connections cut by the worker: {len(cut)}, longest lived "
          f"{max(cut) if cut else 0:.1f} s; idle ones cut: {len(loris.lifetimes) - len(cut)}")
    check(len(cut) >= N // 2 - 5, f"only {len(cut)} of {N // 2} trickling connections were cut within "
          f"{DEADLINE_S + 4} s: the deadline restarts at every byte")
    check(max(cut) < DEADLINE_S + 2, f"a trickling connection lived {max(cut):.1f} s (deadline {DEADLINE_S} s)")

    # One address alone gets no more than its share.
    held, refused = [], 0
    for _ in range(100):
        s = socket.socket()
        s.bind(("127.0.0.9", 0))
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", w.http_port))
            held.append(s)
        except OSError:
            refused += 1
            s.close()
    time.sleep(0.5)
    alive = 0
    for s in held:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            alive += 1
        else:
            try:
                alive += 1 if s.recv(1) else 0
            except OSError:
                pass
    code, took = probe(w.http_port)
    for s in held:
        s.close()
    print(f"figure: one address opening 100 connections: {alive} kept (limit {PER_IP}); "
          f"/healthz meanwhile {code} in {took * 1000:.1f} ms")
    check(alive <= PER_IP, f"one address holds {alive} connections (limit {PER_IP})")
    check(code == 200 and took < 1, f"/healthz with one address at its limit: {code} in {took:.2f}s")


if __name__ == "__main__":
    sys.exit(main({"slow_clients": case_slow_clients}))
