#!/bin/sh
# The one list of Debian packages the project needs: build, test and run.
# Used by `make deps`, `.ci/run` (through make) and the Dockerfile's build stage.
# Prints nothing and exits 0 when everything is already installed.
#   scripts/deps.sh            build + test + local run (default)
#   scripts/deps.sh --runtime  only what the built binary needs at run time
set -eu

BUILD_PKGS="build-essential clang pkg-config libmicrohttpd-dev libpq-dev libjwt-dev libjansson-dev
libssl-dev libcsv-dev check libsubunit-dev"
TEST_PKGS="postgresql postgresql-contrib pgbouncer curl jq python3 python3-yaml procps iproute2 chromium"
RUNTIME_PKGS="libmicrohttpd12 libpq5 libjwt0 libjansson4 libssl3 libcsv3 ca-certificates curl"

case "${1:-}" in
  --runtime) PKGS=$RUNTIME_PKGS ;;
  --build) PKGS=$BUILD_PKGS ;;
  "") PKGS="$BUILD_PKGS $TEST_PKGS" ;;
  *) echo "usage: $0 [--runtime|--build]" >&2; exit 2 ;;
esac

# The browser tests' Node.js and npm: the machine's own when it has them (newer than Debian's,
# and not from a Debian package), else Debian's. tests/ui's packages: scripts/deps-ui.sh.
if [ -z "${1:-}" ]; then
  command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
  command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine or image: update once, then install.
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
