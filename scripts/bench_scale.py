#!/usr/bin/env python3
"""bench_scale.py: how request cost grows with the data. Run by scripts/bench-scale.sh, which
starts the stack and the server and creates the data; this side only times HTTP requests over
one keep-alive connection and prints a markdown table. Medians of repeated requests, plus the
first (cold) request where a cache is involved. Not a test: it asserts nothing."""
import http.client
import json
import statistics
import sys
import time

base_host, base_port = sys.argv[1], int(sys.argv[2])
plan = json.load(open(sys.argv[3]))
REPEAT = int(plan.get("repeat", 20))


def timed(conn, path, token):
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    resp = conn.getresponse()
    body = resp.read()
    ms = (time.perf_counter() - t0) * 1000.0
    if resp.status != 200:
        raise SystemExit(f"{path}: HTTP {resp.status}: {body[:200]!r}")
    return ms, body


def measure(label, path, token, cold=False):
    conn = http.client.HTTPConnection(base_host, base_port, timeout=600)
    first, body = timed(conn, path, token)
    times = [timed(conn, path, token)[0] for _ in range(REPEAT)]
    conn.close()
    total = json.loads(body).get("total")
    cold_col = f"{first:.1f}" if cold else "–"
    print(f"| {label} | {total} | {cold_col} | {statistics.median(times):.2f} | {max(times):.2f} |",
          flush=True)


print(f"| request | total | first ms | median ms ({REPEAT}) | max ms |")
print("|---|---:|---:|---:|---:|")
for case in plan["cases"]:
    measure(case["label"], case["path"], case["token"], case.get("cold", False))
