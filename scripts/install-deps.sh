#!/usr/bin/env bash
# Installs the Debian packages and the pinned npm packages that building and testing need.
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ ninja-build pkg-config
  libboost1.81-dev libboost-filesystem1.81-dev libboost-system1.81-dev
  libsqlitecpp-dev libsqlite3-dev nlohmann-json3-dev
  libre2-dev  # the daemon's regular expressions (command policy, log grep)
  libgtest-dev libgmock-dev googletest
  task-spooler nq  # peers the benchmarks compare against
  systemd python3 dpkg-dev file  # unit checks (systemd-analyze), packaging tests, CPack's .deb
  chromium firefox-esr  # the dashboard's browser test drives both headless (puppeteer-core downloads none)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node packages for the end-to-end tests with real MCP clients, exactly as the lockfile pins them.
if [ -f package-lock.json ] && command -v npm >/dev/null; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
