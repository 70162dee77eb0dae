#!/usr/bin/env bash
# Message framing (RFC 9112 §6.3), over raw sockets to a real `aam serve`: a request whose body
# length is ambiguous (two different Content-Length values, in two fields or one list, or
# Content-Length together with Transfer-Encoding) is answered 400 problem+json and the
# connection is closed, so bytes a front proxy may have framed differently are never read as
# a second request (request smuggling). Repeating one same value is allowed (§6.3 lets a
# recipient take it as one), and a lone Transfer-Encoding or Content-Length works as always.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
server_start || give_up "server start"
PORT=${BASE_URL##*:}

# raw HEAD-AND-BODY (printf escapes): sends the bytes on one connection, then reads until the
# server closes it or 5 s pass. Prints: the status of every response read, "closed" or "open",
# and the first response's Content-Type.
raw() {
  python3 - "$PORT" "$1" <<'PY'
import re, socket, sys, time
port, data = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(data)
buf, closed, deadline = b"", False, time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionResetError:
        closed = True
        break
    if not chunk:
        closed = True
        break
    buf += chunk
    # after a complete response, wait briefly for a close or a second response
    s.settimeout(1.5 if re.search(rb"\r\n\r\n", buf) else 5)
statuses = re.findall(rb"HTTP/1\.[01] (\d{3}) ", buf)  # a response may follow a body directly
ctype = re.search(rb"^content-type: *([^\r\n;]*)", buf, re.M | re.I)
print(" ".join(x.decode() for x in statuses) or "none", "closed" if closed else "open",
      ctype.group(1).decode() if ctype else "-")
PY
}
H='Host: x\r\nContent-Type: application/json\r\n'
LOGIN='POST /api/v1/auth/login HTTP/1.1\r\n'
SMUGGLED='GET /api/v1/aam/connectors HTTP/1.1\r\nHost: x\r\n\r\n'

out=$(raw "$LOGIN${H}Content-Length: 2\r\nContent-Length: 60\r\n\r\n{}")
check "two different Content-Length fields: 400 problem+json, then closed (got: $out)" \
  test "$out" = "400 closed application/problem+json"
out=$(raw "$LOGIN${H}Content-Length: 60\r\nContent-Length: 2\r\n\r\n{}")
check "…in the other order too (got: $out)" test "$out" = "400 closed application/problem+json"
# (libmicrohttpd refuses a list itself, with its own 400 page, before the request reaches us)
out=$(raw "$LOGIN${H}Content-Length: 2, 60\r\n\r\n{}")
check "two different values in one Content-Length list: 400, closed (got: $out)" \
  sh -c "case '$out' in '400 '*closed*) exit 0 ;; *) exit 1 ;; esac"
out=$(raw "$LOGIN${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n$SMUGGLED")
check "Content-Length with Transfer-Encoding: 400 problem+json, then closed, nothing more answered (got: $out)" \
  test "$out" = "400 closed application/problem+json"
out=$(raw "$LOGIN${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n2\r\n{}\r\n0\r\n\r\n$SMUGGLED")
check "…Transfer-Encoding first (got: $out)" test "$out" = "400 closed application/problem+json"
out=$(raw "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
check "…on a public GET as well (got: $out)" test "$out" = "400 closed application/problem+json"

# What stays allowed (the connection stays open for the next request: keep-alive).
out=$(raw "$LOGIN${H}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}")
check "one same Content-Length value twice is taken as one: the login is read and refused 422 (got: $out)" \
  test "$out" = "422 open application/problem+json"
out=$(raw "$LOGIN${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
check "a chunked body alone is read (got: $out)" test "$out" = "422 open application/problem+json"
out=$(raw "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
check "two pipelined requests without a body: two answers (got: $out)" test "$out" = "200 200 open application/json"

req GET /health
expect_status 200 "the server still answers"
finish
