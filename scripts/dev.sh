#!/usr/bin/env bash
# `make dev`: the whole system on this machine. Starts whatever of PostgreSQL, Temporal
# (UI on :8233) and S3 is missing, migrates, runs the api (:8080), the worker and the Vite
# dev server (:5173), and runs the Ping workflow once. Ctrl-C (or `make stop`) stops all of it.
#
#   scripts/dev.sh             GitHub is api.github.com (SKILLDEX_GITHUB_API_URL in .env)
#   scripts/dev.sh --offline   GitHub is the fake-github server of test-support, serving the
#                              corpus repositories (anthropics/skills, obra/superpowers), the
#                              fixture repositories and the hostile ones: a demo without internet
#                              (`make dev OFFLINE=1`)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

offline=""
for arg in "$@"; do
  case "$arg" in
    --offline) offline=1 ;;
    *) die "unknown argument: $arg (usage: scripts/dev.sh [--offline])" ;;
  esac
done

[ -f .env ] || { cp .env.example .env; log "created .env from .env.example"; }
set -a
. ./.env
set +a

scripts/tools.sh --all
scripts/services.sh start dev
set -a
. ./.data/dev/services.env
set +a

PIDS="$ROOT/.data/dev/pids"
mkdir -p "$PIDS"

cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  "$ROOT/scripts/stop.sh" || true
}
trap cleanup INT TERM EXIT

log "building api, worker and migration"
cargo build -p skilldex-api -p skilldex-worker -p skilldex-migration
BIN="$ROOT/target/debug"

"$BIN/skilldex-migration" up

# Each process leads its own process group, so `make stop` also reaches its children
# (npm runs vite through a shell).
start_bg() {
  local name="$1"; shift
  setsid "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

if [ -n "$offline" ]; then
  cargo build -p skilldex-test-support --bin fake-github
  # The fake prints its base URL as the first line on stdout; the rest of its output is logs.
  url_file="$ROOT/.data/dev/fake-github.url"
  rm -f "$url_file"
  setsid "$BIN/fake-github" --port "${SKILLDEX_FAKE_GITHUB_PORT:-8787}" \
    > >(head -n 1 >"$url_file"; cat >/dev/null) 2> >(sed -u "s/^/[fake-github] /" >&2) &
  echo $! >"$PIDS/fake-github.pid"
  wait_for 30 "fake GitHub" test -s "$url_file" || die "fake-github did not start"
  export SKILLDEX_GITHUB_API_URL
  SKILLDEX_GITHUB_API_URL="$(cat "$url_file")"
  log "offline: GitHub is the fake at $SKILLDEX_GITHUB_API_URL (anthropics/skills, obra/superpowers, fixtures)"
fi

start_bg worker "$BIN/skilldex-worker"
start_bg api "$BIN/skilldex-api"
wait_for 30 "api" curl -sf "http://${SKILLDEX_HTTP_ADDR:-127.0.0.1:8080}/health" \
  || die "the api did not answer on ${SKILLDEX_HTTP_ADDR:-127.0.0.1:8080}/health"
start_bg ui npm --prefix frontend run dev -- --host 127.0.0.1 --strictPort

"$BIN/skilldex-worker" ping --message "hello from make dev" || warn "Ping did not complete"

cat >&2 <<MSG

  Skilldex is running:
    web UI        http://127.0.0.1:5173
    api           http://${SKILLDEX_HTTP_ADDR:-127.0.0.1:8080}   (try /health/db)
    Temporal UI   http://127.0.0.1:${SKILLDEX_TEMPORAL_UI_PORT:-8233}
    operator CLI  .tools/venv/bin/temporal workflow list --address ${SKILLDEX_TEMPORAL_ADDRESS#http://}
    GitHub        ${SKILLDEX_GITHUB_API_URL}${offline:+ (fake: try registering anthropics/skills)}

  Ctrl-C or \`make stop\` stops everything.
MSG
wait
