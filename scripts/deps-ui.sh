#!/bin/sh
# The npm packages of the browser tests and the OpenAPI tool tests (tests/ui: playwright-core,
# axe-core, @apidevtools/swagger-parser, ajv, @hey-api/openapi-ts, typescript; pinned by its
# package-lock.json), installed with `npm ci` only when the lockfile changed since the last
# install. Run by `make deps` after scripts/deps.sh (which installs chromium, Node.js and npm).
# Prints nothing and exits 0 when they are already in place. `make` itself never needs Node.
set -eu
DIR=$(cd "$(dirname "$0")/../tests/ui" && pwd)
STAMP=$DIR/node_modules/.aam-lock.sha256

command -v npm >/dev/null 2>&1 || { echo "deps-ui: npm is missing; run make deps (as root, or with sudo)" >&2; exit 1; }
want=$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)
[ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && exit 0

echo "deps-ui: npm ci in tests/ui (browser and OpenAPI test packages; no browser download)" >&2
# playwright-core never downloads a browser; the tests use Debian's /usr/bin/chromium.
(cd "$DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
echo "$want" >"$STAMP"
