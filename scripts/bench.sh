#!/usr/bin/env bash
# Runs the benchmarks: builds what they need (if it is not built yet), then backburner-bench,
# which starts its own daemon in a temp state dir and prints a table of figures.
#
#   scripts/bench.sh            full run (a few minutes; the table in docs/PERFORMANCE.md)
#   scripts/bench.sh --quick    small sizes, under a minute (CI runs this)
#   scripts/bench.sh --json FILE ...   any other arguments go to backburner-bench
#
# Benchmarks are not tests: a missed target or a slow machine never fails this script. It
# exits non-zero only when the benchmark could not run at all (no build, no daemon).
# BUILD_DIR selects the build directory (default: build).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

build="${BUILD_DIR:-build}"
quick=0
for a in "$@"; do [ "$a" = "--quick" ] && quick=1; done

targets=(backburner-bench backburnerd backburner-keeper)
if [ ! -f "$build/CMakeCache.txt" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if ! cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >/dev/null; then
    echo "bench.sh: cannot configure $build" >&2
    exit 1
  fi
fi
# The shim and the CLI are measured when they build; they are not required.
[ -f shim/CMakeLists.txt ] && targets+=(backburner-mcp)
[ -f cli/CMakeLists.txt ] && targets+=(backburner)
if ! cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null; then
  # Build the required part only; say so if even that fails.
  if ! cmake --build "$build" -j"$(nproc)" --target backburner-bench backburnerd backburner-keeper; then
    echo "bench.sh: cannot build the benchmark" >&2
    exit 1
  fi
fi

bench="$build/bin/backburner-bench"
if [ ! -x "$bench" ]; then
  echo "bench.sh: $bench is missing after the build" >&2
  exit 1
fi

# The program stops measuring at its own time limit (45 s in quick mode) and prints what it
# has; the outer timeout only guards against a hang.
limit=$((quick == 1 ? 58 : 4000))
timeout -k 10 "$limit" "$bench" --bin "$build/bin" "$@"
rc=$?
case $rc in
  0) exit 0 ;;
  124|137) echo "bench.sh: the benchmark did not finish in ${limit} s (slow machine?); not a failure" >&2; exit 0 ;;
  *) echo "bench.sh: the benchmark could not run (exit $rc)" >&2; exit 1 ;;
esac
