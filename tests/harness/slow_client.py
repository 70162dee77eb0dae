#!/usr/bin/env python3
"""slow_client.py: hostile HTTP clients for the limits test (tests/integration/test_limits.sh).

  trickle PORT headers|body SECONDS  one request trickled a byte-sized piece every 0.5 s for
                                     SECONDS; prints "<outcome> <elapsed>" where outcome is the
                                     status line's code, or "closed" when the server hung up
                                     first, or "sent-all" when the client finished trickling
  bodies PORT PID N KIB TOKEN PATH   N connections each send headers (Content-Length KIB KiB)
                                     and all but the last KiB of the body, then stall; prints
                                     the server's VmRSS growth in KiB while they stall, then
                                     completes every body and prints the tally of statuses
"""
import socket
import sys
import time


def status_of(data):
    line = data.split(b"\r\n", 1)[0].split()
    return line[1].decode() if len(line) > 1 else "?"


def trickle(port, mode, seconds):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.5)
    t0 = time.time()
    if mode == "headers":
        s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n")
        piece, end = b"X-Slow: 1\r\n", b"\r\n"
    else:
        s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 16000\r\n\r\n")
        piece, end = b" ", None
    while time.time() - t0 < seconds:
        try:
            s.sendall(piece)
            data = s.recv(4096)
            print("%s %.1f" % (status_of(data) if data else "closed", time.time() - t0))
            return
        except socket.timeout:
            continue
        except OSError:
            print("closed %.1f" % (time.time() - t0))
            return
    print("sent-all %.1f" % (time.time() - t0))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bodies(port, pid, n, kib, token, path):
    before = rss_kib(pid)
    socks = []
    size = kib * 1024
    head = ("POST %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (path, token, size)).encode()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(head + b" " * (size - 1024))
        socks.append(s)
    time.sleep(1.0)  # let the server read what was sent (a measurement, not an assertion)
    print("rss-growth-kib %d" % (rss_kib(pid) - before))
    tally = {}
    for s in socks:
        s.settimeout(30)
        try:
            s.sendall(b" " * 1024)
            code = status_of(s.recv(4096))
        except OSError:
            code = "closed"
        tally[code] = tally.get(code, 0) + 1
        s.close()
    print("statuses " + " ".join("%sx%d" % kv for kv in sorted(tally.items())))


if __name__ == "__main__":
    if sys.argv[1] == "trickle":
        trickle(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
    else:
        bodies(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
               sys.argv[7])
