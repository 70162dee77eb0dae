#!/usr/bin/env bash
# More than one database machine (CONTRACT.md): a pg_auto_failover formation (monitor, primary,
# synchronous standby; tests/harness/formation.sh) and two servers under a bounded load of
# writes, reads and /ready probes: one given the direct multi-host URL, one given one PgBouncer
# per node (transaction mode). A switchover, then a crash of the new primary (SIGKILL of its
# pg_autoctl and postgres). Each time: no 500, writes resume (2 s after the new primary takes
# writes for the switchover, 15 s after the crash), /ready is not 200 while no node takes writes,
# and every write answered 2xx is on the last primary afterwards. Prints the measured figures.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"
. "$REPO_ROOT/tests/harness/formation.sh"

LOAD=$REPO_ROOT/tests/harness/failover_load.py
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# The packages come with `make deps`; a machine without them gets one attempt to install them.
if [ -n "$(formation_missing)" ]; then
  "$REPO_ROOT/scripts/deps.sh" >/dev/null 2>&1
  miss=$(formation_missing)
  if [ -n "$miss" ]; then
    echo "ok - failover on a pg_auto_failover formation # SKIP cannot install: $miss"
    exit 0
  fi
fi

WORK=$(mktemp -d /tmp/aam-failover.XXXXXX)
SERVER_A_PID=""
cleanup() {
  [ -n "${LOAD_PID:-}" ] && { touch "$WORK/stop"; wait "$LOAD_PID" 2>/dev/null; }
  [ -n "$SERVER_A_PID" ] && { kill -TERM "$SERVER_A_PID" 2>/dev/null; wait "$SERVER_A_PID" 2>/dev/null; }
  if [ "${AAM_TEST_KEEP:-0}" = 1 ]; then  # the load log and both servers' logs, for a look
    cp "${SERVER_A_LOG:-/dev/null}" "$WORK/server-direct.log" 2>/dev/null
    [ -f "${SERVER_LOG:-}" ] && cp "$SERVER_LOG" "$WORK/server-bouncer.log"
    echo "# kept $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  [ -n "${SERVER_A_LOG:-}" ] && rm -f "$SERVER_A_LOG"
  formation_stop
}
trap cleanup EXIT

T_START=$(now)
# Not through `need`: formation_start sets the ports and folders this shell uses.
if ! formation_start 2>"$WORK/formation.err"; then
  sed 's/^/#   /' "$WORK/formation.err" | tail -20
  give_up "the formation (monitor + 2 nodes, synchronous standby, a PgBouncer per node) starts"
fi
check "node1 is primary, node2 a synchronous standby" \
  test -n "$(formation_psql 1 -d postgres -Atc "SELECT 1 FROM pg_stat_replication WHERE sync_state IN ('sync','quorum')")"
echo "# formation up in $(secs "$T_START" "$(now)") s"

URL_DIRECT=$(formation_url direct aam)
URL_BOUNCER=$(formation_url pgbouncer aam)
need "aam migrate over the multi-host URL" env -u AAM_MIGRATE_DATABASE_URL DATABASE_URL="$URL_DIRECT" "$AAM_BIN" migrate
for ns in fo-direct fo-bouncer; do
  need "tenant $ns" env -u AAM_MIGRATE_DATABASE_URL DATABASE_URL="$URL_DIRECT" "$AAM_BIN" tenants create --namespace "$ns" --name "$ns"
done

# Tuned as README "Running on more than one database machine" advises.
SETTINGS=(AAM_DB_CONNECT_TIMEOUT_S=2 AAM_DB_STATEMENT_TIMEOUT_MS=3000 AAM_MAX_CONNECTORS_PER_TENANT=100000)
server_start DATABASE_URL="$URL_DIRECT" "${SETTINGS[@]}" || give_up "the server on the direct URL starts"
SERVER_A_PID=$SERVER_PID SERVER_A_LOG=$SERVER_LOG URL_A=$BASE_URL
server_start DATABASE_URL="$URL_BOUNCER" "${SETTINGS[@]}" || give_up "the server behind the PgBouncers starts"
URL_B=$BASE_URL
TOKEN_A=$("$AAM_BIN" token --namespace fo-direct --sub load)
TOKEN_B=$("$AAM_BIN" token --namespace fo-bouncer --sub load)

LOG=$WORK/load.jsonl
python3 "$LOAD" run "$LOG" "$WORK/stop" 50 5000 "direct=$URL_A=$TOKEN_A" "bouncer=$URL_B=$TOKEN_B" &
LOAD_PID=$!

