#!/usr/bin/env bash
# shellcheck disable=SC2119,SC2153,SC2016  # server_start takes optional VAR=value arguments; BODY comes from assert.sh; $k in single quotes is jq's
# The admin listener (AAM_ADMIN_ADDR): /metrics in the Prometheus text format, parsed strictly
# (tests/harness/promcheck.py, itself checked against broken texts first); counters and the
# duration histogram move with requests, labelled by route template; no namespace, email,
# token or raw path in any label; /metrics is not on the public port; /health and /ready are;
# bad AAM_ADMIN_ADDR values exit 2 naming it, a busy admin port exits 1, off disables it.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

PROM="$REPO_ROOT/tests/harness/promcheck.py"
need_migrated

# --- the strict parser refuses what it must (so a pass below means something)
rejects() {  # DESC TEXT: promcheck must exit 1 on TEXT
  printf '%b' "$2" | python3 "$PROM" >/dev/null 2>&1
  check "promcheck refuses $1" test $? = 1
}
good='# HELP a_total x\n# TYPE a_total counter\na_total{r="q\\"x"} 1\n'
printf '%b' "$good" | python3 "$PROM" >/dev/null 2>&1
check "promcheck accepts a well-formed counter with an escaped quote" test $? = 0
rejects "a bad escape" '# HELP a_total x\n# TYPE a_total counter\na_total{r="\\q"} 1\n'
rejects "a sample without TYPE" 'b 1\n'
rejects "a duplicate series" '# HELP b x\n# TYPE b gauge\nb 1\nb 2\n'
rejects "a counter not ending in _total" '# HELP c x\n# TYPE c counter\nc 1\n'
h='# HELP h x\n# TYPE h histogram\n'
rejects "+Inf bucket != _count" "${h}h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"
rejects "buckets that shrink" "${h}h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"
rejects "a histogram without +Inf" "${h}h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"
rejects "a value that is not a number" '# HELP b x\n# TYPE b gauge\nb one\n'

# --- configuration: exit 2 naming AAM_ADMIN_ADDR, never a start on a bad value
for bad in nonsense 127.0.0.1 127.0.0.1:0 127.0.0.1:70000 localhost:9090 example.com:9090 \
  ::1:9090 '[::1]' '[nothost]:9090' ':9090' '127.0.0.1:90x'; do
  out=$(AAM_ADMIN_ADDR="$bad" PORT=1 timeout 10 "$AAM_BIN" serve 2>&1); rc=$?
  check "AAM_ADMIN_ADDR='$bad' exits 2 naming it (got $rc)" \
    test "$rc" = 2 -a "$(grep -c AAM_ADMIN_ADDR <<<"$out")" = 1 -a "$(wc -l <<<"$out")" = 1
done

# --- a server with the admin listener
server_start || give_up "server start"
check "the admin listener is on its own port" test -n "$ADMIN_URL"
check "the startup log names the admin address" grep -q "admin listener (/metrics) on ${ADMIN_URL#http://}" "$SERVER_LOG"

scrape() {  # -> METRICS (raw text), SERIES (JSON from the strict parser); 0 when it parsed
  METRICS=$(curl -s --max-time 10 "$ADMIN_URL/metrics")
  SERIES=$(printf '%s\n' "$METRICS" | python3 "$PROM")
}
val() {  # SERIES-KEY -> value (0 when absent)
  jq -r --arg k "$1" '.[$k] // 0' <<<"$SERIES"
}

scrape; rc=$?
check "/metrics parses strictly (promcheck: $(head -3 <<<"$SERIES" | tr '\n' ' '))" test "$rc" = 0
ct=$(curl -s -o /dev/null -w '%{content_type}' "$ADMIN_URL/metrics")
check "/metrics is text/plain; version=0.0.4 (got '$ct')" grep -q '^text/plain; version=0.0.4' <<<"$ct"
check "aam_build_info says the version" test "$(val 'aam_build_info{version="0.1.0"}')" = 1
for k in aam_db_pool_open_connections aam_db_pool_in_use_connections aam_db_pool_waiting \
  aam_http_requests_in_progress aam_http_connections_open aam_draining; do
  check "$k is exported" jq -e --arg k "$k{}" 'has($k)' <<<"$SERIES"
done
for l in db hash; do
  check "aam_lane_queue_depth{lane=\"$l\"} is exported" jq -e --arg k "aam_lane_queue_depth{lane=\"$l\"}" 'has($k)' <<<"$SERIES"
done
for c in unavailable unique invalid query; do
  check "aam_db_errors_total{class=\"$c\"} is exported" jq -e --arg k "aam_db_errors_total{class=\"$c\"}" 'has($k)' <<<"$SERIES"
done

# --- counters move, labelled by template
H200='aam_http_requests_total{method="GET",route="/health",status="200"}'
HCOUNT='aam_http_request_duration_seconds_count{route="/health"}'
before=$(val "$H200"); before_n=$(val "$HCOUNT")
for _ in 1 2 3; do req GET /health; done
scrape
check "3 GET /health move the counter by 3 ($before -> $(val "$H200"))" test "$(val "$H200")" = $((before + 3))
check "…and the /health histogram count by 3" test "$(val "$HCOUNT")" = $((before_n + 3))

