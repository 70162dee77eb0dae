#!/usr/bin/env python3
"""httpload.py: HTTP/1.1 keep-alive clients for the shutdown and load-balancer tests.

Every request is classified from the client's side, so a test can tell "the server refused a
new connection" (fine while it drains: the listener is closed) from "a request was sent and
never answered" (a lost request, always a failure).

  httpload.py loop URL [--header H]... [--clients N] [--until-refused] [--stop-file F]
                   [--max-seconds S] [--expect CODE,...]
      N threads, each with one keep-alive connection, send GET URL in a loop. A response with
      "Connection: close" makes the client reconnect. Stops when the stop file exists, after
      max-seconds, or (--until-refused) once a connect is refused. Prints one JSON summary.

  httpload.py half-body HOST PORT PATH BODY LOGFILE PID [--probe URL]
      Sends the headers (Expect: 100-continue), waits for 100 Continue, sends half of BODY,
      sends SIGTERM to PID, waits until LOGFILE shows the
      server received it, checks that a new connection is now refused, GETs the probe URL
      (its status goes into the output: the admin /ready while draining), sends the rest and
      prints the response's status line and whether it carried Connection: close (JSON).
"""
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse


def parse_args(argv):
    opts = {"headers": [], "clients": 4, "until_refused": False, "stop_file": None,
            "max_seconds": 60.0, "expect": None, "probe": None}
    pos = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--header":
            opts["headers"].append(argv[i + 1]); i += 2
        elif a == "--clients":
            opts["clients"] = int(argv[i + 1]); i += 2
        elif a == "--until-refused":
            opts["until_refused"] = True; i += 1
        elif a == "--stop-file":
            opts["stop_file"] = argv[i + 1]; i += 2
        elif a == "--max-seconds":
            opts["max_seconds"] = float(argv[i + 1]); i += 2
        elif a == "--probe":
            opts["probe"] = argv[i + 1]; i += 2
        elif a == "--expect":
            opts["expect"] = {int(c) for c in argv[i + 1].split(",")}; i += 2
        else:
            pos.append(a); i += 1
    return pos, opts


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.answered = 0
        self.by_status = {}
        self.closed_by_server = 0   # responses that carried Connection: close
        self.refused = 0            # connects refused (listener closed): not a request
        self.lost = []              # sent, never answered
        self.unexpected = []        # answered with a status not in --expect

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                if isinstance(v, list):
                    getattr(self, k).extend(v)
                else:
                    setattr(self, k, getattr(self, k) + v)

    def status(self, code):
        with self.lock:
            self.by_status[str(code)] = self.by_status.get(str(code), 0) + 1


def client_loop(url, opts, tally, stop):
    u = urllib.parse.urlsplit(url)
    path = u.path + ("?" + u.query if u.query else "")
    headers = {}
    for h in opts["headers"]:
        k, v = h.split(":", 1)
        headers[k.strip()] = v.strip()
    conn = None
    while not stop.is_set():
        if opts["stop_file"] and os.path.exists(opts["stop_file"]):
            break
        if conn is None:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            try:
                conn.connect()
            except ConnectionRefusedError:
                tally.add(refused=1)
                conn = None
                if opts["until_refused"]:
                    break
                time.sleep(0.01)  # a load generator's back-off, not a test timing
                continue
        try:
            conn.request("GET", path, headers=headers)
        except OSError as e:
            # Nothing (or not all) of the request could be written: the server had closed an
            # idle connection. Count it as lost: our server must not do that while draining.
            tally.add(sent=1, lost=["send: %r" % e])
            conn.close(); conn = None
            continue
        tally.add(sent=1)
        try:
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException) as e:
            tally.add(lost=["%s %s: %r" % ("GET", path, e)])
            conn.close(); conn = None
            continue
        tally.add(answered=1)
        tally.status(r.status)
        if opts["expect"] is not None and r.status not in opts["expect"]:
            tally.add(unexpected=["%d" % r.status])
        if (r.getheader("Connection") or "").lower() == "close":
            tally.add(closed_by_server=1)
            conn.close(); conn = None
    if conn is not None:
        conn.close()


def cmd_loop(pos, opts):
    url = pos[0]
    tally = Tally()
    stop = threading.Event()
    threads = [threading.Thread(target=client_loop, args=(url, opts, tally, stop))
               for _ in range(opts["clients"])]
    for t in threads:
        t.start()
    deadline = time.monotonic() + opts["max_seconds"]
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stop.set()
    for t in threads:
        t.join()
    print(json.dumps({"sent": tally.sent, "answered": tally.answered, "by_status": tally.by_status,
                      "closed_by_server": tally.closed_by_server, "refused": tally.refused,
                      "lost": len(tally.lost), "lost_detail": tally.lost[:5],
                      "unexpected": len(tally.unexpected),
                      "unexpected_detail": tally.unexpected[:5]}))
    return 0


def wait_for_line(path, needle, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(path, errors="replace") as f:
            if needle in f.read():
                return True
        time.sleep(0.02)
    return False


def probe_status(url):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request("GET", u.path)
        r = c.getresponse()
        r.read()
        return r.status
    except OSError:
        return 0
    finally:
        c.close()


def cmd_half_body(pos, opts):
    host, port, path, body, logfile, pid = pos[0], int(pos[1]), pos[2], pos[3].encode(), pos[4], int(pos[5])
    s = socket.create_connection((host, port), timeout=30)
    # Expect: 100-continue makes the server say when it has read the headers and begun the
    # request, so the signal surely comes while the request is under way, not before it.
    head = ("POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % (path, host, port, len(body))).encode()
    half = len(body) // 2
    s.sendall(head)
    interim = b""
    while b"\r\n\r\n" not in interim:
        chunk = s.recv(1)
        if not chunk:
            break
        interim += chunk
    continued = interim.startswith(b"HTTP/1.1 100")
    s.sendall(body[:half])
    os.kill(pid, signal.SIGTERM)
    got_signal = wait_for_line(logfile, "received SIGTERM", 10)
    try:
        probe = socket.create_connection((host, port), timeout=5)
        probe.close()
        refused = False
    except ConnectionRefusedError:
        refused = True
    probed = probe_status(opts["probe"]) if opts["probe"] else None
    s.sendall(body[half:])
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            hdr, _, rest = data.partition(b"\r\n\r\n")
            n = 0
            for line in hdr.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    n = int(v.strip())
            if len(rest) >= n:
                break
    s.close()
    status_line = data.split(b"\r\n", 1)[0].decode(errors="replace") if data else ""
    closes = b"\r\nconnection: close" in data.split(b"\r\n\r\n", 1)[0].lower()
    print(json.dumps({"probe_status": probed, "continued": continued, "signal_seen": got_signal, "new_connection_refused": refused,
                      "status_line": status_line, "connection_close": closes}))
    return 0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    pos, opts = parse_args(sys.argv[2:])
    if sys.argv[1] == "loop":
        return cmd_loop(pos, opts)
    if sys.argv[1] == "half-body":
        return cmd_half_body(pos, opts)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
