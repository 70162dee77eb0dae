#!/usr/bin/env bash
# The Docker deployment, checked without a Docker engine (none runs on the build machines):
#  1. docker-compose.yml parses (python3 + yaml) and is wired as documented: services and
#     depends_on targets exist, api waits for migrate to succeed, everything goes through
#     PgBouncer in transaction mode, only the API is published, every ${VAR} is in
#     .env.example and no secret has a value there; the files it mounts or builds exist.
#  2. The Dockerfile: bookworm-slim stages, deps through scripts/deps.sh, COPY sources exist,
#     non-root user, HEALTHCHECK on /health, ENTRYPOINT aam / CMD serve.
#  3. What can run for real: the runtime package list covers every library the binary
#     needs; docker/initdb/01-app-role.sh against a real PostgreSQL makes a role RLS binds;
#     the image's layout (WORKDIR with migrations/, seeds/, mock_sources/, a non-root user)
#     runs the migrate service's own command, then serves, and tests/smoke.sh passes.
set -u
. "$REPO_ROOT/tests/harness/assert.sh"
. "$REPO_ROOT/tests/harness/server.sh"
cd "$REPO_ROOT" || exit 1

PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then PY=$p; break; fi
done
check "python3 with the yaml module is available (make deps installs python3-yaml)" test -n "$PY"

# ------------------------------------------------------------------ 1 + 2: static checks
# The python part prints "PASS<TAB>description" or "FAIL<TAB>description<TAB>detail".
static_checks() {
  "$PY" - "$REPO_ROOT" <<'PY'
import os, re, sys, yaml

root = sys.argv[1]
def report(ok, desc, detail=""):
    print(("PASS" if ok else "FAIL") + "\t" + desc + ("\t" + detail if detail and not ok else ""))

# ---------------- docker-compose.yml
try:
    with open(os.path.join(root, "docker-compose.yml")) as f:
        text = f.read()
    compose = yaml.safe_load(text)
    services = compose.get("services") or {}
    report(isinstance(services, dict) and len(services) > 0, "docker-compose.yml parses and has services")
except Exception as e:  # a parse error fails every compose check below
    report(False, "docker-compose.yml parses and has services", str(e))
    compose, services, text = {}, {}, ""

report(all(s in services for s in ("postgres", "pgbouncer", "migrate", "api")),
       "compose has postgres, pgbouncer, migrate and api", str(sorted(services)))

def deps(svc):
    d = (services.get(svc) or {}).get("depends_on") or {}
    return {k: {} for k in d} if isinstance(d, list) else d

bad = [(s, t) for s in services for t in deps(s) if t not in services]
report(not bad, "every depends_on names a service", str(bad))
report(deps("api").get("migrate", {}).get("condition") == "service_completed_successfully",
       "api starts only after migrate completed successfully")
report(deps("migrate").get("pgbouncer", {}).get("condition") == "service_healthy",
       "migrate waits for a healthy pgbouncer")
report(deps("pgbouncer").get("postgres", {}).get("condition") == "service_healthy",
       "pgbouncer waits for a healthy postgres")
report(str(services.get("postgres", {}).get("image", "")).startswith("postgres:15"),
       "postgres runs PostgreSQL 15")

def env(svc):
    e = (services.get(svc) or {}).get("environment") or {}
    if isinstance(e, list):
        e = dict(x.split("=", 1) if "=" in x else (x, "") for x in e)
    return {k: str(v) for k, v in e.items()}

report(env("pgbouncer").get("POOL_MODE") == "transaction", "pgbouncer runs in transaction mode")
cmd = services.get("migrate", {}).get("command")
cmd = " ".join(cmd) if isinstance(cmd, list) else str(cmd)
ent = services.get("migrate", {}).get("entrypoint")
report(ent in (["sh", "-c"], ["/bin/sh", "-c"]) and re.search(r"aam migrate\s*&&\s*aam seed", cmd) is not None,
       "migrate runs 'aam migrate && aam seed' through sh -c", f"{ent} {cmd}")
for svc in ("migrate", "api"):
    report("@pgbouncer:" in env(svc).get("DATABASE_URL", ""), f"{svc} reaches the database through pgbouncer",
           env(svc).get("DATABASE_URL", ""))
owner_url = env("migrate").get("AAM_MIGRATE_DATABASE_URL", "")
report(owner_url != "" and "AAM_DB_OWNER" in owner_url and owner_url != env("migrate").get("DATABASE_URL"),
       "migrate runs as the owner role (AAM_MIGRATE_DATABASE_URL), not the application role", owner_url)
report("AAM_MIGRATE_DATABASE_URL" not in env("api") and "AAM_DB_OWNER" not in str(services.get("api")),
       "the api holds no owner credentials")
report(services.get("migrate", {}).get("image") == services.get("api", {}).get("image") and
       services.get("migrate", {}).get("build") == services.get("api", {}).get("build"),
       "migrate uses the same image as api")
published = sorted(s for s in services if services[s].get("ports"))
report(published == ["api"], "only the api publishes a port on the host", str(published))
api_ports = [str(p) for p in services["api"].get("ports", [])]
report(len(api_ports) == 1 and not any("9090" in p for p in api_ports),
       "the api publishes only the API port, not the admin listener", str(api_ports))
report(services["api"].get("environment", {}).get("AAM_ADMIN_ADDR") == "0.0.0.0:9090" and
       "9090" in [str(p) for p in services["api"].get("expose", [])],
       "the admin listener (AAM_ADMIN_ADDR) is on the compose network only (expose 9090)", "")
no_hc = sorted(s for s in services if s != "migrate" and "healthcheck" not in services[s])
report(not no_hc, "every long-running service has a healthcheck", str(no_hc))

missing = []
for s, d in services.items():
    b = d.get("build")
    if b is not None:
        ctx = b if isinstance(b, str) else b.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(b, str) else b.get("dockerfile", "Dockerfile")
        if not os.path.isfile(os.path.join(root, ctx, dockerfile)):
            missing.append(f"{s}: build {ctx}/{dockerfile}")
    for v in d.get("volumes") or []:
        src = v.split(":", 1)[0] if isinstance(v, str) else v.get("source", "")
        if src.startswith((".", "/")):
            if not os.path.exists(os.path.join(root, src)):
                missing.append(f"{s}: volume {src}")
        elif src and src not in (compose.get("volumes") or {}):
            missing.append(f"{s}: named volume {src} is not declared")
    for ef in d.get("env_file") or []:
        if not os.path.exists(os.path.join(root, ef if isinstance(ef, str) else ef.get("path", ""))):
            missing.append(f"{s}: env_file {ef}")
report(not missing, "every file, folder and volume compose references exists", str(missing))

init_dir = None
for v in services.get("postgres", {}).get("volumes") or []:
    if isinstance(v, str) and ":/docker-entrypoint-initdb.d" in v:
        init_dir = os.path.join(root, v.split(":", 1)[0])
scripts = sorted(f for f in os.listdir(init_dir) if f.endswith((".sql", ".sh"))) if init_dir and os.path.isdir(init_dir) else []
body = "".join(open(os.path.join(init_dir, f)).read() for f in scripts) if scripts else ""
report(bool(scripts) and "NOSUPERUSER" in body and "NOBYPASSRLS" in body and "OWNER" in body,
       "postgres has an init step creating non-superuser roles, the owner owning the database", str(scripts))

# Every ${VAR} compose interpolates ($$ is an escape for the container's shell) is in .env.example.
used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
required = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*):\?", text))
example = {}
try:
    for line in open(os.path.join(root, ".env.example")):
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if m:
            example[m.group(1)] = m.group(2).strip()
