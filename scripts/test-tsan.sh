#!/usr/bin/env bash
# Builds the threaded parts under ThreadSanitizer (the shim, which runs each tool call on a
# thread of its own, and the daemon's worker pool) and runs their tests: the shim tier and the
# unit tier. BUILD_DIR (default build-tsan) and JOBS (default nproc) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build-tsan}"
jobs="${JOBS:-$(nproc)}"
# clang: its ThreadSanitizer understands the fences Asio uses (GCC 12 refuses them, -Wtsan).
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="${CXX:-clang++}" -DCMAKE_BUILD_TYPE=Debug \
  -DBACKBURNER_TSAN=ON -DBACKBURNER_WERROR=ON >/dev/null
# Only what these tiers need: the test binaries and the programs the shim tests start.
cmake --build "$build" -j"$jobs" --target bb_unit_tests bb_shim_tests backburner-mcp backburnerd \
  backburner-keeper bb-testchild
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 -L 'unit|shim'
