#!/usr/bin/env bash
# Compares the median time of core::package::package_skill with `tar czf` on the same folder,
# using hyperfine. Target: package_skill <= 1.3x tar czf.
#
#   bench/package.sh            # generated 5 MiB skill folder
#   bench/package.sh DIR        # any skill folder
#   RUNS=50 bench/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hyperfine >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y hyperfine >/dev/null
    else
        echo "hyperfine is required (Debian package 'hyperfine')" >&2
        exit 2
    fi
fi

cargo build --release -p skilldex-core --example package_skill
bin="$PWD/target/release/examples/package_skill"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

dir="${1:-}"
if [ -z "$dir" ]; then
    dir="$work/bench-skill"
    "$bin" generate "$dir" 5
fi
dir="$(cd "$dir" && pwd)"
parent="$(dirname "$dir")"
name="$(basename "$dir")"
echo "folder: $dir ($(du -sh "$dir" | cut -f1))"

hyperfine --warmup 3 --runs "${RUNS:-30}" -N \
    --export-json "$work/result.json" \
    -n package_skill "$bin package $dir $work/skill.tar.gz" \
    -n "tar czf" "tar czf $work/tar.tar.gz -C $parent $name"

python3 - "$work/result.json" "$work/skill.tar.gz" "$work/tar.tar.gz" <<'PY'
import json, os, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ours, tar = results["package_skill"]["median"], results["tar czf"]["median"]
ratio = ours / tar
print(f"median package_skill: {ours * 1000:.2f} ms ({os.path.getsize(sys.argv[2])} bytes)")
print(f"median tar czf:       {tar * 1000:.2f} ms ({os.path.getsize(sys.argv[3])} bytes)")
print(f"ratio: {ratio:.2f}x (target <= 1.30x)")
sys.exit(0 if ratio <= 1.3 else 1)
PY