except OSError as e:
    report(False, ".env.example exists", str(e))
report(bool(used) and used <= set(example), ".env.example has every variable compose uses",
       "missing: " + str(sorted(used - set(example))))
filled = sorted(v for v in required if example.get(v))
report(not filled, "no required secret has a value in .env.example", str(filled))

# ---------------- Dockerfile
lines, cur = [], ""
try:
    for raw in open(os.path.join(root, "Dockerfile")):
        s = raw.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        lines.append((cur + s).strip())
        cur = ""
except OSError as e:
    report(False, "Dockerfile exists", str(e))
stages = []
for l in lines:
    word = l.split(None, 1)[0].upper()
    if word == "FROM":
        stages.append([])
    if stages:
        stages[-1].append((word, l.split(None, 1)[1] if " " in l else ""))
report(len(stages) >= 2 and all(st[0][1].split()[0] in ("debian:bookworm-slim", "debian:12-slim") for st in stages),
       "the Dockerfile has a build and a runtime stage, both debian:bookworm-slim",
       str([st[0][1] for st in stages]))
build, runtime = (stages[0], stages[-1]) if len(stages) >= 2 else ([], [])
runs = lambda st: " ".join(a for w, a in st if w == "RUN")
report("scripts/deps.sh --build" in runs(build) and re.search(r"\bmake\b", runs(build)) is not None,
       "the build stage installs through scripts/deps.sh --build and runs make")
report(re.search(r"deps\.sh --runtime", runs(runtime)) is not None,
       "the runtime stage installs only scripts/deps.sh --runtime")
