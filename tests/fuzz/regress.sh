#!/usr/bin/env bash
# regress.sh FUZZ_BUILD: every fuzz target replays each input of its committed corpus once
# (tests/fuzz/corpus/NAME for tests/fuzz/fuzz_NAME.c), no new inputs: a crash or a broken
# invariant fixed once stays fixed. One ok/not ok line per target; a target without a built
# binary or with an empty corpus is a failure, not a skip.
set -u
FUZZ_BUILD=${1:-build-fuzz}
cd "$(dirname "$0")/../.." || exit 1
pass=0 fail=0
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  bin=$FUZZ_BUILD/fuzz/$name corpus=tests/fuzz/corpus/${name#fuzz_}
  files=()
  [ -d "$corpus" ] && while IFS= read -r f; do files+=("$f"); done < <(find "$corpus" -type f | sort)
  if [ ! -x "$bin" ] || ((${#files[@]} == 0)); then
    fail=$((fail + 1)); echo "not ok - $name: no binary ($bin) or an empty corpus ($corpus)"; continue
  fi
  out=$(ASAN_OPTIONS=detect_leaks=1 "$bin" "${files[@]}" 2>&1); rc=$?
  ran=$(grep -c '^Executed ' <<<"$out")
  if ((rc == 0 && ran == ${#files[@]})); then
    pass=$((pass + 1)); echo "ok - $name: ${#files[@]} corpus inputs replayed"
  else
    fail=$((fail + 1)); echo "not ok - $name: exit $rc, $ran of ${#files[@]} inputs ran"
    grep -E 'ERROR|SUMMARY|Assertion|runtime error|^Running' <<<"$out" | tail -8 | sed 's/^/#   /'
  fi
done
echo "# $pass passed, $fail failed"
((fail == 0))
