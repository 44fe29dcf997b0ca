#!/usr/bin/env bash
# Installs what the Windows cross build needs (mingw-w64 with posix threads, wine) and builds the
# libraries Debian does not ship for mingw into one prefix that cmake/mingw-w64-x86_64.cmake reads:
#
#   SQLiteCpp 3.2.1 with its bundled SQLite   from Debian 12's source package `sqlitecpp`
#   RE2 20220601 (static, needs no Abseil)    from Debian 12's source package `re2`
#   GoogleTest + GMock                        from Debian's /usr/src/googletest
#   Boost 1.81 (header-only parts), nlohmann/json: the host's headers through a directory of
#     symlinks (<prefix>/host/include), a stand-in Boost config and nlohmann's own config.
#
# Prefix: $BB_WIN_PREFIX, default <repo>/.deps/mingw-w64. Source packages come through a private
# deb-src list and apt state under <prefix>/_work/apt: the system's apt sources are not touched.
# Idempotent: each stage keeps a stamp with the versions it built and is skipped when they match,
# so a second run only checks (well under a second). BB_JOBS sets the build parallelism (2).
# Needs root (or sudo) only when Debian packages are missing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${BB_WIN_PREFIX:-$repo/.deps/mingw-w64}"
jobs="${BB_JOBS:-2}"
toolchain="$repo/cmake/mingw-w64-x86_64.cmake"

# Pinned: the versions Debian 12 (bookworm) carries. A change here rebuilds that stage.
SQLITECPP_DEB=3.2.1-1
RE2_DEB=20220601+dfsg-1
# Bump when the way a stage builds changes (flags, layout), to rebuild on the next run.
RECIPE=1

work="$prefix/_work"
stamps="$prefix/_stamps"
host="$prefix/host"  # header-only host libraries and their CMake configs

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "install-windows-deps: $*"; }
started=$(now)

# run_stage NAME STAMP_CONTENT FUNCTION: runs FUNCTION unless the stamp says it is done, and
# prints how long it took.
run_stage() {
  local name=$1 want=$2 fn=$3 t
  if [ -f "$stamps/$name" ] && [ "$(cat "$stamps/$name")" = "$want" ]; then
    say "$name: up to date"
    return
  fi
  t=$(now)
  "$fn"
  mkdir -p "$stamps"
  printf '%s' "$want" >"$stamps/$name"
  say "$name: done in $(elapsed "$t") s"
}

# ---- 1. Debian packages ------------------------------------------------------------------------
packages=(g++-mingw-w64-x86-64-posix wine64 dpkg-dev cmake ninja-build
  googletest libboost1.81-dev nlohmann-json3-dev
  perl python3 python3-six unicode-data  # RE2's generated Unicode tables, as Debian builds them
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  t=$(now)
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  log=$(mktemp)
  if ! { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  rm -f "$log"
  say "apt packages (${missing[*]}): done in $(elapsed "$t") s"
else
  say "apt packages: up to date"
fi

pkgver() { dpkg-query -W -f='${Version}' "$1"; }
mingw_version="$(pkgver g++-mingw-w64-x86-64-posix)"
toolchain_hash="$(sha256sum "$toolchain" | cut -c1-16)"
# What every built library depends on: the compiler, the toolchain file and the recipe.
base="recipe=$RECIPE mingw=$mingw_version toolchain=$toolchain_hash"

# ---- 2. Source packages through a private apt configuration ------------------------------------
apt_dir="$work/apt"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
)
# As root, apt downloads as the `_apt` user, which cannot write into our directories.
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o "APT::Sandbox::User=root")

write_src_list() {
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  : >"$apt_dir/sources.list"
  local sys=/etc/apt/sources.list.d/debian.sources out="$apt_dir/sources.list.d/debian-src.sources"
  if [ -f "$sys" ]; then
    # The machine's own mirror entries (deb822), as deb-src: the same URIs, suites and keys.
    sed -e 's/^Types:.*/Types: deb-src/' "$sys" >"$out"
  else
    cat >"$out" <<'EOS'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
  fi
}

stage_apt_sources() {
  write_src_list
  apt-get "${apt_opts[@]}" update -qq
}

