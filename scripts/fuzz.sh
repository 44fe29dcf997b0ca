#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/*_fuzz.cpp) with clang in build-fuzz and runs each
# one for SECONDS_PER_TARGET seconds (default 20) on a copy of its seed corpus
# (tests/fuzz/corpus/<name>/), so a run never writes into the repository. Prints the executions
# of each target; fails if any target crashes or breaks an invariant, keeping the input that did
# it under <build>/fuzz-artifacts/.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#   BUILD_DIR (default build-fuzz), JOBS (build parallelism, default 2), CXX (default clang++)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
build="${BUILD_DIR:-build-fuzz}"
jobs="${JOBS:-2}"

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DBACKBURNER_FUZZ=ON -DBACKBURNER_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$jobs" --target bb_fuzz

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for target in "$build"/fuzz/*_fuzz; do
  [ -x "$target" ] || continue
  name="$(basename "$target")"
  corpus="$work/$name"
  mkdir -p "$corpus"
  if [ -d "tests/fuzz/corpus/$name" ]; then
    cp -R "tests/fuzz/corpus/$name/." "$corpus/"
  fi
  log="$work/$name.log"
  if "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$name")
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  printf '%-24s %-6s %12s executions in %ss, corpus %s inputs\n' \
    "$name" "$status" "${runs:-?}" "$seconds" "$(find "$corpus" -type f | wc -l)"
  if [ "$status" != ok ]; then
    grep -E 'ERROR|fuzz check failed|runtime error|Test unit written' "$log" | head -n 20 || true
    tail -n 40 "$log"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]} (inputs in $artifacts)" >&2
  exit 1
fi
