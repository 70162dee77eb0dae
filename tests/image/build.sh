#!/usr/bin/env bash
# build.sh [TAG]: builds the Docker image for real and checks it (`make image`). Needs root
# (debootstrap for a local base, chroot for the check) and the packages of
# `scripts/deps.sh --image` (podman, debootstrap, uidmap, fuse-overlayfs).
#
# 1. The base, debian:bookworm-slim: pulled where a registry answers, else made locally with
#    debootstrap (tests/image/base.sh).
# 2. `podman build --isolation=chroot --network=host` (no container engine or daemon needed),
#    timed; the image's size from podman.
# 3. No container can be started here, so the image's own filesystem (`podman export`) is run
#    with `chroot --userspec=10001:10001` (the image's user), from its WORKDIR /app, with its
#    PATH: `aam migrate`, `aam seed` and `aam serve` against the test harness's PgBouncer
#    (tests/harness/stack.sh, transaction mode), then tests/smoke.sh and the image's
#    HEALTHCHECK command (curl inside the image) against that server.
# Prints one ok / not ok line per check and the figures; exits 0 only when every check passed.
#   AAM_IMAGE_NO_CACHE=1   build without podman's layer cache (a cold build's time)
set -u -o pipefail
TAG=${1:-localhost/aam:local}
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO_ROOT" || exit 2
PASS=0 FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "not ok - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
die() { echo "image: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap for the base, chroot for the check): sudo make image"
scripts/deps.sh --image || die "the image tools are missing (see above)"

# ------------------------------------------------------------------ build
tests/image/base.sh || die "no debian:bookworm-slim base"
t0=$(date +%s)
nocache=()
[ "${AAM_IMAGE_NO_CACHE:-0}" = 1 ] && nocache=(--no-cache)
# --format docker: the OCI format has no HEALTHCHECK, and podman would drop it.
echo "image: podman build --isolation=chroot --network=host --format docker -t $TAG ${nocache[*]} ."
if ! nice -n 10 podman build --isolation=chroot --network=host --format docker "${nocache[@]}" -t "$TAG" . \
    >/tmp/aam-image-build.log 2>&1; then
  tail -30 /tmp/aam-image-build.log >&2
  die "podman build failed (log: /tmp/aam-image-build.log)"
fi
BUILD_S=$(( $(date +%s) - t0 ))
SIZE_B=$(podman image inspect "$TAG" --format '{{.Size}}')
SIZE_MB=$(( SIZE_B / 1000000 ))
ok "podman build --isolation=chroot --network=host: $BUILD_S s${nocache:+ (no cache)}"
echo "# image $TAG: $SIZE_MB MB ($SIZE_B bytes)"
podman history --format '{{.Size}}\t{{.CreatedBy}}' "$TAG" 2>/dev/null | cut -c1-110 | sed 's/^/#   /'

# ------------------------------------------------------------------ the image's own filesystem
WORK=$(mktemp -d /var/tmp/aam-image-check.XXXXXX)
ROOTFS=$WORK/rootfs
SERVE_PID=""
CID=""
cleanup() {
  [ -n "${srv:-}" ] && kill -TERM "$srv" 2>/dev/null
  [ -n "$SERVE_PID" ] && kill -TERM "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
  [ -n "$CID" ] && podman rm -f "$CID" >/dev/null 2>&1
  declare -F stack_stop >/dev/null && stack_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# (no healthcheck timer: that needs systemd, and nothing runs here)
CID=$(podman create --no-healthcheck "$TAG") || die "podman create failed"
mkdir -p "$ROOTFS"
podman export "$CID" | tar -C "$ROOTFS" -xf - || die "podman export failed"
podman rm -f "$CID" >/dev/null; CID=""
# What a container runtime would provide: /dev/null and the random devices.
mkdir -p "$ROOTFS/dev" "$ROOTFS/tmp"
for d in "null c 1 3" "zero c 1 5" "random c 1 8" "urandom c 1 9"; do
  # shellcheck disable=SC2086  # four words on purpose
  set -- $d
  [ -e "$ROOTFS/dev/$1" ] || mknod -m 666 "$ROOTFS/dev/$1" "$2" "$3" "$4"
done
chmod 1777 "$ROOTFS/tmp"

# The image's configuration, read from the image itself, not assumed.
IMG_USER=$(podman image inspect "$TAG" --format '{{.Config.User}}')
IMG_WD=$(podman image inspect "$TAG" --format '{{.Config.WorkingDir}}')
IMG_PATH=$(podman image inspect "$TAG" --format '{{range .Config.Env}}{{println .}}{{end}}' | sed -n 's/^PATH=//p')
UIDGID=$(awk -F: -v u="$IMG_USER" '$1 == u || $3 == u { print $3 ":" $4 }' "$ROOTFS/etc/passwd")
check "the image runs as a non-root user ($IMG_USER = $UIDGID)" test "$UIDGID" = 10001:10001
check "the image holds only runtime packages (no compiler, no -dev package)" \
  sh -c "! chroot '$ROOTFS' dpkg-query -W -f='\${Package}\n' | grep -Eq '^(gcc|cpp|make|binutils)\$|-dev\$'"
check "its binary is stripped (no .symtab, no debug info)" \
  sh -c "! readelf -S '$ROOTFS/usr/local/bin/aam' | grep -Eq '\.symtab|\.debug_'"

in_image() {  # VAR=value... -- CMD...: CMD in the image's filesystem, as its user, from its WORKDIR
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  # shellcheck disable=SC2016  # expanded by the sh inside the image
  env -i PATH="$IMG_PATH" HOME="$IMG_WD" "${envs[@]}" \
    chroot --userspec="$UIDGID" "$ROOTFS" /bin/sh -c 'cd "$0" && exec "$@"' "$IMG_WD" "$@"
}

. tests/harness/stack.sh
stack_start >/dev/null || die "the test stack did not start"
echo "# harness: PgBouncer on 127.0.0.1:$PGB_PORT (transaction mode)"
DEMO_PW=image-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
JWT=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
KEYS=image:$(head -c 32 /dev/urandom | base64 | tr -d '\n')

out=$(in_image DATABASE_URL="$DATABASE_URL" AAM_SECRET_KEYS="$KEYS" -- aam migrate 2>&1); rc=$?
printf '%s\n' "$out" | tail -2 | sed 's/^/#   /'
check "aam migrate from the image, through PgBouncer (exit 0)" test "$rc" = 0
out=$(in_image DATABASE_URL="$DATABASE_URL" AAM_SECRET_KEYS="$KEYS" AAM_DEMO_PASSWORD="$DEMO_PW" -- aam seed 2>&1); rc=$?
printf '%s\n' "$out" | tail -1 | sed 's/^/#   /'
check "aam seed from the image (exit 0)" test "$rc" = 0

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADMIN_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# its own admin port: the default 9090 may be held by another server on this machine
in_image DATABASE_URL="$DATABASE_URL" JWT_SECRET="$JWT" AAM_SECRET_KEYS="$KEYS" PORT="$PORT" \
  AAM_ADMIN_ADDR="127.0.0.1:$ADMIN_PORT" \
  -- aam serve >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
up=0
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/health" && { up=1; break; }
  kill -0 "$SERVE_PID" 2>/dev/null || break
  sleep 0.1
done
check "aam serve from the image answers /health" test "$up" = 1
[ "$up" = 1 ] || tail -20 "$WORK/serve.log" | sed 's/^/#   /'
check "…and its admin listener serves /metrics (aam_build_info)" \
  sh -c "curl -fs 'http://127.0.0.1:$ADMIN_PORT/metrics' | grep -q '^aam_build_info{'"
srv=""
for p in $(pgrep -x aam); do  # the aam whose root is the image's filesystem
  [ "$(readlink "/proc/$p/root")" = "$ROOTFS" ] && srv=$p
done
check "…running as uid 10001, chrooted in the image's filesystem" test -n "$srv" -a "$(ps -o uid= -p "${srv:-1}" | tr -d ' ')" = 10001
smoke=$(BASE_URL="http://127.0.0.1:$PORT" AAM_DEMO_PASSWORD="$DEMO_PW" bash tests/smoke.sh 2>&1); rc=$?
printf '%s\n' "$smoke" | sed 's/^/#   /'
check "tests/smoke.sh passes against the image's aam serve" test "$rc" = 0
hc=$(podman image inspect "$TAG" --format '{{join .Config.Healthcheck.Test " "}}' 2>/dev/null)
hc=${hc#CMD-SHELL }
check "the image's HEALTHCHECK command succeeds inside the image ($hc)" \
  in_image PORT="$PORT" -- sh -c "$hc"
[ -n "$srv" ] && kill -TERM "$srv" 2>/dev/null
wait "$SERVE_PID"; rc=$?; SERVE_PID=""
check "aam serve exits 0 on SIGTERM" test "$rc" = 0

echo "# build $BUILD_S s, image $SIZE_MB MB"
echo "$PASS passed, $FAIL failed"
((FAIL == 0))
