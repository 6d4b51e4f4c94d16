#!/usr/bin/env bash
# The api's read path under load, on loopback: seeds SKILLS synthetic skills
# (bench/seed_skills.sql), starts the release `skilldex-api` binary, and drives it with wrk
# for each request shape, every shape rotating through many different requests
# (bench/wrk_report.lua) so that it measures search rather than one cached answer:
#   search_popular     every word of the index found in more than 1,000 skills
#   search_rare        2,000 words found in 2 to 50 skills
#   search_misspelled  typos of indexed words that full text cannot find, so every one
#                      takes the spelling correction (bench/search_queries.sql)
#   skill_page         10,000 different skill pages
# Each shape runs twice: with the response cache off (CACHE_TTL 0: what one search costs)
# and as shipped (5 s). For the cached runs the script reports the share of requests the
# cache answered, from PostgreSQL's transaction counter (statements per request cached,
# against uncached). Prints, per shape and cache setting, the median over RUNS runs of p50,
# p99 and requests/s, the load average, and how CPU time split between wrk, the api and
# PostgreSQL. Target (issue 4): search p99 <= 15 ms at >= 2,000 req/s on this 2-core
# machine. Then, when the UI is built (frontend/dist) and frontend/e2e's modules are
# installed, time to first results in Chromium on the same index (frontend/e2e/ttfr.mjs).
#
#   bench/api.sh                               # 100,000 skills, 3 runs x 10 s, 32 connections
#   SKILLS=100000 RUNS=5 DURATION=15 CONNECTIONS=64 bench/api.sh
#   CACHE_TTLS=0 SHAPES="search_rare skill_page" bench/api.sh   # a subset
#   RESEED=1 bench/api.sh                      # rebuild the benchmark database
#
# The database (skilldex_bench_api) is kept between runs and reseeded when its skill count
# or bench/seed_skills.sql changed (recorded as the database's comment); migrations are
# applied every time. Uses the running test services, or starts them and stops them on
# exit.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

SKILLS="${SKILLS:-100000}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
DB_NAME="${DB_NAME:-skilldex_bench_api}"
DB_POOL="${DB_POOL:-16}"
# CACHE_TTL (one setting) is still understood.
CACHE_TTLS="${CACHE_TTLS:-${CACHE_TTL:-0 5}}"
SHAPES="${SHAPES:-search_popular search_rare search_misspelled skill_page}"

command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v psql >/dev/null 2>&1 || apt_install postgresql-client

build_release_bench
bin="$ROOT/target/release"

work="$(mktemp -d)"
api_pid=""
stop_api() {
  if [ -n "$api_pid" ]; then
    kill "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
    api_pid=""
  fi
}
cleanup() {
  stop_api
  rm -rf "$work"
  if [ "${TEST_SERVICES_STARTED:-0}" = 1 ]; then scripts/services.sh stop test; fi
}
trap cleanup EXIT
use_test_services

admin_url="$SKILLDEX_TEST_PG_URL"
db_url="${admin_url%/*}/$DB_NAME"
seed_mark="bench/seed_skills.sql $(md5sum bench/seed_skills.sql | cut -c1-32) skills=$SKILLS"
if ! psql "$admin_url" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
  psql "$admin_url" -qc "CREATE DATABASE \"$DB_NAME\""
fi
SKILLDEX_DATABASE_URL="$db_url" "$bin/skilldex-migration" up
have="$(psql "$admin_url" -Atqc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$DB_NAME'")"
if [ "${RESEED:-0}" = 1 ] || [ "$have" != "$seed_mark" ]; then
  log "seeding $SKILLS skills into $DB_NAME (about 90 s per 100,000)"
  psql "$admin_url" -qc "DROP DATABASE \"$DB_NAME\" WITH (FORCE)" -c "CREATE DATABASE \"$DB_NAME\""
  SKILLDEX_DATABASE_URL="$db_url" "$bin/skilldex-migration" up
  seed_started=$SECONDS
  psql "$db_url" -q -v skills="$SKILLS" -f bench/seed_skills.sql
  psql "$admin_url" -qc "COMMENT ON DATABASE \"$DB_NAME\" IS '$seed_mark'"
  log "seeded in $((SECONDS - seed_started)) s"
fi
psql "$db_url" -qc 'VACUUM ANALYZE'