# fetch_source PACKAGE VERSION DIRNAME: unpacks the Debian source package into $work/src/DIRNAME.
fetch_source() {
  local pkg=$1 ver=$2 dir=$3
  rm -rf "$work/src/$dir" "$work/src/$pkg-fetch"
  mkdir -p "$work/src/$pkg-fetch"
  # A stale private list may no longer know the version: refresh it once before giving up.
  (cd "$work/src/$pkg-fetch" && apt-get "${apt_opts[@]}" source -qq "$pkg=$ver" >/dev/null 2>&1) ||
    (apt-get "${apt_opts[@]}" update -qq &&
      cd "$work/src/$pkg-fetch" && apt-get "${apt_opts[@]}" source -qq "$pkg=$ver" >/dev/null 2>&1) || {
    echo "install-windows-deps: apt-get source $pkg=$ver failed" >&2
    (cd "$work/src/$pkg-fetch" && apt-get "${apt_opts[@]}" source "$pkg=$ver") >&2 || true
    exit 1
  }
  local unpacked
  unpacked=$(find "$work/src/$pkg-fetch" -mindepth 1 -maxdepth 1 -type d | head -n1)
  mv "$unpacked" "$work/src/$dir"
  rm -rf "$work/src/$pkg-fetch"
}

# cmake_build NAME SOURCE_DIR [CMAKE ARGS...]: configures, builds and installs into the prefix.
cmake_build() {
  local name=$1 src=$2
  shift 2
  local b="$work/build/$name"
  rm -rf "$b"
  mkdir -p "$b"
  cmake -S "$src" -B "$b" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DBB_WIN_PREFIX="$prefix" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_POLICY_DEFAULT_CMP0069=NEW "$@" >"$b.configure.log" 2>&1 || {
    cat "$b.configure.log" >&2
    exit 1
  }
  cmake --build "$b" -j"$jobs" >"$b.build.log" 2>&1 || {
    tail -n 50 "$b.build.log" >&2
    exit 1
  }
  cmake --install "$b" >/dev/null
  rm -rf "$b" "$b.configure.log" "$b.build.log"
}

# ---- 3. The libraries ----------------------------------------------------------------------
stage_sqlitecpp() {
  fetch_source sqlitecpp "$SQLITECPP_DEB" sqlitecpp
  cmake_build sqlitecpp "$work/src/sqlitecpp" \
    -DSQLITECPP_INTERNAL_SQLITE=ON -DSQLITECPP_BUILD_TESTS=OFF -DSQLITECPP_BUILD_EXAMPLES=OFF \
    -DSQLITECPP_RUN_CPPLINT=OFF -DSQLITECPP_RUN_CPPCHECK=OFF
}

stage_re2() {
  fetch_source re2 "$RE2_DEB" re2
  # Debian's source drops the generated tables (its copyright file says why); regenerate them
  # as its build does, from Debian's Unicode data.
  (cd "$work/src/re2/re2" &&
    perl make_perl_groups.pl >perl_groups.cc &&
    python3 make_unicode_casefold.py >unicode_casefold.cc &&
    python3 make_unicode_groups.py >unicode_groups.cc)
  cmake_build re2 "$work/src/re2" \
    -DBUILD_SHARED_LIBS=OFF -DRE2_BUILD_TESTING=OFF
}

stage_googletest() {
  cmake_build googletest /usr/src/googletest \
    -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -DBUILD_SHARED_LIBS=OFF \
    -Dgtest_disable_pthreads=ON
}

# Header-only host libraries: symlinks to the host's headers (never /usr/include itself: glibc's
# headers would shadow mingw's), the forwarding Windows.h that Boost 1.81's utf8.ipp spells with
# a capital W, a stand-in Boost config, and Debian's relocatable nlohmann_json config.
stage_host_headers() {
  rm -rf "$host"
  mkdir -p "$host/include" "$host/lib/cmake/Boost-1.81.0" "$host/share/cmake"
  ln -s /usr/include/boost "$host/include/boost"
  ln -s /usr/include/nlohmann "$host/include/nlohmann"
  echo '#include <windows.h>' >"$host/include/Windows.h"
  cp -r /usr/share/cmake/nlohmann_json "$host/share/cmake/nlohmann_json"
  cp "$repo/cmake/mingw-boost/BoostConfig.cmake" "$repo/cmake/mingw-boost/BoostConfigVersion.cmake" \
    "$host/lib/cmake/Boost-1.81.0/"
}

run_stage apt-sources "$RECIPE $(cat /etc/apt/sources.list.d/debian.sources 2>/dev/null | sha256sum | cut -c1-16)" stage_apt_sources
run_stage sqlitecpp "$base sqlitecpp=$SQLITECPP_DEB" stage_sqlitecpp
run_stage re2 "$base re2=$RE2_DEB" stage_re2
run_stage googletest "$base googletest=$(pkgver googletest)" stage_googletest
boost_hash="$(cat "$repo"/cmake/mingw-boost/*.cmake | sha256sum | cut -c1-16)"
run_stage host-headers "recipe=$RECIPE boost=$(pkgver libboost1.81-dev) nlohmann=$(pkgver nlohmann-json3-dev) config=$boost_hash" stage_host_headers

# Keep the downloaded sources (small) for reference; the build trees are gone.
say "prefix $prefix is ready ($(elapsed "$started") s)"
