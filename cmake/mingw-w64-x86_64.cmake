# Cross build for 64-bit Windows with Debian's mingw-w64 (posix threads), run under wine.
#
#   cmake --preset windows          (or -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake)
#
# The dependencies (SQLiteCpp, RE2, GoogleTest, and the stand-in configs for the header-only host
# libraries Boost and nlohmann/json) come from one prefix that scripts/install-windows-deps.sh
# builds: $BB_WIN_PREFIX, else <repo>/.deps/mingw-w64. See docs/WINDOWS.md.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(BB_MINGW_TRIPLE x86_64-w64-mingw32)
# The -posix variants: std::thread, std::mutex and friends need the winpthreads model.
set(CMAKE_C_COMPILER ${BB_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${BB_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${BB_MINGW_TRIPLE}-windres)

# The prefix is fixed at the first configure (cached) so that a later re-configure from a shell
# without BB_WIN_PREFIX keeps using the same one.
if(NOT BB_WIN_PREFIX)
  if(DEFINED ENV{BB_WIN_PREFIX} AND NOT "$ENV{BB_WIN_PREFIX}" STREQUAL "")
    set(BB_WIN_PREFIX "$ENV{BB_WIN_PREFIX}")
  else()
    get_filename_component(BB_WIN_PREFIX "${CMAKE_CURRENT_LIST_DIR}/../.deps/mingw-w64" ABSOLUTE)
  endif()
endif()
set(BB_WIN_PREFIX "${BB_WIN_PREFIX}" CACHE PATH "Prefix with the cross-built Windows dependencies")
# try_compile() projects read this toolchain file again; hand them the same prefix.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES BB_WIN_PREFIX)

# Libraries, headers and package configs only from the mingw sysroot and our prefix (never the
# host's /usr: its glibc headers and Linux libraries must not leak in); programs from the host.
# <prefix>/host holds the header-only host libraries (a directory of symlinks) and their configs.
set(CMAKE_FIND_ROOT_PATH /usr/${BB_MINGW_TRIPLE} ${BB_WIN_PREFIX} ${BB_WIN_PREFIX}/host)
list(APPEND CMAKE_PREFIX_PATH ${BB_WIN_PREFIX} ${BB_WIN_PREFIX}/host)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# A static runtime (libgcc, libstdc++, winpthread): the .exe files run under wine, and on a
# Windows machine, without a DLL search path.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")

# ctest and gtest_discover_tests() run the test programs through wine. For speed, start a warm
# wineserver first (scripts/wine-env.sh); scripts/test-windows.sh does.
find_program(BB_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT BB_WINE64)
  find_program(BB_WINE64 NAMES wine64 wine)
endif()
if(BB_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${BB_WINE64})
endif()