# Request lists, one path per line.
psql "$db_url" -AtqF $'\t' -f bench/search_queries.sql >"$work/queries.tsv"
for kind in popular rare misspelled; do
  awk -F'\t' -v k="$kind" '$1 == k { print "/api/v1/skills?q=" $2 }' "$work/queries.tsv" \
    >"$work/search_$kind.txt"
  [ -s "$work/search_$kind.txt" ] || die "no $kind queries in the benchmark index"
done
psql "$db_url" -Atq -c "SELECT '/api/v1/skills/' || r.owner || '/' || r.name || '/' || k.name
  FROM skills k JOIN repositories r ON r.id = k.repository_id
  ORDER BY md5(k.id::text) LIMIT 10000" >"$work/skill_page.txt"
log "requests in rotation: $(for s in $SHAPES; do printf '%s %s, ' "$s" "$(wc -l <"$work/$s.txt")"; done)"

# Starts the api with response cache TTL $1; sets base.
start_api() {
  local port
  port="$(free_port)"
  # Request logs off (warn): the measurement is of the request path, not of log shipping.
  SKILLDEX_DATABASE_URL="$db_url" \
  SKILLDEX_DATABASE_MAX_CONNECTIONS="$DB_POOL" \
  SKILLDEX_HTTP_ADDR="127.0.0.1:$port" \
  SKILLDEX_AUTH_JWT_SECRET="bench-secret-bench-secret-bench-secret-0123" \
  SKILLDEX_LOG=warn \
  SKILLDEX_HTTP_CACHE_TTL_SECS="$1" \
  SKILLDEX_UI_DIR="${UI_DIR:-$ROOT/frontend/dist}" \
    "$bin/skilldex-api" >>"$work/api.log" 2>&1 &
  api_pid=$!
  base="http://127.0.0.1:$port"
  wait_for 30 "api on :$port" curl -fsS "$base/health" \
    || { cat "$work/api.log"; die "the api did not start"; }
}

# Transactions committed in the benchmark database so far. Backends report their counts
# when idle, within 10 s (PGSTAT_IDLE_INTERVAL), hence the pause before reading.
xacts() {
  sleep 11
  psql "$db_url" -Atqc "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
}

# CPU seconds (user + system) used so far by process $1 (all its threads), and by the
# PostgreSQL backends serving the benchmark database (the api's pool).
cpu_of() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# pg_cpu FILE: writes "pid seconds" of each backend to FILE; with a second FILE of an
# earlier call, prints the CPU seconds used since then by backends alive at both times or
# started in between (one that exits in between is not counted).
pg_cpu() {
  local pid
  for pid in $(psql "$db_url" -Atqc "SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()"); do
    awk -v p="$pid" '{ print p, ($14 + $15) / 100 }' "/proc/$pid/stat" 2>/dev/null || true
  done >"$1"
  if [ -n "${2:-}" ]; then
    awk 'NR == FNR { before[$1] = $2; next } { used += $2 - before[$1] } END { print used + 0 }' "$2" "$1"
  fi
}
# Cumulative CPU of wrk children is in /proc/self/stat of this shell (cutime, cstime).
children_cpu() { awk '{ print ($16 + $17) / 100 }' /proc/$$/stat; }

