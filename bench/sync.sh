#!/usr/bin/env bash
# End-to-end SyncRepository throughput and memory through Temporal + S3 + PostgreSQL, with
# synthetic repositories served by the fake GitHub and the release `skilldex-worker` binary
# as a child process (worker/examples/bench_sync.rs). Prints medians.
# Targets: >= 150 skills/s for 1,000 repos x 10 skills; worker peak RSS <= 150 MB on a
# large archive; an unchanged resync makes 1 GitHub call and 0 writes per repository.
#
#   bench/sync.sh                           # 200 repos x 10 skills, 3 runs; 500 MB archive
#   REPOS=1000 bench/sync.sh                # the full target size
#   REPOS=1000 SKILLS=10 CONCURRENCY=32 LARGE_MIB=477 RUNS=3 bench/sync.sh
#   SCRATCH=/dev/shm REPOS=1000 bench/sync.sh   # worker scratch files on tmpfs
#
# Uses the test services when .data/test/services.env points at running ones; otherwise
# starts them (scripts/services.sh start test) and stops them on exit.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

REPOS="${REPOS:-200}"
SKILLS="${SKILLS:-10}"
CONCURRENCY="${CONCURRENCY:-32}"
# 477 MiB of incompressible files make a gzip archive of just over 500 MB (the target's
# size) while staying under the extractor's 512 MiB decompressed limit.
LARGE_MIB="${LARGE_MIB:-477}"
RUNS="${RUNS:-3}"
# Folder for the worker's scratch files in the throughput runs (default: the system's temp
# folder). The large-repository run always uses the temp folder, so its memory figure
# never counts on files kept in RAM (tmpfs).
SCRATCH="${SCRATCH:-}"

build_release_bench
bin="$ROOT/target/release/examples/bench_sync"
worker="$ROOT/target/release/skilldex-worker"

env_file="$ROOT/.data/test/services.env"
services_up() {
  [ -f "$env_file" ] || return 1
  local t s
  t="$(sed -n 's/^SKILLDEX_TEMPORAL_ADDRESS=.*:\([0-9]*\)$/\1/p' "$env_file")"
  s="$(sed -n 's/^SKILLDEX_S3_ENDPOINT=.*:\([0-9]*\)$/\1/p' "$env_file")"
  [ -n "$t" ] && [ -n "$s" ] && port_open "$t" && port_open "$s"
}
work="$(mktemp -d)"
started_services=0
cleanup() {
  rm -rf "$work"
  if [ "$started_services" = 1 ]; then scripts/services.sh stop test; fi
}
trap cleanup EXIT
if services_up; then
  log "using the running test services ($env_file)"
else
  started_services=1
  scripts/services.sh start test
fi
set -a
. "$env_file"
set +a

log "machine: $(nproc) cores; other builds or tests may share them"
if [ "$REPOS" -gt 0 ]; then
  for run in $(seq "$RUNS"); do
    log "throughput run $run/$RUNS: $REPOS repos x $SKILLS skills, concurrency $CONCURRENCY"
    "$bin" --repos "$REPOS" --skills "$SKILLS" --concurrency "$CONCURRENCY" --large-mib 0 \
      --worker-bin "$worker" ${SCRATCH:+--scratch-parent "$SCRATCH"} | tee "$work/run-$run.txt"
  done
fi
if [ "$LARGE_MIB" -gt 0 ]; then
  log "large repository: $LARGE_MIB MiB, 1 run"
  "$bin" --repos 0 --large-mib "$LARGE_MIB" --worker-bin "$worker" | tee "$work/large.txt"
fi

python3 - "$work" "$REPOS" "$SKILLS" <<'PY'
import glob, statistics, sys
work, repos, skills = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def read(path):
    out = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "METRIC":
            out[parts[1]] = float(parts[2])
    return out
runs = [read(p) for p in sorted(glob.glob(f"{work}/run-*.txt"))]
ok = True
if runs:
    med = lambda k: statistics.median(r[k] for r in runs)
    sps = med("skills_per_s")
    print(f"sync {repos} repos x {skills} skills, median of {len(runs)}: "
          f"{med('sync_wall_s'):.2f} s, {sps:.1f} skills/s, {med('repos_per_s'):.2f} repos/s "
          f"({sps / 150:.2f}x the 150 skills/s target)")
    calls, rows = med("resync_api_calls_per_repo"), med("resync_rows_written")
    print(f"unchanged resync, median: {med('resync_wall_s'):.2f} s, {calls:.2f} GitHub API calls/repo "
          f"(target 1), {rows:.0f} rows written (target 0), "
          f"{med('resync_up_to_date'):.0f}/{repos} up to date")
    print(f"worker peak RSS after throughput run, median: {med('throughput_worker_peak_rss_mib'):.1f} MiB")
    ok = ok and calls <= 1 and rows == 0 and max(r["resync_rows_updated"] for r in runs) == 0
large = glob.glob(f"{work}/large.txt")
if large:
    l = read(large[0])
    rss = l["large_worker_peak_rss_mib"] * 1048576 / 1e6
    print(f"large repository {l['large_repo_mib']:.0f} MiB of files, archive "
          f"{l['large_archive_bytes'] / 1e6:.1f} MB, 1 run: {l['large_sync_wall_s']:.2f} s, "
          f"worker peak RSS {l['large_worker_peak_rss_mib']:.1f} MiB = {rss:.1f} MB "
          f"(target <= 150 MB: {rss / 150:.2f}x)")
PY
