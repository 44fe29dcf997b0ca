#!/usr/bin/env bash
# Builds everything and runs the whole test suite (unit, process, end-to-end, protocol).
# BUILD_DIR and CMAKE_EXTRA select another build (CI uses them for the sanitizer run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build="${BUILD_DIR:-build}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DBACKBURNER_WERROR=ON "${launcher[@]}" ${CMAKE_EXTRA:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 300
