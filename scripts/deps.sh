#!/bin/sh
# The one list of Debian packages the project needs: build, test and run.
# Used by `make deps`, `make run`/`make test` (through make deps), `.ci/run` and the
# Dockerfile's stages. Prints nothing and exits 0 when everything is already installed, so
# apt-get runs only when something is missing.
#   scripts/deps.sh            build + test + local run (default; `make deps`)
#   scripts/deps.sh --build    only what compiling build/aam needs (the image's build stage)
#   scripts/deps.sh --runtime  only what the built binary needs at run time (the image)
#   scripts/deps.sh --image    what `make image` needs (podman, debootstrap, ...); not in make test
#   scripts/deps.sh --check [GROUP]  say what is missing and what to run; install nothing
# As root it installs with apt-get. Otherwise it uses sudo when sudo can run here (a terminal
# to ask for the password on, or sudo without one); if not, it prints the exact command to run
# and exits 1.
set -eu

BUILD_PKGS="build-essential pkg-config libmicrohttpd-dev libpq-dev libjwt-dev libjansson-dev
libssl-dev libcsv-dev libcurl4-openssl-dev check libsubunit-dev"
# postgresql-15: initdb/pg_ctl/psql in /usr/lib/postgresql/15/bin; pgbouncer: /usr/sbin/pgbouncer
# (scripts/pgstack.sh finds both there, whatever PATH says). clang: `make CC=clang`, make fuzz.
# chromium: the browser tests (tests/ui, run by tests/integration/test_ui.sh).
# nginx: /usr/sbin/nginx, the load balancer of tests/integration/test_replicas.sh (started by
# the test with its own config, prefix and pid file; the system service is never used).
# libclang-rt-14-dev: libFuzzer (make fuzz, and make test's corpus replay); cppcheck
# and shellcheck, clang-format: make lint.
TEST_PKGS="clang postgresql-15 pgbouncer curl jq python3 python3-yaml procps iproute2 util-linux chromium nginx
libclang-rt-14-dev cppcheck shellcheck clang-format"
RUNTIME_PKGS="libmicrohttpd12 libpq5 libjwt0 libjansson4 libssl3 libcsv3 libcurl4 ca-certificates curl"
IMAGE_PKGS="podman debootstrap uidmap fuse-overlayfs"

CHECK=0
if [ "${1:-}" = --check ]; then CHECK=1; shift; fi
case "${1:-}" in
  --runtime) PKGS=$RUNTIME_PKGS; WHAT="--runtime" ;;
  --build) PKGS=$BUILD_PKGS; WHAT="--build" ;;
  --image) PKGS=$IMAGE_PKGS; WHAT="--image" ;;
  "") PKGS="$BUILD_PKGS $TEST_PKGS"; WHAT="" ;;
  *) echo "usage: $0 [--check] [--runtime|--build|--image]" >&2; exit 2 ;;
esac

# The browser tests' Node.js and npm: the machine's own when it has them (newer than Debian's,
# and not from a Debian package), else Debian's. tests/ui's packages: scripts/deps-ui.sh.
if [ -z "$WHAT" ]; then
  command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
  command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi
# AAM_DEPS_ALSO: more package names to require (the tests use it to see what a missing one does).
PKGS="$PKGS ${AAM_DEPS_ALSO:-}"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
missing=${missing# }

# What a person should type: this script (with its option). Not `sudo make deps`: that would
# also run scripts/deps-ui.sh as root and leave root-owned files in the checkout.
again="scripts/deps.sh${WHAT:+ $WHAT}"
tell() {  # PREFIX ("" or "sudo "): the exact command lines that install what is missing
  echo "deps: missing packages: $missing" >&2
  echo "deps: install them with:  ${1}apt-get install --no-install-recommends $missing" >&2
  echo "deps:            or with:  ${1}$again" >&2
}

if [ "$CHECK" = 1 ]; then
  if [ "$(id -u)" = 0 ]; then tell ""; else tell "sudo "; fi
  exit 1
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
    SUDO="sudo"
  elif command -v sudo >/dev/null 2>&1; then
    tell "sudo "
    echo "deps: (not run from here: installing needs root, and there is no terminal to ask for sudo's password)" >&2
    exit 1
  else
    tell ""
    echo "deps: (as root: installing needs root, and sudo is not installed)" >&2
    exit 1
  fi
fi
echo "deps: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine or image: update once, then install.
# The lock is shared with anything else using apt; wait for it rather than fail.
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >&2
