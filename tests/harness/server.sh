#!/usr/bin/env bash
# server.sh: start and stop `aam serve` for an HTTP test. Source it after the runner has set
# AAM_BIN and DATABASE_URL. The server's log is printed when the test fails (see assert.sh).

. "$(dirname "${BASH_SOURCE[0]}")/port.sh"

export JWT_SECRET=${JWT_SECRET:-test-secret-0123456789abcdef0123456789abcdef}
# The keys connector secrets are encrypted under (required by serve, seed and migrate); run.sh
# sets one for every test, this is for a test run by hand.
export AAM_SECRET_KEYS=${AAM_SECRET_KEYS:-test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=}

# Every server gets its own admin port (AAM_ADMIN_ADDR, else 9090 for all): tests run side by
# side and a test may start two servers. ADMIN_URL follows an AAM_ADMIN_ADDR the caller passes
# (empty for off).
server_start() {  # [VAR=value ...]: extra environment for the server
  local port admin
  { port_lock port && port_lock admin; } || return 1
  SERVER_LOG=$(mktemp /tmp/aam-server.XXXXXX.log)
  env PORT="$port" AAM_ADMIN_ADDR="127.0.0.1:$admin" "$@" "$AAM_BIN" serve >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  BASE_URL="http://127.0.0.1:$port"
  ADMIN_URL="http://127.0.0.1:$admin"
  local a
  for a in "$@"; do
    case $a in AAM_ADMIN_ADDR=off) ADMIN_URL="" ;; AAM_ADMIN_ADDR=*) ADMIN_URL="http://${a#AAM_ADMIN_ADDR=}" ;; esac
  done
  export BASE_URL SERVER_PID SERVER_LOG ADMIN_URL
  local n=100
  while ((n-- > 0)); do
    curl -fs -o /dev/null "$BASE_URL/health" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "# server did not come up; its log:" >&2
  sed 's/^/#   /' "$SERVER_LOG" >&2
  return 1
}

server_stop() {  # SIGTERM, wait; returns the server's exit status
  [ -n "${SERVER_PID:-}" ] || return 0
  local rc=0
  kill -TERM "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  return "$rc"
}
