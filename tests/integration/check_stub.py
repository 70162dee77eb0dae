#!/usr/bin/env python3
"""A loopback HTTP stub for test_checks.sh: /ok answers 200 to the right token (Authorization:
Bearer <token>, or X-Api-Key: <token> alone) and 401 otherwise, /redirect answers 302, /slow
answers 200 after SLOW seconds. Every request's path and auth headers go to LOG, one line each.
Usage: check_stub.py PORTFILE LOG TOKEN SLOW"""
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, LOG, TOKEN, SLOW = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        key = self.headers.get("X-Api-Key", "")
        with lock, open(LOG, "a") as f:
            f.write("%s auth=%s key=%s\n" % (self.path, auth, key))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        elif self.path == "/slow":
            time.sleep(SLOW)
            self.send_response(200)
        elif auth == "Bearer " + TOKEN or key == TOKEN:
            self.send_response(200)
        else:
            self.send_response(401)
        self.send_header("Content-Length", "0")
        self.end_headers()


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
