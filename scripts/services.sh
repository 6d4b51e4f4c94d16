#!/usr/bin/env bash
# Starts and stops the real services Skilldex talks to: PostgreSQL, the Temporal dev server
# and an S3 server (s3s-fs). Two independent sets, each under its own git-ignored folder:
#
#   scripts/services.sh start dev    fixed ports from .env (5432, 7233 + UI 8233, 9000)
#   scripts/services.sh start test   free ports chosen now, headless Temporal, fresh state
#   scripts/services.sh stop  dev|test
#   scripts/services.sh status dev|test
#
# `start` reuses a service that already answers at the configured address (the machine's
# own PostgreSQL, say) and starts only what is missing; `stop` stops only what it started.
# The addresses end up in .data/<mode>/services.env (SKILLDEX_* variables) for make, the
# binaries and the tests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

action="${1:-}"
mode="${2:-}"
case "$mode" in dev|test) ;; *) die "usage: $0 start|stop|status dev|test" ;; esac

DATA="$ROOT/.data/$mode"
PIDS="$DATA/pids"
ENV_FILE="$DATA/services.env"
mkdir -p "$PIDS"

S3_ACCESS_KEY="${SKILLDEX_S3_ACCESS_KEY:-skilldex}"
S3_SECRET_KEY="${SKILLDEX_S3_SECRET_KEY:-skilldex-secret-key}"
S3_BUCKET="${SKILLDEX_S3_BUCKET:-skilldex}"
S3_REGION="${SKILLDEX_S3_REGION:-us-east-1}"

# Search attributes operators filter workflows by (docs/operations.md).
SEARCH_ATTRIBUTES=(--search-attribute SkilldexRepository=Keyword --search-attribute SkilldexTrigger=Keyword)

pid_alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# Runs a command as the user PostgreSQL's binaries accept (they refuse to run as root).
as_pg_user() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_answers() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

url_port() { python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).port or sys.argv[2])' "$1" "$2"; }

# --- PostgreSQL --------------------------------------------------------------------------

start_private_postgres() {
  local port="$1" pgdir="$DATA/pg" bin
  bin="$(pg_bin_dir)" || true
  if [ -z "$bin" ]; then
    apt_install postgresql
    bin="$(pg_bin_dir)" || die "PostgreSQL binaries not found after installing the package"
  fi
  command -v psql >/dev/null 2>&1 || apt_install postgresql-client
  if [ ! -f "$pgdir/PG_VERSION" ]; then
    log "initdb: private PostgreSQL cluster in ${pgdir#"$ROOT"/}"
    mkdir -p "$pgdir"
    is_root && chown postgres "$pgdir"
    as_pg_user "$bin/initdb" -D "$pgdir" -U postgres --auth=trust -E UTF8 --no-sync >"$DATA/initdb.log" 2>&1 \
      || die "initdb failed: see $DATA/initdb.log"
  fi
  log "starting private PostgreSQL on 127.0.0.1:$port"
  as_pg_user "$bin/pg_ctl" -D "$pgdir" -l "$pgdir/server.log" -w -t 60 \
    -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
    start >/dev/null || die "PostgreSQL did not start: see $pgdir/server.log"
  echo "$bin" >"$PIDS/postgres.bin"
}

# Prints the admin URL (database `postgres`) of a server that answers, starting one if needed.
ensure_postgres() {
  local wanted_url="$1" port admin_url
  admin_url="$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path="/postgres").geturl())' "$wanted_url")"
  if pg_answers "$admin_url"; then
    log "PostgreSQL answers at ${admin_url%%\?*} (reusing it)"
  else
    port="$(url_port "$wanted_url" 5432)"
    if [ "$mode" = test ] && port_open "$port"; then
      port="$(free_port)"
    fi
    port_open "$port" && die "port $port is taken by something that is not a usable PostgreSQL; set SKILLDEX_DATABASE_URL"
    start_private_postgres "$port"
    admin_url="postgres://postgres@127.0.0.1:$port/postgres"
  fi
  echo "$admin_url"
}

# --- Temporal ------------------------------------------------------------------------------

temporal_healthy() { "$TEMPORAL" operator cluster health --address "127.0.0.1:$1" 2>/dev/null | grep -q SERVING; }

ensure_temporal() {
  local port="$1" ui_port="$2"
  if temporal_healthy "$port"; then
    log "Temporal answers at 127.0.0.1:$port (reusing it)"
    return
  fi
  port_open "$port" && die "port $port is taken by something that is not Temporal; set SKILLDEX_TEMPORAL_ADDRESS"
  local args=(server start-dev --ip 127.0.0.1 --port "$port" --db-filename "$DATA/temporal.db"
    --log-level warn "${SEARCH_ATTRIBUTES[@]}")
  if [ -n "$ui_port" ]; then
    args+=(--ui-port "$ui_port" --ui-disable-news-fetch)
  else
    args+=(--headless)
  fi
  log "starting Temporal dev server on 127.0.0.1:$port${ui_port:+ (UI http://127.0.0.1:$ui_port)}"
  nohup "$TEMPORAL" "${args[@]}" >"$DATA/temporal.log" 2>&1 &
  echo $! >"$PIDS/temporal.pid"
  wait_for 90 "Temporal" temporal_healthy "$port" || die "Temporal did not become healthy: see $DATA/temporal.log"
}

