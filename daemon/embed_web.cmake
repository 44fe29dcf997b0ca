# Generates a header that embeds the dashboard's page (daemon/web/*) as string literals, so the
# daemon serves it from its own binary: no files to install, nothing fetched.
# Run as: cmake -DSRC=<daemon/web dir> -DOUT=<header> -P embed_web.cmake
set(body "")
file(GLOB files RELATIVE "${SRC}" "${SRC}/*")
list(SORT files)
foreach(name IN LISTS files)
  if(name MATCHES "\\.html$")
    set(type "text/html; charset=utf-8")
  elseif(name MATCHES "\\.js$")
    set(type "text/javascript; charset=utf-8")
  elseif(name MATCHES "\\.css$")
    set(type "text/css; charset=utf-8")
  elseif(name MATCHES "\\.svg$")
    set(type "image/svg+xml")
  else()
    continue()
  endif()
  file(READ "${SRC}/${name}" content)
  string(FIND "${content}" ")bbweb\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${name} contains the raw-string delimiter )bbweb\"")
  endif()
  # MSVC caps one string literal at 16 KiB; GCC and Clang do not, and they are what builds this.
  string(APPEND body "    {\"/${name}\", \"${type}\", R\"bbweb(${content})bbweb\"},\n")
endforeach()
set(text "// Generated from daemon/web by daemon/embed_web.cmake. Do not edit.
#pragma once
#include <string_view>
namespace bb::dashboard {
struct Asset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};
inline constexpr Asset kAssets[] = {
${body}};
}  // namespace bb::dashboard
")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
