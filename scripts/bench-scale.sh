#!/usr/bin/env bash
# bench-scale.sh [BUILD]: how the cost of a request grows with the data, on this machine.
# Starts its own PostgreSQL + PgBouncer (transaction mode) and one `aam serve`, creates
# tenants with 20, 1,000 and 10,000 connectors, folders of 10, 1,000 and 10,000 small CSV
# files and one big CSV (BENCH_BIG_MB, default 1024), then prints median latencies of:
# the connectors list (first and deep page), the files list, and rows pages at the start,
# middle and end of the big file, and a folder of 5,000 small files plus the big one. A measurement for people (`make bench-scale`), not a test.
set -euo pipefail
BUILD=${1:-build}
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO_ROOT"
export AAM_BIN=${BENCH_AAM:-$REPO_ROOT/$BUILD/aam}
BIG_MB=${BENCH_BIG_MB:-1024}
[ -x "$AAM_BIN" ] || { echo "bench-scale: build $AAM_BIN first (make)" >&2; exit 2; }

. tests/harness/stack.sh
. tests/harness/server.sh
WORK=$(mktemp -d /tmp/aam-bench-scale.XXXXXX)
cleanup() { server_stop >/dev/null 2>&1 || true; stack_stop; rm -rf "$WORK"; }
trap cleanup EXIT
echo "bench-scale: starting PostgreSQL + PgBouncer" >&2
stack_start
DATABASE_URL=$(stack_new_db bench)
AAM_MIGRATE_DATABASE_URL=$(stack_owner_url bench)
export DATABASE_URL AAM_MIGRATE_DATABASE_URL
"$AAM_BIN" migrate >/dev/null

ROOT=$WORK/sources
echo "bench-scale: writing CSV files (big file: $BIG_MB MB)" >&2
python3 - "$ROOT" "$BIG_MB" <<'PY'
import os, sys
root, big_mb = sys.argv[1], int(sys.argv[2])
for n in (10, 1000, 10000):
    d = os.path.join(root, "bench", f"files{n}")
    os.makedirs(d)
    for i in range(n):
        with open(os.path.join(d, f"f{i:05d}.csv"), "w") as f:
            f.write("id,name,amount\n" + "".join(f"{r},name {r},{r * 3}\n" for r in range(20)))
d = os.path.join(root, "bench", "big")
os.makedirs(d)
block = "".join(f"{r},\"customer {r}, ltd\",{r * 7 % 1000}.{r % 100:02d},2026-01-{r % 28 + 1:02d}\n"
                for r in range(20000)).encode()
with open(os.path.join(d, "big.csv"), "wb") as f:
    f.write(b"id,customer,amount,date\n")
    for _ in range(max(1, big_mb * 1024 * 1024 // len(block))):
        f.write(block)
# The case that thrashed a slot-counted cache: 5,000 small files and one big one in a folder.
d = os.path.join(root, "bench", "mixed")
os.makedirs(d)
for i in range(5000):
    with open(os.path.join(d, f"f{i:05d}.csv"), "w") as f:
        f.write("id,name\n" + "".join(f"{r},n{r}\n" for r in range(5)))
os.link(os.path.join(root, "bench", "big", "big.csv"), os.path.join(d, "zz_big.csv"))
PY

server_start AAM_SOURCES_ROOT="$ROOT" AAM_DB_POOL_SIZE=8 AAM_ADMIN_ADDR=off
host=127.0.0.1 port=${BASE_URL##*:}
token_for() {  # NS: register a user of tenant NS and print an access token
  curl -fsS -X POST "$BASE_URL/api/v1/auth/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1@bench.example\",\"password\":\"bench-password-123\",\"namespace\":\"$1\"}" >/dev/null
  curl -fsS -X POST "$BASE_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1@bench.example\",\"password\":\"bench-password-123\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
echo "bench-scale: creating tenants and connectors" >&2
declare -A TOK
for n in 20 1000 10000; do
  TOK[$n]=$(token_for "scale$n")
  stack_psql_super -d bench -c "INSERT INTO connections (id, name, source_type, namespace, status, connector_config)
    SELECT 'c' || g, 'connector ' || g, 'postgres', 'scale$n', 'ACTIVE', '{\"dsn\":\"postgresql://x\"}'
    FROM generate_series(1, $n) g" >/dev/null
done
TOK[bench]=$(token_for bench)
for c in files10 files1000 files10000 big mixed; do
  curl -fsS -X POST "$BASE_URL/api/v1/aam/connectors" -H "Authorization: Bearer ${TOK[bench]}" \
    -H 'Content-Type: application/json' \
    -d "{\"id\":\"$c\",\"name\":\"$c\",\"type\":\"filesource\",\"config\":{\"path\":\"$ROOT/bench/$c\",\"pattern\":\"*.csv\"}}" >/dev/null
done
big_rows=$(( $(wc -l <"$ROOT/bench/big/big.csv") - 1 ))

plan=$WORK/plan.json
python3 - "$plan" "$big_rows" "${TOK[20]}" "${TOK[1000]}" "${TOK[10000]}" "${TOK[bench]}" <<'PY'
import json, sys
out, rows, t20, t1k, t10k, tb = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
L = "/api/v1/aam/connectors"
cases = [
    {"label": "connectors list, 20 in tenant", "path": L, "token": t20},
    {"label": "connectors list, 1,000 in tenant", "path": L, "token": t1k},
    {"label": "connectors list, 10,000 in tenant", "path": L, "token": t10k},
    {"label": "connectors list, 10,000, offset 9,950", "path": L + "?offset=9950", "token": t10k},
    {"label": "files list, 10 files", "path": L + "/files10/files", "token": tb, "cold": True},
    {"label": "files list, 1,000 files (page of 500)", "path": L + "/files1000/files", "token": tb, "cold": True},
    {"label": "files list, 10,000 files (page of 500)", "path": L + "/files10000/files", "token": tb, "cold": True},
    {"label": "files list, 10,000 files, offset 9,500", "path": L + "/files10000/files?offset=9500", "token": tb, "cold": True},
    {"label": "files list, 5,000 small + the big file, last 500", "path": L + "/mixed/files?offset=4501", "token": tb, "cold": True},
    {"label": f"rows, big file ({rows:,} rows), offset 0", "path": L + "/big/files/big.csv/rows", "token": tb, "cold": True},
    {"label": "rows, big file, middle", "path": L + f"/big/files/big.csv/rows?offset={rows // 2}", "token": tb},
    {"label": "rows, big file, last page", "path": L + f"/big/files/big.csv/rows?offset={rows - 50}", "token": tb},
]
json.dump({"cases": cases}, open(out, "w"))
PY
echo "bench-scale: measuring (big file $(du -m "$ROOT/bench/big/big.csv" | cut -f1) MB)" >&2
python3 scripts/bench_scale.py "$host" "$port" "$plan"
echo "server RSS after the run: $(awk '/VmRSS/ {print $2, $3}' /proc/"$SERVER_PID"/status)"