# has_write_after NAME T: the target had a 2xx write sent at or after T.
has_write_after() {
  python3 "$LOAD" report "$LOG" "$1" "$2" "$2" 9999999999 | jq -e '.resume_s != null' >/dev/null
}
both_write_after() { has_write_after direct "$1" && has_write_after bouncer "$1"; }
need "both servers write under load" poll_until 10 both_write_after "$T_START"

# --- switchover: node1 -> node2
T1=$(now)
formation_autoctl perform switchover >"$WORK/switchover.log" 2>&1 &
SW_PID=$!
poll_until 30 formation_writable 2 || give_up "node2 takes writes after the switchover"
T1W=$(now)
wait "$SW_PID"
check "pg_autoctl perform switchover succeeds" test $? = 0
check "after the switchover node2 is primary, node1 a standby again" formation_wait_states secondary primary 30
poll_until 10 both_write_after "$T1W"
T1E=$(now)

# --- crash: SIGKILL node2 (the primary now), its pg_autoctl and its postgres
T2=$(now)
formation_kill 2
poll_until 30 formation_writable 1 || give_up "node1 is promoted after node2's crash"
T2W=$(now)
poll_until 20 both_write_after "$T2W"
T2E=$(now)
touch "$WORK/stop"
wait "$LOAD_PID"
LOAD_PID=""
echo "# times: switchover $T1 (node2 writable $T1W), crash $T2 (node1 writable $T2W)"
echo "# switchover: node2 took writes $(secs "$T1" "$T1W") s after it began; crash: node1 took writes $(secs "$T2" "$T2W") s after the kill"

for target in direct bouncer; do
  sw=$(python3 "$LOAD" report "$LOG" "$target" "$T1" "$T1W" "$T1E")
  cr=$(python3 "$LOAD" report "$LOG" "$target" "$T2" "$T2W" "$T2E")
  tot=$(python3 "$LOAD" totals "$LOG" "$target")
  sw_resume=$(jq -r .resume_s <<<"$sw") sw_gap=$(jq -r .gap_s <<<"$sw")
  cr_gap=$(jq -r .gap_s <<<"$cr")
  printf '# %s: switchover: write gap %.2f s, writes again %.2f s after node2 took writes; crash: write gap %.2f s; statuses %s\n' \
    "$target" "$sw_gap" "$sw_resume" "$cr_gap" "$(jq -c .by_status <<<"$tot")"
  check "$target: no 500 in the whole run ($(jq -r .n500 <<<"$tot") × 500, $(jq -r .n503 <<<"$tot") × 503)" \
    test "$(jq -r .n500 <<<"$tot")" = 0
  check "$target: every request was answered ($(jq -r .n0 <<<"$tot") unanswered)" test "$(jq -r .n0 <<<"$tot")" = 0
  check "$target: switchover: writes again within 2 s of node2 taking writes (${sw_resume} s)" \
    awk -v v="$sw_resume" 'BEGIN { exit !(v != "null" && v <= 2.0) }'
  check "$target: crash: writes again within 15 s of the kill (gap ${cr_gap} s)" \
    awk -v v="$cr_gap" 'BEGIN { exit !(v != "null" && v <= 15.0) }'
  check "$target: crash: /ready was not 200 while no node took writes ($(jq -r .ready_non200 <<<"$cr") non-200 answers)" \
    test "$(jq -r .ready_200_while_down <<<"$cr")" = 0 -a "$(jq -r .ready_non200 <<<"$cr")" -gt 0
  jq -r '.ok_writes[]' <<<"$tot" | sort >"$WORK/acked.$target"
  formation_psql 1 -d aam -Atc "SELECT id FROM connections WHERE namespace = 'fo-$target'" | sort >"$WORK/stored.$target"
  lost=$(comm -23 "$WORK/acked.$target" "$WORK/stored.$target" | wc -l)
  echo "# $target: $(wc -l <"$WORK/acked.$target") writes answered 2xx, $lost of them missing on the last primary"
  check "$target: every write answered 2xx is on the last primary ($lost lost)" test "$lost" = 0 -a -s "$WORK/acked.$target"
done
req GET /ready
expect_status 200 "/ready (behind the PgBouncers) answers 200 again once node1 is primary"
echo "# whole test: $(secs "$T_START" "$(now)") s"
[ "${AAM_TEST_KEEP:-0}" = 1 ] && cp "$SERVER_LOG" "$WORK/server-bouncer.log"
finish
