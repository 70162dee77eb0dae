#!/usr/bin/env bash
# docs.sh: the documents stay true to the tree. Fails (exit 1) when
#   - docs/ARCHITECTURE.md does not name a C source file that exists (every `*.c` under util/,
#     db/ and server/, by its path), or names one that does not,
#   - docs/ARCHITECTURE.md names a function (`name()`) that no source, header or migration
#     defines or mentions, or
#   - README.md is longer than 450 lines (the front door; the rest lives in docs/).
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=docs/ARCHITECTURE.md
status=0

missing=$(git ls-files --cached --others --exclude-standard 'util/*.c' 'db/*.c' 'server/*.c' |
  while read -r f; do grep -qF "\`$f\`" "$arch" || echo "  $f"; done)
if [[ -n $missing ]]; then
  echo "docs: FAIL: $arch does not name these sources (as \`path\`):" >&2
  echo "$missing" >&2
  status=1
fi

stale=$(grep -oE '`(util|db|server)/[A-Za-z0-9_/]+\.[ch]`' "$arch" | tr -d '`' | sort -u |
  while read -r f; do [[ -e $f ]] || echo "  $f"; done)
if [[ -n $stale ]]; then
  echo "docs: FAIL: $arch names files that do not exist:" >&2
  echo "$stale" >&2
  status=1
fi

unknown=$(grep -oE '`[a-z_][a-z0-9_]*\(' "$arch" | tr -d '`(' | sort -u |
  while read -r fn; do
    grep -rqw --include='*.c' --include='*.h' --include='*.sql' -e "$fn" util db server migrations ||
      echo "  $fn()"
  done)
if [[ -n $unknown ]]; then
  echo "docs: FAIL: $arch names functions that do not exist:" >&2
  echo "$unknown" >&2
  status=1
fi

lines=$(wc -l <README.md)
if ((lines > 450)); then
  echo "docs: FAIL: README.md has $lines lines (at most 450: move detail to docs/)" >&2
  status=1
fi
((status == 0)) && echo "docs: ok: ARCHITECTURE.md names every source and no missing function; README.md $lines lines"
exit $status