NS=metricsns$RANDOM
EMAIL="leak-check-$RANDOM@example.com"
req POST /api/v1/auth/register -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$EMAIL\",\"password\":\"metrics-password-1\",\"namespace\":\"$NS\"}"
expect_status 201 "register a tenant"
req POST /api/v1/auth/register -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$EMAIL\",\"password\":\"metrics-password-1\",\"namespace\":\"${NS}b\"}"
expect_status 409 "register the same email again"
req POST /api/v1/auth/login -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$EMAIL\",\"password\":\"metrics-password-1\"}"
TOKEN=$(jq -r .access_token <<<"$BODY")
req GET "/api/v1/aam/connectors/secret-connector-$RANDOM" -H "Authorization: Bearer $TOKEN"
expect_status 404 "GET an unknown connector"
req GET /api/v1/aam/connectors/whatever -H "Authorization: Bearer not-a-token"
expect_status 401 "GET a connector with a bad token"
req GET "/no/such/path-$RANDOM"
expect_status 404 "an unknown path"
req GET /metrics
expect_status 404 "/metrics is not served on the public port"
scrape; rc=$?
check "/metrics still parses strictly after traffic" test "$rc" = 0
ID='/api/v1/aam/connectors/{id}'
check "the 404 on a connector counts under its template" \
  test "$(val "aam_http_requests_total{method=\"GET\",route=\"$ID\",status=\"404\"}")" -ge 1
check "…and so does the 401 (auth runs before routing)" \
  test "$(val "aam_http_requests_total{method=\"GET\",route=\"$ID\",status=\"401\"}")" -ge 1
check "unknown paths count as route=\"unmatched\"" \
  test "$(val 'aam_http_requests_total{method="GET",route="unmatched",status="404"}')" -ge 2
check "register 201 and 409 are counted" \
  test "$(val 'aam_http_requests_total{method="POST",route="/api/v1/auth/register",status="201"}')" -ge 1 -a \
  "$(val 'aam_http_requests_total{method="POST",route="/api/v1/auth/register",status="409"}')" -ge 1
check "the duplicate email counts as a database error of class unique" \
  test "$(val 'aam_db_errors_total{class="unique"}')" -ge 1
check "the histogram for the id template saw requests" \
  test "$(val "aam_http_request_duration_seconds_count{route=\"$ID\"}")" -ge 2
check "no namespace in /metrics" sh -c "! grep -q '$NS' <<'X'
$METRICS
X"
check "no email in /metrics" sh -c "! grep -qF '$EMAIL' <<'X'
$METRICS
X"
check "no token in /metrics" sh -c "! grep -qF '${TOKEN:0:40}' <<'X'
$METRICS
X"
check "no raw path in /metrics" sh -c "! grep -qE 'secret-connector|path-[0-9]|whatever' <<'X'
$METRICS
X"
routes=$(jq -r 'keys[] | select(startswith("aam_http_requests_total")) | capture("route=\"(?<r>[^\"]*)\"").r' <<<"$SERIES" | sort -u)
check "every route label is a template or 'unmatched' ($(tr '\n' ' ' <<<"$routes"))" \
  sh -c "! grep -vE '^(unmatched|/[a-z0-9/{}._-]*)$' <<'X'
$routes
X"

# --- /health and /ready on the admin port; nothing else
st=$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN_URL/health")
check "admin /health is 200" test "$st" = 200
st=$(curl -s -o "$BODY_FILE" -w '%{http_code}' "$ADMIN_URL/ready")
check "admin /ready is 200 with db.ok" test "$st" = 200 -a "$(jq -r .db.ok "$BODY_FILE")" = true
st=$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN_URL/api/v1/aam/connectors")
check "the admin port does not serve the API (404)" test "$st" = 404
st=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$ADMIN_URL/metrics")
check "POST /metrics is 405" test "$st" = 405

# --- a second server on the same admin address fails to start, naming the setting
other_port=""
port_lock other_port || give_up "reserve a port"
out=$(AAM_ADMIN_ADDR="${ADMIN_URL#http://}" PORT="$other_port" timeout 10 "$AAM_BIN" serve 2>&1); rc=$?
check "a busy admin address exits 1 (got $rc)" test "$rc" = 1
check "…naming AAM_ADMIN_ADDR" grep -q AAM_ADMIN_ADDR <<<"$out"

# --- while draining, admin /ready says 503 so an orchestrator stops sending traffic
pid=$SERVER_PID
out=$(python3 "$REPO_ROOT/tests/harness/httpload.py" half-body 127.0.0.1 "${BASE_URL##*:}" \
  /api/v1/auth/login "{\"email\":\"$EMAIL\",\"password\":\"metrics-password-1\"}" "$SERVER_LOG" "$pid" \
  --probe "$ADMIN_URL/ready")
rc=0; wait "$pid" || rc=$?; SERVER_PID=""
check "admin /ready is 503 while the server drains (got $(jq -r .probe_status <<<"$out"))" \
  test "$(jq -r .probe_status <<<"$out")" = 503
check "…and the login under way was still answered" grep -q '^HTTP/1.1 200' <<<"$(jq -r .status_line <<<"$out")"
check "…and the server exited 0" test "$rc" = 0

# --- off: no admin listener
server_start AAM_ADMIN_ADDR=off || give_up "server start with the admin listener off"
check "AAM_ADMIN_ADDR=off: the log says the admin listener is off" grep -q 'admin listener (/metrics) off' "$SERVER_LOG"
server_stop

finish
