#!/usr/bin/env bash
# `make bench`: every benchmark of the repo, each printing medians. Benchmarks that need
# services start them like `make test` does.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

ran=0
for bench in bench/*.sh; do
  [ -e "$bench" ] || continue
  log "== $bench =="
  bash "$bench"
  ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || warn "no benchmarks under bench/ yet"
