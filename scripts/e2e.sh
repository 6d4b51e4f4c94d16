#!/usr/bin/env bash
# Real-browser end-to-end tests: Debian's Chromium, driven by playwright-core
# (frontend/e2e), against a real stack this script starts on free loopback ports and stops
# on exit, failure included:
#
#   fresh database (migrated) · fake GitHub (corpus + fixtures) · skilldex-worker on its own
#   task queue · skilldex-api serving the built UI (frontend/dist) with an admin configured
#
# Skills are seeded through the real path: POST /api/v1/repositories, the worker syncs them.
# Uses the running test services (`make services-test`), or starts and stops them itself.
#
#   scripts/e2e.sh                 build (cargo + UI), start the stack, seed, run the tests
#   scripts/e2e.sh --no-ui-build   reuse frontend/dist (scripts/test.sh has just built it)
#   SKILLDEX_E2E_KEEP=1 ...        keep the database for inspection (dropped otherwise)
#
# Logs, screenshots and results go to .data/test/e2e/ (git-ignored).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

build_ui=1
for arg in "$@"; do
  case "$arg" in
    --no-ui-build) build_ui="" ;;
    *) die "usage: $0 [--no-ui-build]" ;;
  esac
done

E2E="$ROOT/.data/test/e2e"
LOGS="$E2E/logs"
ARTIFACTS="$E2E"
CHROMIUM="${SKILLDEX_E2E_CHROMIUM:-/usr/bin/chromium}"
# Bounds of the slow steps; every other wait has its own deadline below.
SEED_TIMEOUT="${SKILLDEX_E2E_SEED_TIMEOUT:-240}"
TESTS_TIMEOUT="${SKILLDEX_E2E_TESTS_TIMEOUT:-420}"

step() { log "== e2e: $* =="; }

step "tools (chromium, node modules)"
scripts/tools.sh --all

step "build binaries"
cargo build --locked -p skilldex-api -p skilldex-worker -p skilldex-migration -p skilldex-test-support --bins
BIN="$ROOT/target/debug"
if [ -n "$build_ui" ]; then
  step "build the UI"
  (cd frontend && npm run --silent build)
fi
[ -f frontend/dist/index.html ] || die "frontend/dist/index.html is missing: run \`npm run build\` in frontend/"

started=$SECONDS
# Plain process logs (tracing-subscriber honours NO_COLOR).
export NO_COLOR=1
rm -rf "$LOGS" "$E2E/screenshots" "$E2E/results"
mkdir -p "$LOGS" "$E2E/screenshots" "$E2E/results" "$E2E/work"

# --- teardown: everything started below is recorded here and stopped on exit ------------
PIDS=()
DB_NAME=""
SERVICES_STARTED=0
ok=""
logs_printed=""
torn_down=""