bad_copy = []
for st in stages:
    for w, a in st:
        if w not in ("COPY", "ADD"):
            continue
        parts = [p for p in a.split() if not p.startswith("--")]
        if "--from=" in a:
            continue
        for src in parts[:-1]:
            if not os.path.exists(os.path.join(root, src)):
                bad_copy.append(src)
report(not bad_copy, "every Dockerfile COPY source exists in the repository", str(bad_copy))
from_build = [a for w, a in runtime if w == "COPY" and "--from=" in a]
report(any("build/aam" in a for a in from_build), "the runtime stage copies the built binary (build/aam)")
workdir = [a for w, a in runtime if w == "WORKDIR"]
dests = {a.split()[-1].rstrip("/") for w, a in runtime if w == "COPY"}
wd = workdir[-1].rstrip("/") if workdir else ""
resolves = all(d in dests or f"./{d}" in dests or f"{wd}/{d}" in dests for d in ("migrations", "seeds", "mock_sources"))
report(bool(workdir) and resolves, "WORKDIR holds ./migrations, ./seeds and ./mock_sources", f"{workdir} {sorted(dests)}")
users = [a.strip() for w, a in runtime if w == "USER"]
report(bool(users) and users[-1].split(":")[0] not in ("root", "0"), "the runtime image runs as a non-root user", str(users))
hc = [a for w, a in runtime if w == "HEALTHCHECK"]
report(bool(hc) and "/health" in hc[-1] and "curl" in hc[-1], "HEALTHCHECK curls /health", str(hc))
report(('ENTRYPOINT', '["aam"]') in runtime and ('CMD', '["serve"]') in runtime,
       'ENTRYPOINT ["aam"] and CMD ["serve"]')
try:
    ignored = {l.strip() for l in open(os.path.join(root, ".dockerignore"))}
except OSError:
    ignored = set()
report({".run", ".env"} <= ignored, ".dockerignore keeps .run/ and .env out of the build context")
PY
}

if [ -n "$PY" ]; then
  out=$(static_checks 2>&1); rc=$?
  while IFS=$'\t' read -r res desc detail; do
    [ "$res" = FAIL ] && [ -n "${detail:-}" ] && echo "#   $detail"
    check "$desc" test "$res" = PASS
  done < <(grep -E $'^(PASS|FAIL)\t' <<<"$out")
  [ "$rc" = 0 ] || grep -vE $'^(PASS|FAIL)\t' <<<"$out" | tail -5 | sed 's/^/#   /'
  check "the static checks ran to the end" test "$rc" = 0
fi
check ".env is git-ignored (secrets never committed)" git check-ignore -q .env

# ------------------------------------------------------------------ 3a: runtime libraries
runtime_pkgs=$(sed -n 's/^RUNTIME_PKGS="\(.*\)"$/\1/p' scripts/deps.sh)
missing_pkgs=""
while read -r lib; do
  # a sanitizer build (make sanitize) also links the toolchain's runtimes; no image ships those
  case $lib in libasan.so* | libubsan.so* | liblsan.so* | libtsan.so*) continue ;; esac
  path=$(ldd "$AAM_BIN" | awk -v l="$lib" '$1 == l { print $3 }')
  pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
  [ -z "$pkg" ] && pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)
  case " $runtime_pkgs libc6 " in *" $pkg "*) ;; *) missing_pkgs="$missing_pkgs $lib(${pkg:-?})" ;; esac
done < <(readelf -d "$AAM_BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$missing_pkgs" ] && echo "#   not covered:$missing_pkgs"
check "scripts/deps.sh --runtime covers every shared library build/aam links" \
  test -n "$runtime_pkgs" -a -z "$missing_pkgs"

# ------------------------------------------------------------------ 3b: the postgres init step
role=it_role_$RANDOM owner=it_owner_$RANDOM dbn=it_initdb_$RANDOM rolepw=pw$RANDOM$RANDOM ownerpw=pw$RANDOM$RANDOM
out=$(PGHOST=$STACK_DIR/sock PGPORT=$PG_PORT POSTGRES_USER=postgres AAM_DB_USER=$role \
  AAM_DB_PASSWORD=$rolepw AAM_DB_OWNER=$owner AAM_DB_OWNER_PASSWORD=$ownerpw AAM_DB_NAME=$dbn \
  sh docker/initdb/01-app-role.sh 2>&1); rc=$?
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/#   /'
check "docker/initdb/01-app-role.sh runs against PostgreSQL 15" test "$rc" = 0
flags=$(stack_psql_super -d postgres -Atc "SELECT string_agg(format('%s:%s%s%s', r.rolname, r.rolsuper::int,
  r.rolbypassrls::int, r.rolcanlogin::int), ' ' ORDER BY r.rolname = '$owner'), pg_get_userbyid(min(d.datdba::oid))
  FROM pg_roles r, pg_database d WHERE r.rolname IN ('$role', '$owner') AND d.datname = '$dbn'")