# Probes a sample of each list: every request answers 200; totals, corrections.
probe() {
  python3 - "$base" "$work" "$SHAPES" <<'EOF'
import json, statistics, sys, urllib.request
base, work, shapes = sys.argv[1], sys.argv[2], sys.argv[3].split()
source = {}
for line in open(f"{work}/queries.tsv"):
    kind, query, word = line.rstrip("\n").split("\t")
    source[query] = word
for shape in shapes:
    paths = [p.strip() for p in open(f"{work}/{shape}.txt") if p.strip()]
    sample = paths[:: max(1, len(paths) // 50)][:50]
    totals, fuzzy, same, empty = [], 0, 0, 0
    for path in sample:
        with urllib.request.urlopen(base + path) as r:
            if r.status != 200:
                sys.exit(f"{shape}: {path} answered {r.status}")
            d = json.load(r)
        if "total" not in d:
            continue
        totals.append(d["total"])
        empty += not d["items"]
        if d["fuzzy"]:
            fuzzy += 1
            q = path.split("q=", 1)[1]
            same += d["corrected_query"] == source.get(q)
    if totals:
        print(f"probe {shape}: {len(sample)} of {len(paths)} queries: total min {min(totals)}, "
              f"median {statistics.median(totals):.0f}, max {max(totals)}; "
              f"{empty} without results; {fuzzy} corrected ({same} to the word they came from)")
    else:
        print(f"probe {shape}: {len(sample)} of {len(paths)} pages answered 200")
EOF
}

results="$work/results.txt"
: >"$results"
for ttl in $CACHE_TTLS; do
  start_api "$ttl"
  [ -n "${probed:-}" ] || { probe >&2; probed=1; }
  for shape in $SHAPES; do
    list="$work/$shape.txt"
    run_wrk() { WRK_THREADS="$THREADS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1" -s bench/wrk_report.lua "$base/" -- "$list" | grep '^RESULT'; }
    x0="$(xacts)"
    requests="$(run_wrk 2s | sed 's/.*requests=\([0-9]*\).*/\1/')" # warm-up
    for run in $(seq 1 "$RUNS"); do
      load="$(cut -d' ' -f1 /proc/loadavg)"
      pg_cpu "$work/pg_before"
      c_api="$(cpu_of "$api_pid")" c_wrk="$(children_cpu)"
      line="$(run_wrk "${DURATION}s")"
      cpu="$(awk -v a="$(children_cpu)" -v b="$c_wrk" -v c="$(cpu_of "$api_pid")" -v d="$c_api" \
        -v e="$(pg_cpu "$work/pg_after" "$work/pg_before")" -v s="$DURATION" \
        'BEGIN { printf "cpu_wrk=%.2f cpu_api=%.2f cpu_pg=%.2f", (a - b) / s, (c - d) / s, e / s }')"
      requests=$((requests + $(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')))
      echo "$shape ttl=$ttl run=$run load=$load $cpu ${line#RESULT }" | tee -a "$results" >&2
    done
    x1="$(xacts)"
    echo "$shape ttl=$ttl statements=$((x1 - x0)) requests=$requests" | tee -a "$results" >&2
  done
  [ "$ttl" = "$(echo "$CACHE_TTLS" | awk '{ print $NF }')" ] || stop_api
done

echo "load average before summary: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$SKILLS" "$CONNECTIONS" "$DURATION" "$RUNS" "$THREADS" "$DB_POOL" <<'EOF'
import statistics, sys
path, skills, conns, duration, runs, threads, pool = sys.argv[1:]
rows, stmts = {}, {}
for line in open(path):
    shape, *fields = line.split()
    kv = dict(f.split("=", 1) for f in fields)
    if "statements" in kv:
        stmts[(shape, kv["ttl"])] = int(kv["statements"]) / max(1, int(kv["requests"]))
    else:
        rows.setdefault((shape, kv["ttl"]), []).append(kv)
print(f"api read path: {int(skills):,} skills, wrk -t{threads} -c{conns}, {runs} x {duration} s "
      f"per shape (medians), pool {pool}")
print(f"{'shape':<19}{'cache':>6}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'non-2xx':>8}"
      f"{'stmt/req':>9}{'cached':>8}{'load':>6}  cores: wrk api pg")
for (shape, ttl), runs_ in rows.items():
    med = lambda k: statistics.median(float(r[k]) for r in runs_)
    bad = sum(int(r["non2xx"]) + int(r["socket_errors"]) for r in runs_)
    per = stmts.get((shape, ttl))
    base = stmts.get((shape, "0"))
    cached = "-"
    if ttl != "0" and per is not None and base:
        cached = f"{max(0.0, 1 - per / base):.0%}"
    print(f"{shape:<19}{ttl + ' s':>6}{med('p50_ms'):>9.2f}{med('p99_ms'):>9.2f}{med('rps'):>9.0f}"
          f"{bad:>8}{per if per is None else round(per, 2):>9}{cached:>8}{med('load'):>6.1f}"
          f"  {med('cpu_wrk'):.2f} {med('cpu_api'):.2f} {med('cpu_pg'):.2f}")
EOF

if [ -f "$ROOT/frontend/dist/index.html" ] && [ -d "$ROOT/frontend/e2e/node_modules" ] && [ -x /usr/bin/chromium ]; then
  log "time to first results in Chromium on the $SKILLS-skill index (cache TTL $ttl s)"
  for query in data zettelkasten; do
    (cd "$ROOT/frontend/e2e" && node ttfr.mjs --base-url "$base" --query "$query" --runs 5) | tail -n 1
  done
else
  warn "skipping time to first results: build the UI and run scripts/tools.sh --all first"
fi
