#!/usr/bin/env bash
# The refresh race (issue 20): two copies of one refresh token presented truly together. One
# rotates; the other is a second presentation of a spent token and must revoke the family, so
# afterwards no token of that family works: not the one presented, not the one the winner got.
# Each round starts a new family (stored directly, as a sign-in would: no password hashing, so
# many rounds stay cheap) and fires both copies with tests/harness/twin_post.py, which holds
# each request one byte short until both are in. Each copy comes from its own address
# (X-Forwarded-For from a trusted loopback), so the two do not queue on one throttle key and
# reach the database together. Before the fix about one round in thirteen left a live family.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

ROUNDS=${AAM_RACE_ROUNDS:-100}
need_migrated
trap 'server_stop >/dev/null 2>&1' EXIT

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
post_json() { req POST "$1" -H 'Content-Type: application/json' --data-binary "$2"; }
refresh_status() {  # TOKEN -> the status and error of one refresh, "400/invalid_grant" when dead
  req POST /api/v1/auth/token -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "grant_type=refresh_token&refresh_token=$1"
  printf '%s/%s' "$STATUS" "$(jq -r .error <<<"$BODY" 2>/dev/null)"
}

server_start AAM_TRUSTED_PROXIES=127.0.0.1/32 AAM_HASH_WORKERS=4 \
  AAM_LOGIN_MAX_FAILURES_PER_ADDRESS=100000 || give_up "server start"
PORT=${BASE_URL##*:}

post_json /api/v1/auth/register '{"email":"racer@example.com","password":"racer-password-1","namespace":"racers"}'
expect_status 201 "register"

new_family() {  # -> RT: a fresh token of a new family of the racer, FAMILY: its id
  RT=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  FAMILY=$(sql "INSERT INTO refresh_tokens (token_hash, family_id, user_id, namespace, expires_at)
    SELECT '$(sha256 "$RT")', gen_random_uuid(), id, namespace, now() + interval '1 hour'
    FROM users WHERE email = 'racer@example.com' RETURNING family_id")
}

post_json /api/v1/auth/login '{"email":"racer@example.com","password":"racer-password-1"}'
rt=$(jq -r .refresh_token <<<"$BODY")
check "a sign-in's token has the shape new_family makes" grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$rt"
new_family
req POST /api/v1/auth/token -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-binary "grant_type=refresh_token&refresh_token=$RT"
expect_status 200 "a family made that way refreshes like a sign-in's"

survived=0 other=0 odd="" lived=""
for round in $(seq 1 "$ROUNDS"); do
  new_family
  rt=$RT family=$FAMILY
  mapfile -t copies < <(python3 "$REPO_ROOT/tests/harness/twin_post.py" "$PORT" /api/v1/auth/token \
    application/x-www-form-urlencoded "grant_type=refresh_token&refresh_token=$rt" \
    198.51.100.$((round % 250 + 1)) 203.0.113.$((round % 250 + 1)))
  statuses=$(printf '%s\n' "${copies[@]}" | cut -d' ' -f1 | sort | tr '\n' ' ')
  [ "$statuses" = "200 400 " ] || { other=$((other + 1)); odd+=" r$round:[$statuses]"; }
  live=$(sql "SELECT count(*) FROM refresh_tokens WHERE family_id = '$family'")
  tokens=()  # the winner's new token first: presenting the spent one would itself revoke
  for c in "${copies[@]}"; do
    t=${c#* }; [ "$t" != - ] && tokens+=("$t")
  done
  tokens+=("$rt")
  alive=""
  for t in "${tokens[@]}"; do
    [ "$(refresh_status "$t")" = 400/invalid_grant ] || alive+=" $STATUS"
  done
  if [ "$live" != 0 ] || [ -n "$alive" ]; then
    survived=$((survived + 1)); lived+=" r$round:family-rows=$live,live-tokens=[${alive# }]"
  fi
done

check "in each of $ROUNDS rounds one copy rotated (200) and the other was refused (400) ($other not:$odd)" \
  test "$other" = 0
check "after every round no row of the family is left and no token of it refreshes ($survived not:$lived)" \
  test "$survived" = 0
check "the server logged the second presentations as reuse" \
  grep -q "spent refresh token was presented again" "$SERVER_LOG"
finish
