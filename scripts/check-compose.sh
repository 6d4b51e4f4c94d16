#!/usr/bin/env bash
# Static checks of the container files; needs no Docker engine.
#
#   scripts/check-compose.sh [--no-install] [COMPOSE_FILE]
#
# 1. Validates COMPOSE_FILE (default: docker-compose.yml at the repo root) with
#    the first validator found: `docker compose` (v2 plugin), then
#    `docker-compose` (v2 standalone or Debian's v1). When none is installed and
#    we run as root, installs Debian's `docker-compose` package (without the
#    recommended docker.io engine) unless --no-install is given.
#    Validation runs with an empty environment and an empty env file, so the
#    `${VAR:-default}` defaults are what is checked, not a developer's .env.
#    Fails on a schema error and on any variable used without a default.
# 2. Checks that the expected services are defined.
# 3. Checks that every `COPY --from=<name>` in the Dockerfile names a stage
#    defined earlier, and lints it with hadolint when that is installed
#    (Debian has no package for it; skipped otherwise, and the script says so).
#
# Exits non-zero when any check fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[check-compose] %s\n' "$*" >&2; }
die() { printf '[check-compose] FAIL: %s\n' "$*" >&2; exit 1; }

install=1
compose_file=""
for arg in "$@"; do
  case "$arg" in
    --no-install) install="" ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option: $arg" ;;
    *) compose_file="$arg" ;;
  esac
done
compose_file="${compose_file:-$ROOT/docker-compose.yml}"
dockerfile="$ROOT/Dockerfile"
[ -f "$compose_file" ] || die "no such file: $compose_file"

expected_services=(postgres temporal minio createbuckets migrate api worker)

# --- pick a validator --------------------------------------------------------
validator=()
find_validator() {
  if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
    validator=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    validator=(docker-compose)
  fi
}
find_validator
if [ ${#validator[@]} -eq 0 ]; then
  if [ -n "$install" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "no compose validator found; installing Debian's docker-compose (no engine)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
    find_validator
  fi
fi
[ ${#validator[@]} -gt 0 ] ||
  die "no compose validator: install Docker Compose, or run as root: apt-get install --no-install-recommends docker-compose"

validator_version="$("${validator[@]}" version 2>/dev/null | head -n 1 || true)"
log "validator: ${validator[*]} (${validator_version:-unknown version})"

# --- 1. schema + interpolation -----------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/empty.env"

run_compose() {
  # A clean environment: only what the tool itself needs.
  env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 \
    "${validator[@]}" --project-directory "$(dirname "$compose_file")" \
    --env-file "$tmp/empty.env" -f "$compose_file" "$@"
}

log "validating $compose_file"
if ! run_compose config -q 2>"$tmp/stderr"; then
  cat "$tmp/stderr" >&2
  die "$compose_file is not a valid compose file"
fi
if grep -Ei 'variable is not set|defaulting to a blank string' "$tmp/stderr" >&2; then
  die "$compose_file uses variables without a \${VAR:-default}"
fi
[ -s "$tmp/stderr" ] && sed 's/^/  validator: /' "$tmp/stderr" >&2
log "ok: schema and interpolation"

# --- 2. services ----------------------------------------------------------------
services="$(run_compose config --services 2>/dev/null)"
missing=()
for service in "${expected_services[@]}"; do
  grep -qx "$service" <<<"$services" || missing+=("$service")
done
[ ${#missing[@]} -eq 0 ] || die "missing services: ${missing[*]}"
log "ok: services $(tr '\n' ' ' <<<"$services")"

# --- 3. Dockerfile --------------------------------------------------------------
if [ -f "$dockerfile" ]; then
  # Every COPY --from=<stage> must name a stage defined above it.
  awk '
    toupper($1) == "FROM" {
      for (i = 2; i <= NF; i++) if (toupper($i) == "AS" && i < NF) stages[tolower($(i + 1))] = 1
    }
    toupper($1) == "COPY" {
      for (i = 2; i <= NF; i++) if ($i ~ /^--from=/) {
        stage = tolower(substr($i, 8))
        if (stage ~ /[:\/]/ || stage ~ /^[0-9]+$/) continue  # an image or a stage index
        if (!(stage in stages)) { printf "line %d: COPY --from=%s names no earlier stage\n", NR, stage; bad = 1 }
      }
    }
    END { exit bad }
  ' "$dockerfile" >&2 || die "Dockerfile stage references are broken"
  log "ok: Dockerfile stage references"

  if command -v hadolint >/dev/null 2>&1; then
    hadolint "$dockerfile" || die "hadolint reported problems in Dockerfile"
    log "ok: hadolint Dockerfile"
  else
    log "skipped: hadolint is not installed (Debian does not package it), Dockerfile not linted"
  fi
else
  log "skipped: no Dockerfile at $dockerfile"
fi

log "all checks passed"
