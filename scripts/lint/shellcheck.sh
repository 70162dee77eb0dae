#!/bin/sh
# Runs shellcheck over every shell script in scripts/, tests/ and .ci/ (by name *.sh or by a sh/bash
# first line), with the settings in .shellcheckrc. Fails on any finding.
set -eu
cd "$(dirname "$0")/../.."
command -v shellcheck >/dev/null || { echo "lint: shellcheck is missing (make deps installs it)" >&2; exit 1; }
list() {  # tracked files when this is a git checkout (no node_modules, no build trees)
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files scripts tests .ci
  else
    find scripts tests .ci -type f -not -path '*/node_modules/*'
  fi
}
list | while IFS= read -r f; do
  [ -f "$f" ] || continue
  case $f in
    *.sh) echo "$f" ;;
    *) head -n1 "$f" | grep -qE '^#!.*/(env )?(ba)?sh( |$)' && echo "$f" ;;
  esac
done | xargs -r shellcheck -x
