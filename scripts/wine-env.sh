# shellcheck shell=bash
# Source this file, then:
#   bb_wine_start BUILD_DIR   start a persistent wineserver and boot a wine prefix in BUILD_DIR/wine
#   bb_wine_stop  [BUILD_DIR] stop that wineserver and every wine process of the prefix
# bb_wine_start exports WINEPREFIX, WINEDEBUG and WINEDLLOVERRIDES, so ctest's emulator
# (CMAKE_CROSSCOMPILING_EMULATOR, the wine64 loader) finds the warm server: a test then costs a
# few tens of ms instead of about 2 s of wine start-up. Wine's helper processes must not inherit
# the caller's stdio (ctest would wait on their pipes until a timeout), hence /dev/null.

BB_WINE_LOADER="${BB_WINE_LOADER:-/usr/lib/wine/wine64}"
BB_WINESERVER="${BB_WINESERVER:-/usr/lib/wine/wineserver}"

# bb_wine_env BUILD_DIR: the environment only (no server is started).
bb_wine_env() {
  local build=${1:?usage: bb_wine_env BUILD_DIR}
  mkdir -p "$build/wine"
  WINEPREFIX="$(cd "$build/wine" && pwd)"
  export WINEPREFIX
  export WINEDEBUG=-all
  # No .NET (mscoree) or HTML engine (mshtml) installers: they would try to download.
  export WINEDLLOVERRIDES="mscoree,mshtml="
  export WINEARCH=win64
}

bb_wine_start() {
  local build=${1:?usage: bb_wine_start BUILD_DIR} t0 t1
  if [ ! -x "$BB_WINE_LOADER" ] || [ ! -x "$BB_WINESERVER" ]; then
    echo "wine-env: $BB_WINE_LOADER or $BB_WINESERVER is missing (scripts/install-windows-deps.sh)" >&2
    return 1
  fi
  bb_wine_env "$build"
  t0=$(date +%s.%N)
  # -p: persistent, no idle timeout; it forks into the background itself.
  "$BB_WINESERVER" -p </dev/null >/dev/null 2>&1 || true
  # The first boot creates the prefix (registry, system dirs); later boots only start services.
  if ! "$BB_WINE_LOADER" wineboot.exe --init </dev/null >/dev/null 2>&1; then
    echo "wine-env: wineboot failed in $WINEPREFIX" >&2
    return 1
  fi
  # A crashing program (a test's deliberate crash, say) ends with its exception code, as with
  # Windows Error Reporting off, instead of starting winedbg and waiting on it.
  "$BB_WINE_LOADER" reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' \
    /v Debugger /t REG_SZ /d false /f </dev/null >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  echo "wine-env: wineserver warm, prefix $WINEPREFIX booted in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
}

bb_wine_stop() {
  if [ -n "${1:-}" ]; then
    bb_wine_env "$1"
  fi
  [ -n "${WINEPREFIX:-}" ] || return 0
  # -k kills the server of this prefix and with it every wine process it serves; -w waits.
  "$BB_WINESERVER" -k </dev/null >/dev/null 2>&1 || true
  "$BB_WINESERVER" -w </dev/null >/dev/null 2>&1 || true
}