print_logs() {
  local f
  logs_printed=1
  for f in "$LOGS"/*.log; do
    [ -s "$f" ] || continue
    [ "$f" = "$LOGS/tests.log" ] && continue
    printf '\n----- %s (last 150 lines) -----\n' "${f#"$ROOT"/}" >&2
    tail -n 150 "$f" >&2
  done
}

# Stops the processes, drops the database, stops services this script started. Idempotent.
teardown() {
  local pid
  [ -z "$torn_down" ] || return 0
  torn_down=1
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$DB_NAME" ] && [ -z "${SKILLDEX_E2E_KEEP:-}" ]; then
    psql "$SKILLDEX_TEST_PG_URL" -qAtc "drop database if exists \"$DB_NAME\" with (force)" >/dev/null 2>&1 \
      || warn "could not drop database $DB_NAME"
  elif [ -n "$DB_NAME" ]; then
    log "kept database $DB_NAME (SKILLDEX_E2E_KEEP)"
  fi
  if [ "$SERVICES_STARTED" = 1 ]; then "$ROOT/scripts/services.sh" stop test; fi
}

on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$rc" != 0 ] && [ -z "$logs_printed" ]; then
    warn "e2e failed (exit $rc); process logs follow"
    print_logs
  fi
  teardown
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a binary in the background with its output in $LOGS/<name>.log.
start_bg() {
  local name="$1"; shift
  "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS+=("$!")
  eval "${name//-/_}_pid=$!"
}

# wait_alive SECONDS WHAT PID COMMAND...: like wait_for, but fails at once when PID exits.
wait_alive() {
  local seconds="$1" what="$2" pid="$3"; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "$what exited during start-up (see its log below)"
    [ "$SECONDS" -lt "$deadline" ] || die "$what was not ready within ${seconds}s"
    sleep 0.2
  done
}

# --- services and database -------------------------------------------------------------
step "test services"
use_test_services
SERVICES_STARTED="$TEST_SERVICES_STARTED"
command -v psql >/dev/null 2>&1 || apt_install postgresql-client

suffix="$(python3 -c 'import secrets; print(secrets.token_hex(4))')"
DB_NAME="skilldex_e2e_$suffix"
psql "$SKILLDEX_TEST_PG_URL" -qAtc "create database \"$DB_NAME\"" >/dev/null || die "creating database $DB_NAME failed"
DATABASE_URL="${SKILLDEX_TEST_PG_URL%/*}/$DB_NAME"
DATABASE_URL="${DATABASE_URL%%\?*}"
log "database $DB_NAME"
SKILLDEX_DATABASE_URL="$DATABASE_URL" SKILLDEX_LOG_FORMAT=pretty \
  "$BIN/skilldex-migration" up >"$LOGS/migration.log" 2>&1 || die "migrations failed: see $LOGS/migration.log"

# Settings shared by the worker and the api: only what this script sets, whatever .env holds.
export SKILLDEX_DATABASE_URL="$DATABASE_URL"
export SKILLDEX_TEMPORAL_TASK_QUEUE="skilldex-e2e-$suffix"
export SKILLDEX_LOG_FORMAT=pretty
export SKILLDEX_LOG="${SKILLDEX_E2E_LOG:-info}"
unset SKILLDEX_GITHUB_TOKEN

# --- fake GitHub -------------------------------------------------------------------------
step "fake GitHub"
start_bg fake-github "$BIN/fake-github" --fixtures "$ROOT/test-support/fixtures/repos"
# stdout and stderr share the log; the base URL is its first http:// line.
fake_github_url() { grep -m1 -o '^http://127\.0\.0\.1:[0-9]*/' "$LOGS/fake-github.log"; }
wait_alive 30 "fake-github" "$fake_github_pid" fake_github_url
GITHUB_URL="$(fake_github_url)"
log "fake GitHub at $GITHUB_URL"

# --- worker --------------------------------------------------------------------------------
step "worker"
SKILLDEX_GITHUB_API_URL="$GITHUB_URL" SKILLDEX_WORKER_WORK_DIR="$E2E/work" \
  start_bg worker "$BIN/skilldex-worker"

# --- api -------------------------------------------------------------------------------------
step "api"
ADMIN_USERNAME=admin
ADMIN_PASSWORD="e2e-$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"

# An argon2 PHC hash of the admin password: `skilldex-api hash-password` (reads stdin) when
# this build has it, else the reference `argon2` CLI (Debian package argon2).
hash_password() {
  local hash
  hash="$(printf '%s' "$ADMIN_PASSWORD" | timeout 30 "$BIN/skilldex-api" hash-password 2>/dev/null | tail -n 1)" || true
  if [[ "$hash" != \$argon2* ]]; then
    command -v argon2 >/dev/null 2>&1 || apt_install argon2
    hash="$(printf '%s' "$ADMIN_PASSWORD" | argon2 "$(python3 -c 'import secrets; print(secrets.token_hex(8))')" -id -e)"
  fi
  [[ "$hash" == \$argon2* ]] || die "could not produce an argon2 hash of the admin password"
  printf '%s' "$hash"
}
ADMIN_HASH="$(hash_password)"

API_PORT="$(free_port)"
BASE_URL="http://127.0.0.1:$API_PORT"
SKILLDEX_HTTP_ADDR="127.0.0.1:$API_PORT" \
SKILLDEX_UI_DIR="$ROOT/frontend/dist" \
SKILLDEX_HTTP_CORS_ORIGINS="" \
SKILLDEX_AUTH_JWT_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
SKILLDEX_AUTH_ADMIN_USERNAME="$ADMIN_USERNAME" \
SKILLDEX_AUTH_ADMIN_PASSWORD_HASH="$ADMIN_HASH" \
  start_bg api "$BIN/skilldex-api"
wait_alive 60 "skilldex-api" "$api_pid" curl -sf "$BASE_URL/health"
log "api and UI at $BASE_URL"
kill -0 "$worker_pid" 2>/dev/null || die "skilldex-worker exited during start-up (see its log below)"

export SKILLDEX_E2E_BASE_URL="$BASE_URL"
export SKILLDEX_E2E_ADMIN_USERNAME="$ADMIN_USERNAME"
export SKILLDEX_E2E_ADMIN_PASSWORD="$ADMIN_PASSWORD"
export SKILLDEX_E2E_ARTIFACTS="$ARTIFACTS"
export SKILLDEX_E2E_CHROMIUM="$CHROMIUM"

# --- seed through the worker ---------------------------------------------------------------
# The first registration to succeed is also the proof that the worker polls its queue.
step "seed: register the corpus and fixture repositories"
timeout --kill-after=10 "$SEED_TIMEOUT" node frontend/e2e/seed.mjs \
  || die "seeding failed or took longer than ${SEED_TIMEOUT}s"
log "stack up and seeded in $((SECONDS - started))s"

# --- browser tests ---------------------------------------------------------------------------
step "browser tests"
set +e
(cd frontend/e2e && timeout --kill-after=10 "$TESTS_TIMEOUT" \
  node --test --test-concurrency=1 --test-reporter=spec tests/*.test.mjs) 2>&1 | tee "$LOGS/tests.log"
tests_rc="${PIPESTATUS[0]}"
set -e
[ "$tests_rc" = 124 ] && warn "the browser tests did not finish within ${TESTS_TIMEOUT}s"

# --- summary ---------------------------------------------------------------------------------
if compgen -G "$E2E/screenshots/*.png" >/dev/null; then
  log "screenshots:"
  for f in "$E2E"/screenshots/*.png; do printf '  %s\n' "${f#"$ROOT"/}" >&2; done
fi
for f in "$E2E"/results/*.txt; do
  [ -f "$f" ] && log "$(cat "$f")"
done
log "e2e finished in $((SECONDS - started))s (stack start, seeding and tests)"

# Node's runner prints "ℹ pass N" / "ℹ fail N"; restate them as the plain closing line.
strip_ansi() { sed 's/\x1b\[[0-9;]*m//g' "$1"; }
passed="$(strip_ansi "$LOGS/tests.log" | sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' | tail -n 1)"
failed="$(strip_ansi "$LOGS/tests.log" | sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' | tail -n 1)"
if [ "$tests_rc" = 0 ] && [ -n "$passed" ] && [ "$passed" -gt 0 ]; then
  ok=1
else
  warn "browser tests failed (exit $tests_rc); process logs follow"
  print_logs
fi
# Stop everything first, so the summary below is the last line of the output.
teardown
echo "e2e: ${passed:-0} passed, ${failed:-1} failed"
[ -n "$ok" ]
