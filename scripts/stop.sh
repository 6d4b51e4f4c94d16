#!/usr/bin/env bash
# `make stop`: stops what `make dev` started (processes and services), nothing else.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PIDS="$ROOT/.data/dev/pids"
for name in ui api worker fake-github; do
  file="$PIDS/$name.pid"
  [ -f "$file" ] || continue
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    # The whole process group (scripts/dev.sh starts each under setsid).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$file"
done
"$ROOT/scripts/services.sh" stop dev
