#!/usr/bin/env bash
# The api's read path under load, on loopback: seeds SKILLS synthetic skills
# (bench/seed_skills.sql), starts the release `skilldex-api` binary, and drives it with wrk
# for each request shape: search for a popular word, a rare word and a misspelled word
# (trigram fallback), and skill pages (1,000 different skills in rotation). Prints, per
# shape, the median over RUNS runs of p50, p99 and requests/s.
# Target (issue 4): search p99 <= 15 ms at >= 2,000 req/s on this 2-core machine.
# Then, when the UI is built (frontend/dist) and frontend/e2e's modules are installed, time
# to first results in Chromium on the same index (frontend/e2e/ttfr.mjs).
# CACHE_TTL=0 measures without the api's response cache (SKILLDEX_HTTP_CACHE_TTL_SECS).
#
#   bench/api.sh                               # 100,000 skills, 3 runs x 10 s, 32 connections
#   SKILLS=100000 RUNS=5 DURATION=15 CONNECTIONS=64 bench/api.sh
#   RESEED=1 bench/api.sh                      # rebuild the benchmark database
#
# The database (skilldex_bench_api) is kept between runs and reseeded only when its skill
# count differs from SKILLS; migrations are applied every time. Uses the running test
# services, or starts them and stops them on exit.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

SKILLS="${SKILLS:-100000}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DB_NAME="${DB_NAME:-skilldex_bench_api}"

command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v psql >/dev/null 2>&1 || apt_install postgresql-client

build_release_bench
bin="$ROOT/target/release"

work="$(mktemp -d)"
api_pid=""
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null
  rm -rf "$work"
  if [ "${TEST_SERVICES_STARTED:-0}" = 1 ]; then scripts/services.sh stop test; fi
}
trap cleanup EXIT
use_test_services

admin_url="$SKILLDEX_TEST_PG_URL"
db_url="${admin_url%/*}/$DB_NAME"
if ! psql "$admin_url" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
  psql "$admin_url" -qc "CREATE DATABASE \"$DB_NAME\""
fi
SKILLDEX_DATABASE_URL="$db_url" "$bin/skilldex-migration" up
have="$(psql "$db_url" -Atqc 'SELECT count(*) FROM skills')"
if [ "${RESEED:-0}" = 1 ] || [ "$have" != "$SKILLS" ]; then
  log "seeding $SKILLS skills into $DB_NAME (about 70 s per 100,000)"
  psql "$admin_url" -qc "DROP DATABASE \"$DB_NAME\" WITH (FORCE)" -c "CREATE DATABASE \"$DB_NAME\""
  SKILLDEX_DATABASE_URL="$db_url" "$bin/skilldex-migration" up
  seed_started=$SECONDS
  psql "$db_url" -q -v skills="$SKILLS" -f bench/seed_skills.sql
  log "seeded in $((SECONDS - seed_started)) s"
fi
psql "$db_url" -qc 'VACUUM ANALYZE'

port="$(free_port)"
# Request logs off (warn): the measurement is of the request path, not of log shipping.
SKILLDEX_DATABASE_URL="$db_url" \
SKILLDEX_DATABASE_MAX_CONNECTIONS="${DB_POOL:-16}" \
SKILLDEX_HTTP_ADDR="127.0.0.1:$port" \
SKILLDEX_AUTH_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123" \
SKILLDEX_LOG=warn \
SKILLDEX_HTTP_CACHE_TTL_SECS="${CACHE_TTL:-5}" \
SKILLDEX_UI_DIR="${UI_DIR:-$ROOT/frontend/dist}" \
  "$bin/skilldex-api" >"$work/api.log" 2>&1 &
api_pid=$!
wait_for 30 "api on :$port" curl -fsS "http://127.0.0.1:$port/health" \
  || { cat "$work/api.log"; die "the api did not start"; }
base="http://127.0.0.1:$port"

# 1,000 skill pages in a fixed pseudo-random order.
psql "$db_url" -Atq -c "SELECT '/api/v1/skills/' || r.owner || '/' || r.name || '/' || k.name
  FROM skills k JOIN repositories r ON r.id = k.repository_id
  ORDER BY md5(k.id::text) LIMIT 1000" >"$work/skill_pages.txt"

declare -A shapes=(
  [search_popular]="/api/v1/skills?q=data"
  [search_rare]="/api/v1/skills?q=zettelkasten"
  [search_misspelled]="/api/v1/skills?q=spredsheet"
  [skill_page]="@$work/skill_pages.txt"
)
order=(search_popular search_rare search_misspelled skill_page)

# Every shape must answer 200 with results before it is worth timing.
for shape in "${order[@]}"; do
  target="${shapes[$shape]}"
  [ "${target:0:1}" = "@" ] && target="$(head -1 "${target:1}")"
  status="$(curl -s -o "$work/probe.json" -w '%{http_code}' "$base$target")"
  [ "$status" = 200 ] || { cat "$work/probe.json"; die "$shape: $target answered $status"; }
  log "probe $shape: $(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print("%s results (exact: %s), searched: %s" % (d["total"], d["total_exact"], d.get("corrected_query") or "as typed") if "total" in d else "skill " + d["name"])' "$work/probe.json")"
done

results="$work/results.txt"
: >"$results"
for shape in "${order[@]}"; do
  target="${shapes[$shape]}"
  args=()
  url="$base$target"
  if [ "${target:0:1}" = "@" ]; then url="$base/"; args=(-- "${target:1}"); fi
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/wrk_report.lua "$url" "${args[@]}" >/dev/null # warm-up
  for run in $(seq 1 "$RUNS"); do
    line="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk_report.lua "$url" "${args[@]}" | grep '^RESULT')"
    echo "$shape run=$run ${line#RESULT }" | tee -a "$results" >&2
  done
done

echo "load average before summary: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$SKILLS" "$CONNECTIONS" "$DURATION" "$RUNS" <<'EOF'
import statistics, sys
path, skills, conns, duration, runs = sys.argv[1:]
rows = {}
for line in open(path):
    shape, *fields = line.split()
    kv = dict(f.split("=", 1) for f in fields)
    rows.setdefault(shape, []).append(kv)
import os
print(f"api read path: {int(skills):,} skills, {conns} connections, {runs} x {duration} s per shape (medians), response cache TTL {os.environ.get('CACHE_TTL', '5')} s")
print(f"{'shape':<20}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>10}{'non-2xx':>9}")
for shape, runs_ in rows.items():
    med = lambda k: statistics.median(float(r[k]) for r in runs_)
    bad = sum(int(r["non2xx"]) + int(r["socket_errors"]) for r in runs_)
    print(f"{shape:<20}{med('p50_ms'):>9.2f}{med('p99_ms'):>9.2f}{med('rps'):>10.0f}{bad:>9}")
EOF

if [ -f "$ROOT/frontend/dist/index.html" ] && [ -d "$ROOT/frontend/e2e/node_modules" ] && [ -x /usr/bin/chromium ]; then
  log "time to first results in Chromium on the $SKILLS-skill index"
  for query in data zettelkasten; do
    (cd "$ROOT/frontend/e2e" && node ttfr.mjs --base-url "$base" --query "$query" --runs 5) | tail -n 1
  done
else
  warn "skipping time to first results: build the UI and run scripts/tools.sh --all first"
fi
