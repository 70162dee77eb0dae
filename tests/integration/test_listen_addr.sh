#!/usr/bin/env bash
# AAM_LISTEN_ADDR: the API binds the one address it names (PORT on it) and answers nowhere
# else, also not on another loopback address of the same machine (127.0.0.2, ::1); unset, it
# answers on every address as before (IPv4 and IPv6); a value that is not an IP address stops
# the start with exit 2 and one line naming the setting.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
answers() { curl -fs -m 5 -o /dev/null "http://$1:${BASE_URL##*:}/health"; }
silent() { ! curl -s -m 5 -o /dev/null "http://$1:${BASE_URL##*:}/health"; }
HAVE_V6=0
python3 -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && HAVE_V6=1

# --- bad values: exit 2, one line naming the setting (a server that starts anyway is stopped
# after 5 s: exit 124)
port_lock BAD || give_up "reserve a port"
for v in localhost 127.0.0.1:8080 '[::1]:8080' 300.1.1.1 ''; do
  out=$(timeout 5 env PORT="$BAD" AAM_ADMIN_ADDR=off AAM_LISTEN_ADDR="$v" "$AAM_BIN" serve 2>&1); rc=$?
  check "AAM_LISTEN_ADDR='$v' exits 2 (got $rc)" test "$rc" = 2
  check "…with one line naming AAM_LISTEN_ADDR" \
    sh -c "test \"\$(printf '%s\n' \"\$1\" | wc -l)\" = 1 && printf '%s' \"\$1\" | grep -q AAM_LISTEN_ADDR" _ "$out"
done

# --- one address: that one only
server_start AAM_LISTEN_ADDR=127.0.0.1 || give_up "server start (127.0.0.1)"
check "AAM_LISTEN_ADDR=127.0.0.1 answers on 127.0.0.1" answers 127.0.0.1
check "…and not on 127.0.0.2 (loopback too)" silent 127.0.0.2
if ((HAVE_V6)); then check "…nor on ::1" silent '[::1]'; fi
check "the startup line names the address" grep -q "aam serve: 127.0.0.1 port" "$SERVER_LOG"
server_stop; rm -f "$SERVER_LOG"

# --- unset: every address, IPv4 and IPv6
server_start || give_up "server start (all addresses)"
check "unset, the API answers on 127.0.0.1" answers 127.0.0.1
check "…and on 127.0.0.2" answers 127.0.0.2
if ((HAVE_V6)); then check "…and on ::1 (dual stack)" answers '[::1]'; fi
server_stop; rm -f "$SERVER_LOG"

# --- an IPv6 address (when the host has IPv6), in brackets as people write it in URLs
if ((HAVE_V6)); then
  port_lock P6 || give_up "reserve a port"
  port_lock A6 || give_up "reserve a port"
  SERVER_LOG=$(mktemp /tmp/aam-server.XXXXXX.log)
  PORT=$P6 AAM_ADMIN_ADDR="127.0.0.1:$A6" AAM_LISTEN_ADDR='[::1]' "$AAM_BIN" serve >>"$SERVER_LOG" 2>&1 &
  SERVER_PID=$! BASE_URL="http://[::1]:$P6"
  poll_until 10 answers '[::1]' || give_up "server start ([::1])"
  check "AAM_LISTEN_ADDR=[::1] answers on ::1" answers '[::1]'
  check "…and not on 127.0.0.1" silent 127.0.0.1
  server_stop; rm -f "$SERVER_LOG"
fi

finish
