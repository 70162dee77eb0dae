#!/usr/bin/env bash
# Two replicas behind a real load balancer (contract, Operations): two `aam serve` on the
# harness's PgBouncer, Debian's nginx in front (started here with its own config, prefix, pid
# file and error log; the system service is never used), keep-alive GET load through nginx
# while each replica in turn gets SIGTERM and is started again: zero failed requests through
# the load balancer. Also: a login throttled on replica 1 is throttled on replica 2.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
  give_up "nginx is not installed (make deps installs it: scripts/deps.sh)"
fi
LOAD="$REPO_ROOT/tests/harness/httpload.py"
T=$(mktemp -d /tmp/aam-replicas.XXXXXX)
chmod 755 "$T"
need_migrated

REPLICA_ENV=(AAM_LOGIN_MAX_FAILURES=3 AAM_LOGIN_WINDOW_S=300)
declare -A RPID RPORT RLOG
replica_start() {  # NAME: aam serve on RPORT[NAME] (kept across restarts); 0 once /health answers
  local name=$1
  RLOG[$name]=$T/$name.log
  local admin=""
  port_lock admin || return 1
  env PORT="${RPORT[$name]}" AAM_ADMIN_ADDR="127.0.0.1:$admin" "${REPLICA_ENV[@]}" \
    "$AAM_BIN" serve >>"${RLOG[$name]}" 2>&1 &
  RPID[$name]=$!
  local n=100
  while ((n-- > 0)); do
    curl -fs -o /dev/null "http://127.0.0.1:${RPORT[$name]}/health" && return 0
    kill -0 "${RPID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "# replica $name did not come up:"; tail -5 "${RLOG[$name]}" | sed 's/^/#   /'
  return 1
}
replica_stop() {  # NAME: SIGTERM; returns its exit status
  local rc=0
  kill -TERM "${RPID[$1]}" 2>/dev/null
  wait "${RPID[$1]}" || rc=$?
  RPID[$1]=""
  return "$rc"
}
served() {  # NAME: requests the replica logged (its access log lines)
  grep -c '"status":' "${RLOG[$1]}" 2>/dev/null || echo 0
}

NGINX_PID=""
cleanup() {
  for n in one two; do [ -n "${RPID[$n]:-}" ] && kill -TERM "${RPID[$n]}" 2>/dev/null && wait "${RPID[$n]}"; done
  [ -n "$NGINX_PID" ] && kill -TERM "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID"
  rm -rf "$T"
}
trap cleanup EXIT

p_one="" p_two="" LB_PORT=""
{ port_lock p_one && port_lock p_two && port_lock LB_PORT; } || give_up "reserve three ports"
RPORT[one]=$p_one
RPORT[two]=$p_two
replica_start one || give_up "replica one start"
replica_start two || give_up "replica two start"

# The nginx configuration a user would write (README shows the same upstream/location block):
# keep-alive to the replicas, retry an idempotent request on the other replica when one refuses
# the connection or answers 502/503, and take a failed replica out for 1 s only.
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"  # as root, workers would otherwise run as nobody
cat >"$T/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/nginx-error.log info;
events { worker_connections 512; }
http {
  access_log $T/nginx-access.log;
  client_body_temp_path $T/client_body;
  proxy_temp_path $T/proxy;
  fastcgi_temp_path $T/fastcgi;
  uwsgi_temp_path $T/uwsgi;
  scgi_temp_path $T/scgi;
  upstream aam {
    server 127.0.0.1:${RPORT[one]} max_fails=1 fail_timeout=1s;
    server 127.0.0.1:${RPORT[two]} max_fails=1 fail_timeout=1s;
    keepalive 16;
  }
  server {
    listen 127.0.0.1:$LB_PORT;
    location / {
      proxy_pass http://aam;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
    }
  }
}
EOF
"$NGINX" -p "$T" -c "$T/nginx.conf" -e "$T/nginx-error.log" &
NGINX_PID=$!
LB="http://127.0.0.1:$LB_PORT"
n=100
until curl -fs -o /dev/null "$LB/health" || ((n-- == 0)); do sleep 0.1; done
check "nginx answers through the load balancer" curl -fs -o /dev/null "$LB/health"

# A user and a token, through nginx
BASE_URL=$LB
req POST /api/v1/auth/register -H 'Content-Type: application/json' \
  --data-binary '{"email":"replicas@example.com","password":"replicas-password-1","namespace":"replicas"}'
expect_status 201 "register through nginx"
req POST /api/v1/auth/login -H 'Content-Type: application/json' \
  --data-binary '{"email":"replicas@example.com","password":"replicas-password-1"}'
