#!/usr/bin/env python3
"""twin_post.py: two copies of one POST that reach the server together, for races.

  twin_post.py PORT PATH CONTENT_TYPE BODY [XFF1 XFF2]

Opens two connections, sends each request but its last byte, waits until both are in, then
sends the two last bytes back to back, so the server starts both at once (the nearest a client
gets to "truly concurrent"). XFF1 and XFF2, when given, go out as X-Forwarded-For, so a server
that trusts the loopback counts each copy against its own address. Prints one line per copy,
in order: "<status> <refresh_token or ->".
"""
import json
import socket
import sys
import time


def request(port, path, ctype, body, xff):
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: %s\r\n"
            "Content-Length: %d\r\nConnection: close\r\n" % (path, port, ctype, len(body)))
    if xff:
        head += "X-Forwarded-For: %s\r\n" % xff
    return (head + "\r\n").encode() + body.encode()


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def outcome(data):
    head, _, payload = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].split()
    status = line[1].decode() if len(line) > 1 else "?"
    try:
        token = json.loads(payload).get("refresh_token") or "-"
    except ValueError:
        token = "-"
    return "%s %s" % (status, token)


def main(argv):
    port, path, ctype, body = int(argv[1]), argv[2], argv[3], argv[4]
    xffs = argv[5:7] if len(argv) >= 7 else [None, None]
    reqs = [request(port, path, ctype, body, x) for x in xffs]
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in reqs]
    for s, r in zip(socks, reqs):
        s.sendall(r[:-1])
    time.sleep(0.05)  # both requests are in the server's buffers, each short of one byte
    for s, r in zip(socks, reqs):
        s.sendall(r[-1:])
    for s in socks:
        print(outcome(read_all(s)))
        s.close()


if __name__ == "__main__":
    main(sys.argv)
