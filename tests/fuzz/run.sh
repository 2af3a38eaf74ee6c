#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, with a persistent corpus per target
# under BUILD_DIR/corpus/<target>, seeded from tests/fuzz/seeds/<target> when present.
# Exits non-zero on the first finding (libFuzzer leaves a crash-*/leak-*/timeout-* file).
set -euo pipefail
BUILD_DIR=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
status=0
for t in "$BUILD_DIR"/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  corpus="$BUILD_DIR/corpus/$name"
  mkdir -p "$corpus" "$BUILD_DIR/findings"
  seeds=()
  [ -d "$HERE/seeds/$name" ] && seeds=("$HERE/seeds/$name")
  echo "fuzz: $name for ${SECONDS_EACH}s"
  if ! "$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -artifact_prefix="$BUILD_DIR/findings/$name-" \
       "$corpus" "${seeds[@]}" 2> "$BUILD_DIR/$name.log"; then
    echo "fuzz: $name FOUND A PROBLEM (see $BUILD_DIR/$name.log and $BUILD_DIR/findings/)"
    tail -30 "$BUILD_DIR/$name.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD_DIR/$name.log" | sed "s/^/fuzz: $name /"
  fi
done
exit $status
