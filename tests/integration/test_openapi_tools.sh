#!/usr/bin/env bash
# docs/openapi.json as the tools that read it see it: tests/ui/openapi.test.mjs validates it
# with swagger-parser, checks its problem types against the C sources, checks a sample of real
# responses of this test's server against its response schemas (ajv), and has a client that
# @hey-api/openapi-ts generates from the served document do the README's walk. Then the
# unit test of the route table (test_routes) is shown to fail on a document that lacks a route
# or lists one the router does not serve, so the comparison both ways cannot pass by accident.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"

UI_DIR=$REPO_ROOT/tests/ui
export AAM_DEMO_PASSWORD=demo-password-for-openapi
QUOTA=5

need_migrated
need "seed" "$AAM_BIN" seed

WORK=$(mktemp -d /tmp/aam-openapi.XXXXXX)
DOWN_PID=""
cleanup() {
  [ -n "$DOWN_PID" ] && kill -TERM "$DOWN_PID" 2>/dev/null && wait "$DOWN_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# A server whose database cannot be reached: the 503s of /ready and of an API route.
server_start DATABASE_URL='postgresql://aam_app:x@127.0.0.1:1/none?connect_timeout=2' AAM_ADMIN_ADDR=off ||
  give_up "the server without a database did not start"
DOWN_URL=$BASE_URL DOWN_PID=$SERVER_PID DOWN_LOG=$SERVER_LOG
SERVER_PID="" SERVER_LOG=""

server_start AAM_LOGIN_MAX_FAILURES=2 AAM_MAX_CONNECTORS_PER_TENANT=$QUOTA AAM_OUTBOUND_NETS=127.0.0.0/8 AAM_WEBHOOK_WORKERS=0 || give_up "server start"
GHOST_TOKEN=$("$AAM_BIN" token --namespace "ghost-$RANDOM" --sub ghost) || give_up "aam token"

if [ ! -d "$UI_DIR/node_modules/@apidevtools/swagger-parser" ] || [ ! -d "$UI_DIR/node_modules/@hey-api/openapi-ts" ]; then
  check "tests/ui/node_modules holds the OpenAPI tools (make deps runs npm ci there)" false
else
  BASE_URL=$BASE_URL DOWN_URL=$DOWN_URL OUT_DIR=$WORK DEMO_PASSWORD=$AAM_DEMO_PASSWORD \
    GHOST_TOKEN=$GHOST_TOKEN QUOTA=$QUOTA timeout -k 5 240 node "$UI_DIR/openapi.test.mjs"
  rc=$?
  check "the OpenAPI tool tests ran to their end (exit $rc)" test "$rc" = 0
fi

# The route-table comparison fails when the document and the router disagree, in either
# direction: run the unit test against mutated copies of the document (REPO_ROOT points it at
# them) and look for its message. Not a copy of its logic: the real binary, the real router.
UNIT=$(find "$(dirname "$AAM_BIN")/tests/unit" -type f -name test_routes -perm -u+x 2>/dev/null | head -1)
if [ -z "$UNIT" ]; then
  check "the test_routes unit test binary is built (make tests-bin)" false
else
  mutate() {  # jq-filter dir: docs/openapi.json, changed by the filter, in dir/docs/
    mkdir -p "$2/docs" && jq "$1" "$REPO_ROOT/docs/openapi.json" >"$2/docs/openapi.json"
  }
  check "the unit test passes on the document as it is" env REPO_ROOT="$REPO_ROOT" "$UNIT"
  mutate 'del(.paths["/api/v1/auth/me"])' "$WORK/no-route"
  OUT=$(REPO_ROOT=$WORK/no-route "$UNIT" 2>&1)
  check "…fails when a served route is not described (GET /api/v1/auth/me removed)" \
    grep -q 'serves GET /api/v1/auth/me but docs/openapi.json does not document it' <<<"$OUT"
  mutate '.paths["/api/v1/aam/widgets"] = {get: .paths["/api/v1/aam/connectors"].get}' "$WORK/extra-route"
  OUT=$(REPO_ROOT=$WORK/extra-route "$UNIT" 2>&1)
  check "…fails when a described route is not served (GET /api/v1/aam/widgets added)" \
    grep -q 'lists get /api/v1/aam/widgets but the router does not serve it' <<<"$OUT"
  mutate '.paths["/api/v1/aam/connectors"].delete = .paths["/api/v1/aam/connectors/{id}"].delete' "$WORK/extra-method"
  OUT=$(REPO_ROOT=$WORK/extra-method "$UNIT" 2>&1)
  check "…and when a described method is not served (DELETE on the collection)" \
    grep -q 'lists delete /api/v1/aam/connectors but the router does not serve it' <<<"$OUT"
fi

kill -TERM "$DOWN_PID" 2>/dev/null && wait "$DOWN_PID" 2>/dev/null
DOWN_PID=""
[ "$T_FAIL" -gt 0 ] && [ -f "$DOWN_LOG" ] && { echo "# the database-less server's log:"; tail -5 "$DOWN_LOG" | sed 's/^/#   /'; }
rm -f "$DOWN_LOG"
finish