# --- S3 --------------------------------------------------------------------------------------

s3_curl() { curl -sS -o /dev/null -w '%{http_code}' -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" "$@"; }

ensure_s3() {
  local port="$1"
  if ! port_open "$port"; then
    log "starting s3s-fs on 127.0.0.1:$port (objects in ${DATA#"$ROOT"/}/s3)"
    mkdir -p "$DATA/s3"
    nohup "$S3S_FS" --host 127.0.0.1 --port "$port" --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY" \
      "$DATA/s3" >"$DATA/s3.log" 2>&1 &
    echo $! >"$PIDS/s3.pid"
    wait_for 30 "S3" port_open "$port" || die "s3s-fs did not start: see $DATA/s3.log"
  else
    log "S3 answers at 127.0.0.1:$port (reusing it)"
  fi
  local code
  code="$(s3_curl -I "http://127.0.0.1:$port/$S3_BUCKET")" || true
  if [ "$code" != 200 ]; then
    code="$(s3_curl -X PUT "http://127.0.0.1:$port/$S3_BUCKET")" || true
    case "$code" in 200|409) log "bucket $S3_BUCKET ready" ;; *) die "creating bucket $S3_BUCKET failed (HTTP $code)" ;; esac
  fi
}

# --- actions -------------------------------------------------------------------------------

start() {
  "$ROOT/scripts/tools.sh"
  local db_url pg_admin temporal_port ui_port="" s3_port db_name
  if [ "$mode" = test ]; then
    # A clean slate each run; per-test databases and task queues isolate tests from each other.
    stop_started quiet
    rm -rf "$DATA/temporal.db" "$DATA/s3"
    db_url="${SKILLDEX_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    temporal_port="$(free_port)"
    s3_port="$(free_port)"
  else
    db_url="${SKILLDEX_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/skilldex}"
    temporal_port="$(url_port "${SKILLDEX_TEMPORAL_ADDRESS:-http://127.0.0.1:7233}" 7233)"
    ui_port="${SKILLDEX_TEMPORAL_UI_PORT:-8233}"
    s3_port="$(url_port "${SKILLDEX_S3_ENDPOINT:-http://127.0.0.1:9000}" 9000)"
  fi

  pg_admin="$(ensure_postgres "$db_url")"
  ensure_temporal "$temporal_port" "$ui_port"
  ensure_s3 "$s3_port"

  {
    echo "# Written by scripts/services.sh start $mode; addresses of the running services."
    if [ "$mode" = test ]; then
      echo "SKILLDEX_TEST_PG_URL=$pg_admin"
    else
      db_name="$(python3 -c 'import sys,urllib.parse as u; print(u.urlparse(sys.argv[1]).path.lstrip("/") or "skilldex")' "$db_url")"
      if ! psql "$pg_admin" -Atqc "select 1 from pg_database where datname = '$db_name'" | grep -q 1; then
        log "creating database $db_name"
        psql "$pg_admin" -qc "create database \"$db_name\"" >/dev/null
      fi
      echo "SKILLDEX_DATABASE_URL=${pg_admin%/postgres}/$db_name"
    fi
    echo "SKILLDEX_TEMPORAL_ADDRESS=http://127.0.0.1:$temporal_port"
    echo "SKILLDEX_S3_ENDPOINT=http://127.0.0.1:$s3_port"
    echo "SKILLDEX_S3_BUCKET=$S3_BUCKET"
    echo "SKILLDEX_S3_REGION=$S3_REGION"
    echo "SKILLDEX_S3_ACCESS_KEY=$S3_ACCESS_KEY"
    echo "SKILLDEX_S3_SECRET_KEY=$S3_SECRET_KEY"
    echo "TEMPORAL_ADDRESS=127.0.0.1:$temporal_port"
  } >"$ENV_FILE"
  log "services ready ($mode): ${ENV_FILE#"$ROOT"/}"
}

stop_pid() {
  local name="$1" pid
  pid_alive "$name" || { rm -f "$PIDS/$name.pid"; return 0; }
  pid="$(cat "$PIDS/$name.pid")"
  [ "${2:-}" = quiet ] || log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDS/$name.pid"
}

stop_started() {
  stop_pid temporal "${1:-}"
  stop_pid s3 "${1:-}"
  if [ -f "$PIDS/postgres.bin" ]; then
    [ "${1:-}" = quiet ] || log "stopping private PostgreSQL"
    as_pg_user "$(cat "$PIDS/postgres.bin")/pg_ctl" -D "$DATA/pg" -m fast -w stop >/dev/null 2>&1 || true
    rm -f "$PIDS/postgres.bin"
  fi
}

status() {
  local name
  for name in temporal s3; do
    if pid_alive "$name"; then echo "$name: running (pid $(cat "$PIDS/$name.pid"))"; else echo "$name: not started here"; fi
  done
  if [ -f "$PIDS/postgres.bin" ]; then echo "postgres: private cluster in ${DATA#"$ROOT"/}/pg"; else echo "postgres: not started here"; fi
  [ -f "$ENV_FILE" ] && cat "$ENV_FILE"
  return 0
}

case "$action" in
  start) start ;;
  stop) stop_started; rm -f "$ENV_FILE" ;;
  status) status ;;
  *) die "usage: $0 start|stop|status dev|test" ;;
esac
