#!/usr/bin/env bash
# Runs every libFuzzer target (one per tests/fuzz/fuzz_*.c) built in BUILD_DIR for SECONDS each,
# starting from its committed seed corpus tests/fuzz/corpus/<target>/. New inputs go to a scratch
# copy (BUILD_DIR/fuzz-scratch/<target>), never into the tree. A target that is not built, has no
# seeds, crashes, leaks, times out or runs out of memory fails the run: the script names it,
# shows the end of its log and the command that reproduces the finding, and exits 1.
set -uo pipefail
BUILD_DIR=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
SCRATCH="$BUILD_DIR/fuzz-scratch"
FINDINGS="$BUILD_DIR/fuzz-findings"
rm -rf "$SCRATCH" "$FINDINGS"
mkdir -p "$SCRATCH" "$FINDINGS"
failed=()
n=0
for src in "$HERE"/fuzz_*.c; do
  name=$(basename "$src" .c)
  n=$((n + 1))
  bin="$BUILD_DIR/$name"
  seeds="$HERE/corpus/$name"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $name FAILED: $bin is not built (cmake --build $BUILD_DIR --target fuzzers)"
    failed+=("$name")
    continue
  fi
  if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
    echo "fuzz: $name FAILED: no seed corpus in tests/fuzz/corpus/$name/"
    failed+=("$name")
    continue
  fi
  work="$SCRATCH/$name"
  mkdir -p "$work"
  cp "$seeds"/* "$work"/
  nseeds=$(ls -A "$seeds" | wc -l)
  log="$BUILD_DIR/$name.log"
  # -timeout: one input running longer than 10 s is a finding; -rss_limit_mb: so is 2 GiB
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$FINDINGS/$name-" "$work" >"$log" 2>&1
  rc=$?
  found=$(ls "$FINDINGS" 2>/dev/null | grep "^$name-" || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -ne 0 ] || [ -n "$found" ]; then
    echo "fuzz: $name FOUND A PROBLEM (exit $rc) after ${runs:-?} runs; log: $log"
    grep -E "ERROR: |SUMMARY: |runtime error:|Test unit written" "$log" | head -8 | sed 's/^/  /'
    for f in $found; do echo "  reproduce: $bin $FINDINGS/$f"; done
    failed+=("$name")
  else
    echo "fuzz: $name ok: ${runs:-?} inputs run in ${SECONDS_EACH}s, no finding (seeds: $nseeds, corpus now: $(ls -A "$work" | wc -l))"
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: ${#failed[@]} of $n targets FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all $n targets ran ${SECONDS_EACH}s each without a finding"
