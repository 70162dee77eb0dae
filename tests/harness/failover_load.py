#!/usr/bin/env python3
"""failover_load.py: a bounded load of writes, reads and /ready probes for the failover test,
and the figures it yields.

  failover_load.py run LOG STOPFILE MAX_SECONDS MAX_WRITES NAME=BASE_URL=TOKEN...
      Per target: two writer threads (POST a connector with a fresh id, then the next), one
      reader (GET the list) and one /ready prober (every 50 ms). Every answer is one JSON line
      in LOG: {"t0","t1" (wall clock, s), "target", "kind" (w|r|ready), "status", "id"}.
      Stops when STOPFILE exists, after MAX_SECONDS, or after MAX_WRITES writes per target.
      A request the server never answered is status 0.

  failover_load.py report LOG NAME EVENT_START EVENT_WRITABLE WINDOW_END
      The figures for one target and one event (times in wall-clock seconds): JSON with
        gap_s          longest time between two successive 2xx writes around the event
        resume_s       from EVENT_WRITABLE (the new primary takes writes) to the first 2xx
                       write sent after it
        ready_200_while_down  /ready answered 200 for a probe sent after EVENT_START + 0.3 s
                       and answered before EVENT_WRITABLE - 0.3 s (no node took writes then)
        ready_non200   /ready answers other than 200 in [EVENT_START, EVENT_WRITABLE]
        status         count by status of every answer of the target in [EVENT_START, WINDOW_END]

  failover_load.py totals LOG NAME
      {"by_status": {...}, "n500": .., "n503": .., "ok_writes": [ids]} for the whole run.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse


def one_request(conn, method, path, token, body=None):
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    return resp.status


class Target:
    def __init__(self, spec):
        self.name, self.base, self.token = spec.split("=", 2)
        u = urllib.parse.urlsplit(self.base)
        self.host, self.port = u.hostname, u.port
        self.writes = 0
        self.lock = threading.Lock()

    def take_write(self, limit):
        with self.lock:
            if self.writes >= limit:
                return None
            self.writes += 1
            return self.writes


def worker(target, kind, log, log_lock, stop, limit, slot):
    conn = None
    while not stop.is_set():
        if conn is None:
            conn = http.client.HTTPConnection(target.host, target.port, timeout=30)
        ident = None
        if kind == "w":
            n = target.take_write(limit)
            if n is None:
                return
            ident = "%s-%d-%d" % (target.name, slot, n)
            body = json.dumps({"id": ident, "name": "Failover " + ident, "type": "rest_api",
                               "config": {"base_url": "https://x.example"}})
            method, path = "POST", "/api/v1/aam/connectors"
        elif kind == "r":
            method, path, body = "GET", "/api/v1/aam/connectors?limit=1", None
        else:
            method, path, body = "GET", "/ready", None
        t0 = time.time()
        try:
            status = one_request(conn, method, path, target.token, body)
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = None
        t1 = time.time()
        line = json.dumps({"t0": t0, "t1": t1, "target": target.name, "kind": kind,
                           "status": status, "id": ident})
        with log_lock:
            log.write(line + "\n")
            log.flush()
        if kind == "ready":
            stop.wait(0.05)
        else:
            stop.wait(0.02)  # about 50 a second per thread: a load, not a flood, on 2 cores


def run(argv):
    log_path, stop_file, max_seconds, max_writes = argv[0], argv[1], float(argv[2]), int(argv[3])
    targets = [Target(s) for s in argv[4:]]
    stop = threading.Event()
    log_lock = threading.Lock()
    with open(log_path, "a") as log:
        threads = []
        for t in targets:
            for kind, slot in (("w", 1), ("w", 2), ("r", 0), ("ready", 0)):
                th = threading.Thread(target=worker,
                                      args=(t, kind, log, log_lock, stop, max_writes, slot))
                th.daemon = True
                th.start()
                threads.append(th)
        deadline = time.time() + max_seconds
        while time.time() < deadline and not os.path.exists(stop_file):
            time.sleep(0.05)
        stop.set()
        for th in threads:
            th.join(35)
    return 0


def load(log_path, name):
    rows = []
    with open(log_path) as f:
        for line in f:
            r = json.loads(line)
            if r["target"] == name:
                rows.append(r)
    return rows


def report(argv):
    log_path, name = argv[0], argv[1]
    start, writable, end = float(argv[2]), float(argv[3]), float(argv[4])
    rows = load(log_path, name)
    ok_w = sorted(r["t1"] for r in rows if r["kind"] == "w" and 200 <= r["status"] < 300)
    before = [t for t in ok_w if t < start]
    during = [t for t in ok_w if start <= t <= end]
    points = before[-1:] + during
    gap = max((b - a for a, b in zip(points, points[1:])), default=None)
    after = [r["t1"] for r in rows if r["kind"] == "w" and 200 <= r["status"] < 300
             and r["t0"] >= writable]
    resume = (min(after) - writable) if after else None
    ready = [r for r in rows if r["kind"] == "ready"]
    bad_ready = [r for r in ready if r["status"] == 200 and r["t0"] >= start + 0.3
                 and r["t1"] <= writable - 0.3]
    non200 = [r for r in ready if r["status"] != 200 and start <= r["t0"] <= writable]
    status = {}
    for r in rows:
        if start <= r["t0"] <= end:
            status[str(r["status"])] = status.get(str(r["status"]), 0) + 1
    print(json.dumps({"gap_s": gap, "resume_s": resume, "ready_200_while_down": len(bad_ready),
                      "ready_non200": len(non200), "status": status,
                      "writes_ok_during": len(during)}))
    return 0


def totals(argv):
    rows = load(argv[0], argv[1])
    by = {}
    for r in rows:
        by[str(r["status"])] = by.get(str(r["status"]), 0) + 1
    ok = [r["id"] for r in rows if r["kind"] == "w" and 200 <= r["status"] < 300]
    print(json.dumps({"by_status": by, "n500": sum(1 for r in rows if r["status"] >= 500
                                                   and r["status"] != 503),
                      "n503": by.get("503", 0), "n0": by.get("0", 0), "ok_writes": ok}))
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "run":
        sys.exit(run(sys.argv[2:]))
    if cmd == "report":
        sys.exit(report(sys.argv[2:]))
    if cmd == "totals":
        sys.exit(totals(sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
