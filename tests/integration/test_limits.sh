#!/usr/bin/env bash
# The request limits of the contract's "Limits and hostile input", against a real server:
# targets over 8 KiB or with more than 100 query parameters get 414 (1,000 parameters used to
# hang until the 30 s timeout), bytes that are not UTF-8 in a path or query value get 400
# before the database, bodies over 16 KiB (auth) or 1 MiB (elsewhere) get 413, bodies of all
# connections together stay under AAM_BODY_BUDGET_MB (memory stays bounded, the rest get 503),
# a request trickling in for more than 30 s is ended, CORS preflights answer the same for every
# path, a second server on a busy port exits 1, and a login is served ahead of queued
# registrations on the hashing lane.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

TMP=$(mktemp -d /tmp/aam-limits.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
JSON=(-H 'Content-Type: application/json')
SLOW="$REPO_ROOT/tests/harness/slow_client.py"
need_migrated

server_start AAM_BODY_BUDGET_MB=8 AAM_REGISTER_MAX_PER_ADDRESS=1000 || give_up "server start"
PORT=${BASE_URL##*:}
req POST /api/v1/auth/register "${JSON[@]}" \
  --data-binary '{"email":"lim@example.org","password":"limit-password","namespace":"lim"}'
expect_status 201 "register the test tenant"
TOK=$(printf '%s' "$BODY" | jq -r .access_token)
AUTH=(-H "Authorization: Bearer $TOK")

# ------------------------------------------------------------------ the two slow clients, in the background
python3 "$SLOW" trickle "$PORT" headers 45 >"$TMP/trickle-headers" &
TH=$!
python3 "$SLOW" trickle "$PORT" body 45 >"$TMP/trickle-body" &
TB=$!

# ------------------------------------------------------------------ targets
params() { python3 -c "import sys; print('&'.join('k%d=v' % i for i in range(int(sys.argv[1]))))" "$1"; }
req GET "/api/v1/aam/connectors?$(params 1000)" "${AUTH[@]}"
expect_status 414 "1,000 query parameters (7 KB) are answered, with 414"
expect_jq .status 414 "…as problem+json"
req GET "/api/v1/aam/connectors?$(params 101)" "${AUTH[@]}"
expect_status 414 "101 query parameters: 414"
req GET "/api/v1/aam/connectors?$(params 100)&limit=5" "${AUTH[@]}"
expect_status 414 "…and 100 plus one more: 414"
req GET "/api/v1/aam/connectors?$(params 99)" "${AUTH[@]}"
expect_status 200 "99 query parameters are served"
long=$(head -c 8300 /dev/zero | tr '\0' 'a')
req GET "/api/v1/aam/connectors?x=$long" "${AUTH[@]}"
expect_status 414 "a target over 8 KiB: 414"
req GET "/api/v1/aam/connectors?$(python3 -c "print('&'.join(['a'] * 4000))")" "${AUTH[@]}"
expect_status 414 "4,000 one-byte parameters in 8 KB are answered too (MHD's pool is not involved)"
req GET "/api/v1/aam/connectors/%ff%fe" "${AUTH[@]}"
expect_status 400 "a path that decodes to bytes that are not UTF-8: 400"
req GET "/api/v1/aam/connectors?type=%ff" "${AUTH[@]}"
expect_status 400 "a query value that is not UTF-8: 400, before the database"
check "…with no database text" sh -c "! printf '%s' '$BODY' | grep -qiE 'database|UTF8|sqlstate|byte sequence'"

# ------------------------------------------------------------------ bodies
head -c 17000 /dev/zero | tr '\0' ' ' >"$TMP/17k"
req POST /api/v1/auth/login "${JSON[@]}" --data-binary "@$TMP/17k"
expect_status 413 "a 17 KB login body: 413 (16 KiB on the auth routes)"
req POST /api/v1/auth/login "${JSON[@]}" -H 'Transfer-Encoding: chunked' --data-binary "@$TMP/17k"
expect_status 413 "…also when it comes chunked, without a Content-Length"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TMP/1m"
req POST /api/v1/aam/connectors "${AUTH[@]}" "${JSON[@]}" --data-binary "@$TMP/1m"
expect_status 413 "a body over 1 MiB elsewhere: 413"

# 100 slow bodies of 512 KiB against a budget of 8 MiB: memory stays near the budget (without
# it they would hold 50 MiB), and the bodies beyond it are answered 503 once complete.
out=$(python3 "$SLOW" bodies "$PORT" "$SERVER_PID" 100 512 "$TOK" /api/v1/aam/connectors)
growth=$(printf '%s\n' "$out" | sed -n 's/^rss-growth-kib //p')
tally=$(printf '%s\n' "$out" | sed -n 's/^statuses //p')
echo "# 100 slow 512 KiB bodies, budget 8 MiB: server RSS grew by ${growth} KiB; statuses: $tally"
check "…RSS grew by less than 24 MiB (got ${growth} KiB)" test "${growth:-999999}" -lt 24576
check "…bodies past the budget got 503 and the others were answered (got: $tally)" \
  sh -c "printf '%s' '$tally' | grep -q '503x' && ! printf '%s' '$tally' | grep -qE 'closed|\\?'"

# ------------------------------------------------------------------ preflight
req OPTIONS /api/v1/aam/connectors -H 'Origin: http://x.example' -H 'Access-Control-Request-Method: GET'
s1=$STATUS a1=$(hdr Allow)
req OPTIONS /api/v1/no/such/route -H 'Origin: http://x.example' -H 'Access-Control-Request-Method: GET'
check "a preflight for a route that exists and one that does not get the same answer ($s1 '$a1' / $STATUS '$(hdr Allow)')" \
  test "$s1 $a1" = "$STATUS $(hdr Allow)"

# ------------------------------------------------------------------ busy port
out=$(PORT=$PORT "$AAM_BIN" serve 2>&1)
rc=$?
check "a second aam serve on the busy port exits 1 (got $rc)" test "$rc" = 1
check "…saying the address is in use" sh -c "printf '%s' '$out' | grep -qi 'in use'"
req GET /health
expect_status 200 "…and the first server still answers"

# ------------------------------------------------------------------ the trickles (started above)
wait "$TH" "$TB"
read -r h_out h_at <"$TMP/trickle-headers"
read -r b_out b_at <"$TMP/trickle-body"
echo "# header trickle: $h_out after $h_at s; body trickle: $b_out after $b_at s (deadline 30 s, clients trickle for 45 s)"
check "headers trickled past the 30 s deadline are ended before the client stops ($h_out at $h_at s)" \
  sh -c "test '$h_out' != sent-all && awk 'BEGIN { exit !($h_at >= 29) }'"
check "a body trickled past the 30 s deadline is ended before the client stops ($b_out at $b_at s)" \
  sh -c "test '$b_out' != sent-all && awk 'BEGIN { exit !($b_at >= 29) }'"
server_stop; rm -f "$SERVER_LOG"

# ------------------------------------------------------------------ a login ahead of registrations
# One hashing worker: 20 registrations queue behind each other; a login sent once the first has
# finished must be served next, not after the other nineteen.
server_start AAM_HASH_WORKERS=1 AAM_REGISTER_MAX_PER_ADDRESS=1000 || give_up "server start (hash lane)"
req POST /api/v1/auth/register "${JSON[@]}" \
  --data-binary '{"email":"urgent@example.org","password":"urgent-password","namespace":"urgent"}'
expect_status 201 "register the user who will log in"
mkdir -p "$TMP/reg"
pids=()
for i in $(seq 1 20); do
  curl -s -o /dev/null -w '%{http_code}' --max-time 120 "${JSON[@]}" \
    --data-binary "{\"email\":\"bulk$i@example.org\",\"password\":\"bulk-password\",\"namespace\":\"bulk$i\"}" \
    "$BASE_URL/api/v1/auth/register" >"$TMP/reg/$i.tmp" && mv "$TMP/reg/$i.tmp" "$TMP/reg/$i" &
  pids+=($!)
done
finished() {  # registrations answered so far (each writes $i.tmp, then renames it to $i)
  local f n=0
  for f in "$TMP"/reg/*; do [[ -e $f && $f != *.tmp ]] && n=$((n + 1)); done
  echo "$n"
}
n=600
while ((n-- > 0)) && [ "$(finished)" = 0 ]; do sleep 0.1; done
req POST /api/v1/auth/login "${JSON[@]}" --data-binary '{"email":"urgent@example.org","password":"urgent-password"}'
done_when_login=$(finished)
expect_status 200 "the login is answered while registrations are queued"
check "…after at most 4 of the 20 registrations (got $done_when_login): it did not queue behind them" \
  test "$done_when_login" -le 4
wait "${pids[@]}"
tally=$(for f in "$TMP"/reg/*; do cat "$f"; echo; done | sort | uniq -c | awk '{printf "%sx%s ", $2, $1}')
echo "# registrations: $tally"
check "every registration was answered 201 or 503 (a full queue), none hung (got: $tally)" \
  sh -c "printf '%s' '$tally' | grep -qxE '((201|503)x[0-9]+ )+'"

finish