check "…both roles log in, neither is superuser or BYPASSRLS, the owner owns the database ($flags)" \
  test "$flags" = "$role:001 $owner:001|$owner"
role_url="postgresql://$role:$rolepw@127.0.0.1:$PG_PORT/$dbn"
owner_url="postgresql://$owner:$ownerpw@127.0.0.1:$PG_PORT/$dbn"
check "…and aam migrate as the owner creates the schema, granting the app role" \
  env DATABASE_URL="$role_url" AAM_MIGRATE_DATABASE_URL="$owner_url" AAM_APP_ROLE="$role" "$AAM_BIN" migrate
forced=$(stack_psql_super -d "$dbn" -Atc "SELECT count(*) FROM pg_class WHERE relname IN
  ('tenants','users','connections') AND relrowsecurity AND relforcerowsecurity")
check "…with row-level security forced on tenants, users and connections" test "$forced" = 3
leak=$(PGPASSWORD=$rolepw "$PGBIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U "$role" -d "$dbn" -Atc \
  "INSERT INTO tenants (namespace, name) VALUES ('x', 'x')" 2>&1)
check "…and RLS binds the role (no tenant set: an insert is refused)" grep -q 'row-level security' <<<"$leak"
alter=$(PGPASSWORD=$rolepw "$PGBIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U "$role" -d "$dbn" -Atc \
  "ALTER TABLE connections NO FORCE ROW LEVEL SECURITY" 2>&1)
check "…and the app role cannot lift it (must be owner)" grep -q 'must be owner' <<<"$alter"
stack_psql_super -d postgres -c "DROP DATABASE $dbn" -c "DROP OWNED BY $role" -c "DROP ROLE $role" \
  -c "DROP ROLE $owner" >/dev/null 2>&1

# ------------------------------------------------------------------ 3c: the image's layout
# /app as WORKDIR with the three folders, the binary elsewhere on PATH, a non-root user.
IMG=$(mktemp -d /tmp/aam-image.XXXXXX)
chmod 755 "$IMG"
mkdir -p "$IMG/app" "$IMG/bin"
cp "$AAM_BIN" "$IMG/bin/aam"
for d in migrations seeds mock_sources; do [ -d "$d" ] && cp -r "$d" "$IMG/app/"; done
chmod -R a+rX "$IMG"
as_app_user() {  # the image's USER: any non-root user; here nobody
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}
migrate_cmd=$(${PY:-python3} -c 'import yaml; c = yaml.safe_load(open("docker-compose.yml"))["services"]["migrate"]["command"]
print(c[0] if isinstance(c, list) else c)' 2>/dev/null)
demo_pw=deploy-$RANDOM$RANDOM
out=$(cd "$IMG/app" && as_app_user env PATH="$IMG/bin:$PATH" AAM_DEMO_PASSWORD="$demo_pw" \
  sh -c "$migrate_cmd" 2>&1); rc=$?
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
check "the migrate service's command ('$migrate_cmd') succeeds from WORKDIR as a non-root user" test "$rc" = 0
cat >"$IMG/bin/aam-in-image" <<EOF
#!/bin/sh
cd "$IMG/app" || exit 1
if [ "\$(id -u)" = 0 ]; then exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$IMG/bin/aam" "\$@"; fi
exec "$IMG/bin/aam" "\$@"
EOF
chmod 755 "$IMG/bin/aam-in-image"
AAM_BIN=$IMG/bin/aam-in-image
# shellcheck disable=SC2119  # no extra environment for this server
if server_start; then
  smoke=$(BASE_URL=$BASE_URL AAM_DEMO_PASSWORD=$demo_pw bash tests/smoke.sh 2>&1); rc=$?
  printf '%s\n' "$smoke" | sed 's/^/#   /'
  check "aam serve from the image layout passes tests/smoke.sh" test "$rc" = 0
  req GET /api/v1/aam/connectors/filesource_demo/files \
    -H "Authorization: Bearer $(curl -s -X POST "$BASE_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"email\":\"demo@autonomos.local\",\"password\":\"$demo_pw\"}" | jq -r .access_token)"
  expect_status 200 "…and the demo connector's files resolve from WORKDIR/mock_sources"
  server_stop
else
  check "aam serve starts from the image layout as a non-root user" false
fi
rm -rf "$IMG"

finish
