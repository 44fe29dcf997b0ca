# Writes OUT: a header holding packaging/'s service templates as string constants, so that
# `backburner service install` writes exactly what the packages ship (with its paths filled in).
# Run as: cmake -DSRC=<packaging dir> -DOUT=<header> -P embed_service_templates.cmake
set(pairs
  "kSystemdServiceTemplate systemd/backburnerd.service.in"
  "kSystemdSocketTemplate systemd/backburnerd.socket.in"
  "kLaunchdPlistTemplate launchd/backburnerd.plist.in")
set(text "// Generated from packaging/ by cli/embed_service_templates.cmake. Do not edit.\n")
string(APPEND text "#pragma once\n#include <string_view>\nnamespace bb::cli::templates {\n")
foreach(pair IN LISTS pairs)
  string(REPLACE " " ";" parts "${pair}")
  list(GET parts 0 name)
  list(GET parts 1 file)
  file(READ "${SRC}/${file}" content)
  if(content MATCHES "\\)bbtpl\"")
    message(FATAL_ERROR "${file} contains the raw string delimiter )bbtpl\"")
  endif()
  string(APPEND text "inline constexpr std::string_view ${name} = R\"bbtpl(${content})bbtpl\";\n")
endforeach()
string(APPEND text "}  // namespace bb::cli::templates\n")
file(WRITE "${OUT}.tmp" "${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
