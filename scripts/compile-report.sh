#!/usr/bin/env bash
# Compiles every translation unit of a configured build dir on its own (syntax and semantics
# only, no object files) and reports which ones fail, with their first errors. Meant for a port
# in progress: a normal build stops at the first library that fails, because the targets that
# depend on it (and their generated headers) wait for it; this shows every file's state.
#
#   scripts/compile-report.sh [BUILD_DIR] [REGEX]   (default build-win; REGEX filters the files)
#
# Prints one line per file (ok / FAIL), the first error lines of each failure, and a summary.
# The full compiler output is in BUILD_DIR/compile-report/. Exits 0 (it reports; it does not
# judge). BB_JOBS sets the parallelism (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-win}"
filter="${2:-.}"
jobs="${BB_JOBS:-2}"
db="$build/compile_commands.json"
[ -f "$db" ] || { echo "compile-report: $db is missing (configure $build first)" >&2; exit 1; }
out="$build/compile-report"
rm -rf "$out"
mkdir -p "$out"

# Generated headers (custom commands) first: run just their own command, not their order-only
# dependencies (which may be the very libraries that fail).
if [ -f "$build/build.ninja" ]; then
  for h in $(ninja -C "$build" -t targets all 2>/dev/null | sed -n 's|^\([^:]*/generated/[^:]*\.h\): CUSTOM_COMMAND$|\1|p'); do
    ninja -C "$build" -t commands "$h" | tail -n1 | bash >/dev/null 2>&1 ||
      echo "compile-report: could not generate $h" >&2
  done
fi

# One shell command per translation unit, from compile_commands.json, with -fsyntax-only.
python3 - "$db" "$out" "$filter" <<'EOF'
import json, re, shlex, sys
db, out, flt = sys.argv[1], sys.argv[2], re.compile(sys.argv[3])
with open(f"{out}/jobs", "w") as jobs:
    for i, e in enumerate(json.load(open(db))):
        if not flt.search(e["file"]):
            continue
        cmd = e.get("command") or " ".join(map(shlex.quote, e["arguments"]))
        # Drop dependency-file and object outputs; only diagnostics matter here.
        cmd = re.sub(r" -M[DT]? \S+| -MF \S+| -MD\b| -o \S+", "", cmd)
        jobs.write(f"{i}\t{e['file']}\tcd {shlex.quote(e['directory'])} && {cmd} -fsyntax-only\n")
EOF

run_one() {
  local i=$1 file=$2 cmd=$3 out=$4
  if bash -c "$cmd" >"$out/$i.log" 2>&1; then
    echo "ok	$file" >"$out/$i.result"
  else
    echo "FAIL	$file" >"$out/$i.result"
  fi
}
export -f run_one
total=$(wc -l <"$out/jobs")
echo "compile-report: compiling $total files from $build, $jobs at a time"
tr '\n' '\0' <"$out/jobs" |
  xargs -0 -P "$jobs" -I{} bash -c 'IFS=$'"'"'\t'"'"' read -r i f c <<<"$1"; run_one "$i" "$f" "$c" "$2"' _ {} "$out"

src="$(pwd)/"
fails=0
while IFS=$'\t' read -r i file _; do
  IFS=$'\t' read -r state _ <"$out/$i.result"
  echo "$state	${file#"$src"}"
  if [ "$state" = FAIL ]; then
    fails=$((fails + 1))
    grep -E "error|undefined reference" "$out/$i.log" | sed "s|$src||g" | head -n 6 | sed 's/^/    /'
  fi
done <"$out/jobs"
echo "compile-report: $((total - fails)) of $total files compile, $fails fail (logs in $out)"
