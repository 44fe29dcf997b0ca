#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts the daemon and runs a first task.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DBACKBURNER_WERROR=ON "${launcher[@]}" >/dev/null
cmake --build build -j"$(nproc)"

bin="$PWD/build/bin"
if [ -x "$bin/backburner" ]; then
  "$bin/backburner" daemon start
  id=$("$bin/backburner" start -- 'echo "hello from backburner"; sleep 1; echo done')
  echo "started task $id"
  "$bin/backburner" wait "$id"
  "$bin/backburner" logs "$id"
  "$bin/backburner" list --limit 5
else
  "$bin/backburnerd"
  echo "backburnerd is running; its socket is in ${BACKBURNER_HOME:-$HOME/.backburner}"
fi
