#!/usr/bin/env bash
# link-cycles.sh [BUILD]: the module graph read from the object files, as the linker sees it.
# Each object (util/xalloc.o, server/http/http.o, ...) is a module; A -> B when A uses a global
# symbol B defines (nm). Fails (exit 1) when
#   - the graph has a cycle (tsort prints the modules on it),
#   - a lower layer uses a higher one. The layers, bottom up, and what each may use:
#       util/              util/
#       db/                db/ util/ (it reaches the log through a callback)
#       server/core/       server/core/ db/ util/ (the domain: never HTTP, handlers or commands)
#       server/http/       server/http/ server/core/ db/ util/ (the plumbing: no handler; the
#                          route tables are handed to it)
#       server/handlers/   server/handlers/ server/core/ db/ util/ and, of server/http/, only
#                          the request/response model, the router and path (never the MHD glue)
#       server/cli/        everything (main and the commands wire the layers together)
#   - a file in db/ or util/ includes a header from server/ (or util/ one from db/).
# Prints the edges with -v. Brings BUILD (default build) up to date first (make all), so the
# graph is the current sources'.
set -euo pipefail
VERBOSE=0
if [[ ${1:-} == -v ]]; then VERBOSE=1; shift; fi
BUILD=${1:-build}
cd "$(dirname "$0")/../.."

make --no-print-directory -s BUILD="$BUILD" all >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Only objects whose source still exists: a file moved or deleted leaves its old object behind.
mapfile -t objs < <(find "$BUILD/util" "$BUILD/db" "$BUILD/server" -name '*.o' 2>/dev/null | sort |
  while read -r o; do src=${o#"$BUILD"/}; [[ -e ${src%.o}.c ]] && echo "$o"; done)
strays=$(find server -maxdepth 1 -name '*.c' 2>/dev/null)
if [[ -n $strays ]]; then
  echo "link-cycles: FAIL: every source under server/ belongs to a layer folder (cli, http, handlers, core): $strays" >&2
  exit 1
fi
((${#objs[@]} > 0)) || { echo "link-cycles: no object files under $BUILD" >&2; exit 2; }

for o in "${objs[@]}"; do
  m=${o#"$BUILD"/}
  m=${m%.o}
  nm --defined-only -g "$o" | awk -v m="$m" 'NF == 3 && $2 ~ /^[BCDGRSTVW]$/ {print $3, m}' >>"$tmp/defs"
  nm -u "$o" | awk -v m="$m" '{print $NF, m}' >>"$tmp/uses"
done
sort -u -k1,1 "$tmp/defs" >"$tmp/defs.s"
sort -k1,1 "$tmp/uses" >"$tmp/uses.s"
# symbol user definer -> "user definer", one per module pair
join "$tmp/uses.s" "$tmp/defs.s" | awk '$2 != $3 {print $2, $3}' | sort -u >"$tmp/edges"
((VERBOSE)) && sed 's/ / -> /' "$tmp/edges"

status=0
echo "link-cycles: ${#objs[@]} objects, $(wc -l <"$tmp/edges") module dependencies"
if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/tsort"; then
  echo "link-cycles: FAIL: the object files' symbol dependencies form a cycle:" >&2
  sed -n 's/^tsort: .*input contains a loop:$/  a loop through:/p; t; s/^tsort: /    /p' "$tmp/tsort" >&2
  status=1
fi

layer_violation() {  # from-dir allowed-dirs-regex
  awk -v from="$1" -v ok="$2" 'index($1, from "/") == 1 && $2 !~ ("^(" ok ")(/|$)") {print "  " $1 " -> " $2}' \
    "$tmp/edges"
}
bad=$( {
  layer_violation util 'util'
  layer_violation db 'db|util'
  layer_violation server/core 'server/core|db|util'
  layer_violation server/http 'server/http|server/core|db|util'
  layer_violation server/handlers \
    'server/handlers|server/core|db|util|server/http/http_model|server/http/router|server/http/path'
} )
if [[ -n $bad ]]; then
  echo "link-cycles: FAIL: a lower layer uses a higher one (see the layers at the top of $0):" >&2
  echo "$bad" >&2
  status=1
fi

inc=$( { grep -Hn '#include "server/' db/* util/* 2>/dev/null || true
         grep -Hn '#include "db/' util/* 2>/dev/null || true; } )
if [[ -n $inc ]]; then
  echo "link-cycles: FAIL: db/ and util/ must include nothing from server/ (util/ nothing from db/):" >&2
  while IFS= read -r line; do echo "  $line"; done <<<"$inc" >&2
  status=1
fi

((status == 0)) && echo "link-cycles: ok: no cycle; every layer uses only the layers below it"
exit $status
