#!/usr/bin/env bash
# base.sh [NAME]: makes sure the image's base, debian:bookworm-slim, is in podman's local
# storage. Pulls it when a registry answers; otherwise builds an equivalent locally with
# `debootstrap --variant=minbase bookworm` from the Debian mirror, trimmed as the official slim
# image is (no docs, man pages or locales; dpkg told to keep them out), and `podman import`s it
# under the same name so the Dockerfile's FROM line finds it. Needs root (debootstrap).
set -euo pipefail
NAME=${1:-docker.io/library/debian:bookworm-slim}
MIRROR=${AAM_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if podman image exists "$NAME"; then
  echo "base: $NAME is already in local storage"
  exit 0
fi
if timeout 60 podman pull -q "$NAME" >/dev/null 2>&1; then
  echo "base: pulled $NAME"
  exit 0
fi
echo "base: no registry answered; building $NAME with debootstrap from $MIRROR"
[ "$(id -u)" = 0 ] || { echo "base: debootstrap needs root (run: sudo $0)" >&2; exit 1; }
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] ||
  { echo "base: debootstrap is missing; run: scripts/deps.sh --image" >&2; exit 1; }

work=$(mktemp -d /var/tmp/aam-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
nice -n 10 /usr/sbin/debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; exit 1; }

# What the official slim image does (debuerreotype): keep docs, man pages and locales out of
# every later package install too, and leave no apt cache or lists behind.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CFG
printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
  "$MIRROR" "$MIRROR" >"$root/etc/apt/sources.list"
find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* "$root"/usr/share/lintian/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
  "$root"/var/log/* "$root"/tmp/* "$root"/root/.cache
tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
podman import -q --change 'CMD ["bash"]' --message "debootstrap --variant=minbase bookworm (local base)" \
  "$work/rootfs.tar" "$NAME" >/dev/null
echo "base: imported $NAME ($(du -sh "$root" | cut -f1) on disk)"
