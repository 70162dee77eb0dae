#!/usr/bin/env python3
"""twin_request.py: two different requests that reach the server together, for races.

  twin_request.py PORT METHOD1 PATH1 TOKEN1 BODY1 METHOD2 PATH2 TOKEN2 BODY2

Like twin_post.py, but each request has its own method, path, bearer token and JSON body.
Opens two connections, sends each request but its last byte, then the two last bytes back to
back, so the server starts both at once. Prints one status per request, in order.
"""
import socket
import sys


def request(port, method, path, token, body):
    head = ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (method, path, port, token, len(body)))
    return head.encode() + body.encode()


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def main(argv):
    port = int(argv[1])
    reqs = [request(port, *argv[2:6]), request(port, *argv[6:10])]
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in reqs]
    for s, r in zip(socks, reqs):
        s.sendall(r[:-1])
    for s, r in zip(socks, reqs):
        s.sendall(r[-1:])
    for s in socks:
        line = read_all(s).split(b"\r\n", 1)[0].split()
        print(line[1].decode() if len(line) > 1 else "?")
        s.close()


if __name__ == "__main__":
    main(sys.argv)
