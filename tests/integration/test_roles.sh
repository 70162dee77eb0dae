#!/usr/bin/env bash
# Members, roles and scopes (issue 24) through PgBouncer: the registering user is admin and its
# token says so; invites (shown once, stored as SHA-256, single use, 7 days, replaced by a newer
# one, another tenant's members out of reach); a sample of the route x role matrix with nothing
# written on 403 (the full matrix is test_routes' unit test); a role change shows at the next
# refresh; removal ends the sessions at once and the password no longer signs in; the last admin
# stays; service clients with scopes (API and `aam clients`); `aam users add`; secrets absent from
# the server's log.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

need_migrated
TMP=$(mktemp -d /tmp/aam-roles.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
SECRETS="$TMP/secrets"  # every invite token and client secret handed out, one a line
: >"$SECRETS"

sql() { stack_psql_super -d "$TEST_DB" -Atc "$1"; }
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
remember() { [ -n "$1" ] && [ "$1" != null ] && printf '%s\n' "$1" >>"$SECRETS"; }
post_json() { local path=$1 body=$2; shift 2
  req POST "$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"; }
as() { local tok=$1 method=$2 path=$3; shift 3; req "$method" "$path" -H "Authorization: Bearer $tok" "$@"; }
as_json() { local tok=$1 method=$2 path=$3 body=$4
  req "$method" "$path" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' --data-binary "$body"; }
claim() {  # TOKEN CLAIM: a claim of a JWT's payload
  local p; p=$(cut -d. -f2 <<<"$1" | tr '_-' '/+'); while [ $(( ${#p} % 4 )) != 0 ]; do p+='='; done
  base64 -d <<<"$p" 2>/dev/null | jq -r ".$2"; }
lacks() { ! grep -qF -- "$1" <<<"$2"; }  # TEXT HAYSTACK
is_forbidden() { [ "$STATUS" = 403 ] && [ "$(jq -r .type <<<"$BODY")" = urn:aam:problem:forbidden ]; }
connectors_in() { sql "SELECT count(*) FROM connections WHERE namespace = '$1'"; }
invite() {  # TOKEN EMAIL ROLE -> INV (the invite token)
  as_json "$1" POST /api/v1/aam/members "{\"email\":\"$2\",\"role\":\"$3\"}"
  INV=$(jq -r .invite_token <<<"$BODY"); remember "$INV"; }
accept() { post_json /api/v1/auth/accept-invite "{\"invite_token\":\"$1\",\"password\":\"$2\"}"; }
CONN='{"id":"c1","name":"One","type":"rest_api","config":{"base_url":"https://x.example"}}'

server_start || give_up "server start"

# ------------------------------------------------------------------ the registering user is admin
post_json /api/v1/auth/register '{"email":"alice@example.com","password":"alice-password-1","namespace":"team-a"}'
expect_status 201 "register"
ALICE=$(jq -r .access_token <<<"$BODY")
expect_jq .user.role admin "register answers the user's role: admin"
check "the access token carries role admin" test "$(claim "$ALICE" role)" = admin
as "$ALICE" GET /api/v1/auth/me
expect_jq .role admin "me shows the role"
as "$ALICE" GET /api/v1/aam/members
expect_status 200 "the admin lists the members"
expect_jq '[.members[] | .email + ":" + .role] | join(",")' "alice@example.com:admin" "…alice alone, admin"
ALICE_ID=$(jq -r '.members[0].id' <<<"$BODY")

# ------------------------------------------------------------------ invites
invite "$ALICE" Bob@Example.com editor
expect_status 201 "the admin invites bob as editor"
check "…the invite token is 43 base64url characters" grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$INV"
expect_jq .email bob@example.com "…for the email in lower case"
check "…valid 7 days" test "$(sql "SELECT extract(epoch FROM expires_at - created_at)::int FROM invites WHERE email = 'bob@example.com'")" = 604800
check "…stored only as its SHA-256" test "$(sql "SELECT count(*) FROM invites WHERE token_hash = '$(sha256 "$INV")'")" = 1
check "…and nowhere in clear" test "$(sql "SELECT count(*) FROM invites WHERE token_hash = '$INV'")" = 0
BOB_INV=$INV
as "$ALICE" GET /api/v1/aam/members
expect_jq '[.invites[] | .email + ":" + .role] | join(",")' "bob@example.com:editor" "the list shows the pending invite (no token)"
check "…without its token" lacks "$BOB_INV" "$BODY"
invite "$ALICE" alice@example.com viewer
expect_status 409 "inviting a member again"
invite "$ALICE" nobody editorial
expect_status 422 "an invite with a bad email and role"
check "…names both fields" test "$(jq -r '[.errors[].field] | sort | join(",")' <<<"$BODY")" = email,role

accept "$BOB_INV" short
expect_status 422 "accepting with a password under 8 characters"
accept "$BOB_INV" bob-password-1
expect_status 201 "bob accepts the invite"
expect_jq .user.role editor "…and is signed in with the invite's role"
expect_jq .user.namespace team-a "…in the inviting tenant"
check "…the answer has a refresh token, as login's" grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$(jq -r .refresh_token <<<"$BODY")"
check "the invite is spent (its row is gone)" test "$(sql "SELECT count(*) FROM invites WHERE email = 'bob@example.com'")" = 0
accept "$BOB_INV" bob-password-1
expect_status 400 "the same invite again"
expect_jq .type urn:aam:problem:invite-invalid "…is urn:aam:problem:invite-invalid"
post_json /api/v1/auth/login '{"email":"bob@example.com","password":"bob-password-1"}'
expect_status 200 "bob logs in with his password"
BOB=$(jq -r .access_token <<<"$BODY"); BOB_RT=$(jq -r .refresh_token <<<"$BODY")
check "…and his token carries role editor" test "$(claim "$BOB" role)" = editor

invite "$ALICE" carol@example.com viewer
OLD_CAROL_INV=$INV
invite "$ALICE" carol@example.com viewer
check "a second invite of the same email replaces the first" test "$(sql "SELECT count(*) FROM invites WHERE email = 'carol@example.com'")" = 1
accept "$OLD_CAROL_INV" carol-password-1
expect_status 400 "…whose token no longer works"
accept "$INV" carol-password-1
expect_status 201 "carol accepts the newer invite"
CAROL=$(jq -r .access_token <<<"$BODY"); CAROL_RT=$(jq -r .refresh_token <<<"$BODY")
CAROL_ID=$(jq -r .user.id <<<"$BODY")

invite "$ALICE" dave@example.com editor
sql "UPDATE invites SET expires_at = now() - interval '1 second' WHERE email = 'dave@example.com'" >/dev/null
accept "$INV" dave-password-1
expect_status 400 "an expired invite"
expect_jq .type urn:aam:problem:invite-expired "…is urn:aam:problem:invite-expired"
check "…and created nobody" test "$(sql "SELECT count(*) FROM users WHERE email = 'dave@example.com'")" = 0
accept "not-a-token" dave-password-1
expect_status 400 "a token of the wrong shape"

# another tenant: its admin cannot see or touch team-a's members, and an invite lands in its
# own tenant only
post_json /api/v1/auth/register '{"email":"erin@example.com","password":"erin-password-1","namespace":"team-b"}'
ERIN=$(jq -r .access_token <<<"$BODY")
as "$ERIN" GET /api/v1/aam/members
expect_jq '[.members[].email] | join(",")' "erin@example.com" "another tenant's admin lists only its own members"
as_json "$ERIN" PATCH "/api/v1/aam/members/$CAROL_ID" '{"role":"admin"}'
expect_status 404 "…cannot change team-a's member"
as "$ERIN" DELETE "/api/v1/aam/members/$CAROL_ID"
expect_status 404 "…nor remove one"
check "…carol is still a viewer of team-a" test "$(sql "SELECT namespace || ':' || role FROM users WHERE id = '$CAROL_ID'")" = team-a:viewer
invite "$ERIN" frank@example.com admin
accept "$INV" frank-password-1
expect_jq .user.namespace team-b "an invite of team-b makes a member of team-b"
invite "$ALICE" frank@example.com viewer
accept "$INV" frank-password-2
expect_status 409 "an invite for an email that has an account elsewhere: 409 on accept"
check "…and that invite is kept (nothing written)" test "$(sql "SELECT count(*) FROM invites WHERE email = 'frank@example.com'")" = 1

# ------------------------------------------------------------------ a sample of the matrix, nothing written on 403
as "$CAROL" GET /api/v1/aam/connectors
expect_status 200 "a viewer lists connectors"
as "$CAROL" GET /api/v1/aam/members
expect_status 200 "a viewer lists members"
before=$(connectors_in team-a)
as_json "$CAROL" POST /api/v1/aam/connectors "$CONN"
check "a viewer's create: 403 urn:aam:problem:forbidden" is_forbidden
check "…and nothing is written" test "$(connectors_in team-a)" = "$before"
as_json "$CAROL" POST /api/v1/aam/members '{"email":"x@example.com","role":"admin"}'
check "a viewer's invite: 403" is_forbidden
check "…and no invite is stored" test "$(sql "SELECT count(*) FROM invites WHERE email = 'x@example.com'")" = 0
as_json "$BOB" POST /api/v1/aam/connectors "$CONN"
expect_status 201 "an editor creates a connector"
as_json "$CAROL" PATCH /api/v1/aam/connectors/c1 '{"name":"Renamed"}'
check "a viewer's change: 403" is_forbidden
check "…the name is unchanged" test "$(sql "SELECT name FROM connections WHERE namespace = 'team-a' AND id = 'c1'")" = One
as "$CAROL" DELETE /api/v1/aam/connectors/c1
check "a viewer's delete: 403" is_forbidden
check "…the connector is still there" test "$(connectors_in team-a)" = 1
as_json "$BOB" PATCH "/api/v1/aam/members/$CAROL_ID" '{"role":"admin"}'
check "an editor's role change: 403" is_forbidden
check "…carol is still a viewer" test "$(sql "SELECT role FROM users WHERE id = '$CAROL_ID'")" = viewer
as "$BOB" GET /api/v1/aam/clients
check "an editor lists clients: 403" is_forbidden
as "$BOB" DELETE /api/v1/aam/connectors/c1
expect_status 204 "an editor deletes a connector"

# ------------------------------------------------------------------ a role change shows at the next refresh
as_json "$ALICE" PATCH "/api/v1/aam/members/$CAROL_ID" '{"role":"editor"}'
expect_status 200 "the admin makes carol an editor"
expect_jq .role editor "…the answer shows the new role"
as_json "$CAROL" POST /api/v1/aam/connectors "$CONN"
check "carol's access token still says viewer until it is refreshed" is_forbidden
req POST /api/v1/auth/token -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-binary "grant_type=refresh_token&refresh_token=$CAROL_RT"
expect_status 200 "carol refreshes"
expect_jq .user.role editor "…the refresh answers her new role"
CAROL=$(jq -r .access_token <<<"$BODY"); CAROL_RT=$(jq -r .refresh_token <<<"$BODY")
as_json "$CAROL" POST /api/v1/aam/connectors "$CONN"
expect_status 201 "…and the new token may create"

# ------------------------------------------------------------------ removal ends the sessions at once
BOB_ID=$(sql "SELECT id FROM users WHERE email = 'bob@example.com'")
as "$ALICE" DELETE "/api/v1/aam/members/$BOB_ID"
expect_status 204 "the admin removes bob"
check "…his refresh tokens are gone from the table" test "$(sql "SELECT count(*) FROM refresh_tokens WHERE user_id = '$BOB_ID'")" = 0
req POST /api/v1/auth/token -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-binary "grant_type=refresh_token&refresh_token=$BOB_RT"
expect_status 400 "…his refresh token no longer works"
post_json /api/v1/auth/login '{"email":"bob@example.com","password":"bob-password-1"}'
expect_status 401 "…nor his password"
as "$ALICE" DELETE "/api/v1/aam/members/$BOB_ID"
expect_status 404 "removing him again"
as "$ALICE" DELETE /api/v1/aam/members/not-a-uuid
expect_status 404 "a user id that is not a uuid"

# ------------------------------------------------------------------ the last admin stays
as_json "$ALICE" PATCH "/api/v1/aam/members/$ALICE_ID" '{"role":"viewer"}'
expect_status 409 "the last admin cannot demote herself"
as "$ALICE" DELETE "/api/v1/aam/members/$ALICE_ID"
expect_status 409 "…nor remove herself"
check "…she is still admin" test "$(sql "SELECT role FROM users WHERE id = '$ALICE_ID'")" = admin
as_json "$ALICE" PATCH "/api/v1/aam/members/$CAROL_ID" '{"role":"admin"}'
as_json "$ALICE" PATCH "/api/v1/aam/members/$ALICE_ID" '{"role":"viewer"}'
expect_status 200 "with a second admin, the first may step down"

# ------------------------------------------------------------------ service clients with scopes
req POST /api/v1/auth/token -H 'Content-Type: application/x-www-form-urlencoded' \
  --data-binary "grant_type=refresh_token&refresh_token=$CAROL_RT"
CAROL=$(jq -r .access_token <<<"$BODY")
check "carol's refreshed token says admin" test "$(claim "$CAROL" role)" = admin
as_json "$CAROL" POST /api/v1/aam/clients '{"name":"reader","scopes":["connectors:read"]}'
expect_status 201 "an admin creates a connectors:read client"
expect_jq '.scopes | join(" ")' connectors:read "…with its scopes"
READER_ID=$(jq -r .client_id <<<"$BODY"); READER_SECRET=$(jq -r .client_secret <<<"$BODY"); remember "$READER_SECRET"
check "…its secret is stored only as its SHA-256" test \
  "$(sql "SELECT count(*) FROM clients WHERE id = '$READER_ID' AND secret_hash = '$(sha256 "$READER_SECRET")'")" = 1
as_json "$CAROL" POST /api/v1/aam/clients '{"name":"all"}'
expect_jq '.scopes | join(" ")' "connectors:read connectors:write connectors:check events:read webhooks:write" \
  "a client created without scopes gets all five"
ALL_ID=$(jq -r .client_id <<<"$BODY"); remember "$(jq -r .client_secret <<<"$BODY")"
as_json "$CAROL" POST /api/v1/aam/clients '{"name":"bad","scopes":["connectors:admin"]}'
expect_status 422 "an unknown scope"
as_json "$CAROL" POST /api/v1/aam/clients '{"name":"bad","scopes":[]}'
expect_status 422 "no scope at all"
as "$CAROL" GET /api/v1/aam/clients
expect_jq '[.clients[].name] | join(",")' "reader,all" "the admin lists the tenant's clients"
check "…never a secret" lacks "$READER_SECRET" "$BODY"
as "$ERIN" GET /api/v1/aam/clients
expect_jq '.clients | length' 0 "another tenant's admin sees none of them"
as "$ERIN" DELETE "/api/v1/aam/clients/$READER_ID"
expect_status 404 "…and cannot delete one"

req POST /api/v1/auth/token -u "$READER_ID:$READER_SECRET" -d grant_type=client_credentials
expect_status 200 "the reader client gets a token"
expect_jq .scope connectors:read "…the answer names its scope"
READER=$(jq -r .access_token <<<"$BODY")
check "…and the token carries scope connectors:read" test "$(claim "$READER" scope)" = connectors:read
check "…and no role" test "$(claim "$READER" role)" = null
as "$READER" GET /api/v1/aam/connectors
expect_status 200 "a connectors:read client lists connectors"
before=$(connectors_in team-a)
as_json "$READER" POST /api/v1/aam/connectors '{"id":"c2","name":"Two","type":"rest_api","config":{"base_url":"https://x.example"}}'
check "a connectors:read client gets 403 on POST /connectors" is_forbidden
check "…and nothing is written" test "$(connectors_in team-a)" = "$before"
as "$READER" GET /api/v1/aam/members
check "a client cannot list members" is_forbidden
as "$READER" GET /api/v1/aam/clients
check "…nor manage clients" is_forbidden
as "$READER" GET /api/v1/auth/me
expect_jq '[(.role | tostring), (.scopes | join(" "))] | join("/")' null/connectors:read "me shows a client's scopes and no role"
as "$CAROL" DELETE "/api/v1/aam/clients/$READER_ID"
expect_status 204 "the admin deletes the reader"
req POST /api/v1/auth/token -u "$READER_ID:$READER_SECRET" -d grant_type=client_credentials
expect_status 401 "…which can no longer get a token"
check "the other client is still there" test "$(sql "SELECT count(*) FROM clients WHERE id = '$ALL_ID'")" = 1

# ------------------------------------------------------------------ the commands
run_aam() { OUT=$("$AAM_BIN" "$@" 2>"$TMP/err"); RC=$?; }
run_aam clients create --namespace team-a --name cli --scope connectors:read,nope
check "aam clients create with an unknown scope: exit 2 ($RC)" test "$RC" = 2
check "…naming it" grep -q 'unknown scope "nope"' "$TMP/err"
run_aam clients create --namespace team-a --name cli --scope connectors:read,events:read
check "aam clients create --scope: exit 0 ($RC)" test "$RC" = 0
CLI_ID=$(sed -n 's/^client_id=//p' <<<"$OUT"); CLI_SECRET=$(sed -n 's/^client_secret=//p' <<<"$OUT"); remember "$CLI_SECRET"
check "…stored with those scopes" test "$(sql "SELECT array_to_string(scopes, ' ') FROM clients WHERE id = '$CLI_ID'")" = "connectors:read events:read"
req POST /api/v1/auth/token -d "grant_type=client_credentials&client_id=$CLI_ID&client_secret=$CLI_SECRET"
expect_jq .scope "connectors:read events:read" "…and its token's scope lists them"
run_aam clients list --namespace team-a
check "aam clients list shows the scopes" grep -q "connectors:read events:read" <<<"$OUT"

run_aam users add --namespace team-a --email Gina@example.com --role editor
check "aam users add: exit 0 ($RC)" test "$RC" = 0
GINA_INV=$OUT; remember "$GINA_INV"
check "…prints the one-time token alone" grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$GINA_INV"
accept "$GINA_INV" gina-password-1
expect_status 201 "…which the user redeems"
expect_jq .user.role editor "…with the role the operator gave"
post_json /api/v1/auth/login '{"email":"gina@example.com","password":"gina-password-1"}'
expect_jq .user.role editor "…and then logs in with it"
run_aam users add --namespace team-a --email gina@example.com --role viewer
check "aam users add of a member: exit 1 ($RC)" test "$RC" = 1
run_aam users add --namespace no-such-tenant --email h@example.com --role viewer
check "aam users add into a namespace without a tenant: exit 1 ($RC)" test "$RC" = 1
run_aam users add --namespace team-a --email h@example.com --role owner
check "aam users add with an unknown role: exit 2 ($RC)" test "$RC" = 2
run_aam users add --namespace team-a --email not-an-email --role viewer
check "aam users add with a bad email: exit 2 ($RC)" test "$RC" = 2

OP=$("$AAM_BIN" token --namespace team-a --sub operator)
check "aam token mints role admin" test "$(claim "$OP" role)" = admin
as "$OP" GET /api/v1/aam/members
expect_status 200 "…which lists the members"

# ------------------------------------------------------------------ secrets stay out of the log
leaked=0
while read -r s; do grep -qF "$s" "$SERVER_LOG" && leaked=$((leaked + 1)); done <"$SECRETS"
check "no invite token or client secret appears in the server log ($(wc -l <"$SECRETS") checked, $leaked found)" test "$leaked" = 0
finish
