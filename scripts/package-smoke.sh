#!/usr/bin/env bash
# Builds the .deb with CPack from a build dir, installs it with dpkg, and smoke-tests the
# INSTALLED programs (not the build's) in a temporary state dir: start, wait, logs, cancel,
# daemon status and stop. Stops the daemon and removes the package afterwards, whatever happened.
#
# Usage: scripts/package-smoke.sh [BUILD_DIR]    (default: $BUILD_DIR, else build)
# Needs: dpkg, cpack (cmake), root or sudo. CI runs it after the test suite (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-${BUILD_DIR:-build}}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

fail() {
  echo "package smoke test FAILED: $*" >&2
  exit 1
}

echo "-- building the package from $build"
[ -f "$build/CMakeCache.txt" ] || fail "$build is not a configured build dir"
cmake --build "$build" -j"$(nproc)"
rm -f "$build"/backburner_*.deb
(cd "$build" && cpack -G DEB)
deb=$(ls "$build"/backburner_*.deb)
version=$(dpkg-deb -f "$deb" Version)

state=$(mktemp -d)
bb=/usr/bin/backburner
cleanup() {
  if [ -x "$bb" ]; then BACKBURNER_HOME="$state/home" "$bb" daemon stop >/dev/null 2>&1 || true; fi
  $SUDO dpkg --purge backburner >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT

echo "-- installing $(basename "$deb")"
$SUDO dpkg -i "$deb" >/dev/null
for f in /usr/bin/backburner /usr/bin/backburnerd /usr/bin/backburner-keeper \
         /usr/lib/systemd/user/backburnerd.service /usr/lib/systemd/user/backburnerd.socket \
         /usr/share/doc/backburner/CLI.md /usr/share/doc/backburner/SERVICES.md; do
  [ -e "$f" ] || fail "the package did not install $f"
done
grep -q '^ExecStart=/usr/bin/backburnerd --foreground$' /usr/lib/systemd/user/backburnerd.service ||
  fail "the packaged unit does not run /usr/bin/backburnerd"

# Only the installed programs, in a state dir of our own.
unset BACKBURNER_SOCKET BACKBURNER_ALLOW BACKBURNER_DENY
export BACKBURNER_HOME="$state/home"
cd "$state"

echo "-- smoke test with the installed programs"
[ "$("$bb" --version)" = "backburner $version" ] || fail "backburner --version: $("$bb" --version)"
if [ -x /usr/bin/backburner-mcp ]; then
  /usr/bin/backburner-mcp --version | grep -q "$version" || fail "backburner-mcp --version"
fi

id=$("$bb" start -- 'echo "smoke: $((6 * 7))"; exit 3')
[ -n "$id" ] || fail "start printed no task id"
set +e
"$bb" wait "$id" >/dev/null
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "wait exited $rc, expected the task's exit code 3"
[ "$("$bb" logs "$id")" = "smoke: 42" ] || fail "logs printed: $("$bb" logs "$id")"
"$bb" list | grep -q "$id" || fail "list does not show $id"

pid=$("$bb" daemon status --json | grep -o '"pid":[0-9]*' | cut -d: -f2)
[ "$(readlink "/proc/$pid/exe")" = /usr/bin/backburnerd ] ||
  fail "the daemon that ran the task is $(readlink "/proc/$pid/exe"), not /usr/bin/backburnerd"

long=$("$bb" start -- sleep 60)
keeper=""
for _ in $(seq 100); do
  keeper=$(sed -n 's/^keeper_pid=//p' "$BACKBURNER_HOME/tasks/$long/run" 2>/dev/null || true)
  [ -n "$keeper" ] && break
  sleep 0.05
done
[ "$(readlink "/proc/$keeper/exe")" = /usr/bin/backburner-keeper ] ||
  fail "the task's keeper is $(readlink "/proc/$keeper/exe" || echo none)"
"$bb" cancel "$long" >/dev/null
set +e
"$bb" wait "$long" >/dev/null
rc=$?
set -e
[ "$rc" -eq 130 ] || fail "wait on a cancelled task exited $rc, expected 130"

"$bb" daemon stop >/dev/null
set +e
"$bb" daemon status >/dev/null
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "daemon status after stop exited $rc, expected 3"

echo "package smoke test passed: $(basename "$deb") installs and runs (start, wait, logs, cancel, daemon stop)"