TOKEN=$(jq -r .access_token <<<"$BODY")
check "login through nginx gives a token" test -n "$TOKEN" -a "$TOKEN" != null

# --- rolling restart under keep-alive load: zero failed requests
STOP=$T/stop
python3 "$LOAD" loop "$LB/api/v1/aam/connectors" --clients 4 --stop-file "$STOP" --max-seconds 90 \
  --expect 200 --header "Authorization: Bearer $TOKEN" >"$T/load-list.json" 2>"$T/load.err" &
L1=$!
python3 "$LOAD" loop "$LB/ready" --clients 2 --stop-file "$STOP" --max-seconds 90 \
  --expect 200 >"$T/load-ready.json" 2>>"$T/load.err" &
L2=$!

wait_served() {  # NAME N: until the replica logged N more requests than now (traffic reaches it)
  local name=$1 want=$(($(served "$1") + $2)) n=300
  while ((n-- > 0)); do
    (($(served "$name") >= want)) && return 0
    sleep 0.05
  done
  return 1
}

check "load flows to replica one before the restarts" wait_served one 50
check "…and to replica two" wait_served two 50
for name in one two; do
  rc=0; replica_stop "$name" || rc=$?
  check "replica $name: SIGTERM under load exits 0 (got $rc)" test "$rc" = 0
  check "replica $name: no abort in its log" sh -c "! grep -qiE 'fatal error|suspended connections' '${RLOG[$name]}'"
  other=one; [ "$name" = one ] && other=two
  check "while $name is down, $other serves the load" wait_served "$other" 50
  replica_start "$name" || echo "not ok - replica $name restart"
  check "replica $name: back in the load balancer after its restart" wait_served "$name" 50
done
touch "$STOP"
wait "$L1" "$L2"
for f in list ready; do
  sum=$(cat "$T/load-$f.json")
  check "load on $f through nginx ran ($(jq -c '{sent,answered,by_status}' <<<"$sum"))" \
    test "$(jq .answered <<<"$sum")" -ge 200
  check "load on $f: zero failed requests (lost $(jq .lost <<<"$sum"): $(jq -c .lost_detail <<<"$sum"))" \
    test "$(jq .lost <<<"$sum")" = 0 -a "$(jq .sent <<<"$sum")" = "$(jq .answered <<<"$sum")"
  check "load on $f: every answer 200 ($(jq -c .unexpected_detail <<<"$sum"))" test "$(jq .unexpected <<<"$sum")" = 0
  check "load on $f: no connection to nginx refused" test "$(jq .refused <<<"$sum")" = 0
done
[ -s "$T/load.err" ] && sed 's/^/#   load: /' "$T/load.err"
retried=$(grep -c 'while connecting to upstream\|upstream prematurely closed' "$T/nginx-error.log" || true)
echo "# nginx retried $retried requests on the other replica during the restarts, e.g.:"
grep -m3 'while connecting to upstream\|upstream prematurely closed' "$T/nginx-error.log" | cut -c1-200 | sed 's/^/#   /'

# nginx hides a request a replica dropped by retrying it elsewhere; its log still shows it.
check "no replica dropped a request nginx had sent it (no 'prematurely closed' or reset)" \
  sh -c "! grep -qE 'upstream prematurely closed|reset by peer|upstream timed out' '$T/nginx-error.log'"
check "nginx never ran out of replicas (no 'no live upstreams')" sh -c "! grep -q 'no live upstreams' '$T/nginx-error.log'"

# --- a login throttled on one replica is throttled on the other (counters in the database)
for i in 1 2 3; do
  st=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${RPORT[one]}/api/v1/auth/login" \
    -H 'Content-Type: application/json' --data-binary '{"email":"replicas@example.com","password":"wrong-password"}')
  check "wrong password #$i on replica one is 401" test "$st" = 401
done
st=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${RPORT[two]}/api/v1/auth/login" \
  -H 'Content-Type: application/json' --data-binary '{"email":"replicas@example.com","password":"replicas-password-1"}')
check "replica two then refuses that email with 429, right password or not (got $st)" test "$st" = 429

for n in one two; do
  rc=0; replica_stop "$n" || rc=$?
  check "replica $n exits 0 at the end" test "$rc" = 0
done
if [ "$T_FAIL" -gt 0 ]; then
  for f in one.log two.log nginx-error.log; do echo "# $f:"; tail -15 "$T/$f" | sed 's/^/#   /'; done
fi
finish
