#!/usr/bin/env bash
# Runs every benchmark and prints its figures (make bench). BUILD_DIR defaults to build/.
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
ulimit -n 20000 2>/dev/null || true
echo "bench: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$BUILD_DIR/bench_dispatch" "${BENCH_CALLS:-1000000}"
/usr/bin/python3 bench/http_bench.py "$BUILD_DIR/scaiwave"
/usr/bin/python3 bench/ws_fanout.py "$BUILD_DIR/scaiwave"
/usr/bin/python3 bench/ai_turn_bench.py "$BUILD_DIR/scaiwave"
bash tests/mcp/install.sh >/dev/null
/usr/bin/python3 bench/mcp_bench.py "$BUILD_DIR/scaiwave"
