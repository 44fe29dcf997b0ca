# Generates a header that embeds the MCP catalogue (proto/mcp/*.json) as string literals.
# Run as: cmake -DSRC=<proto/mcp dir> -DOUT=<header> -P embed_catalog.cmake
function(bb_embed var file out_var)
  file(READ "${file}" content)
  string(FIND "${content}" ")bbjson\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string delimiter )bbjson\"")
  endif()
  set(${out_var} "${${out_var}}inline constexpr std::string_view ${var} = R\"bbjson(${content})bbjson\";\n" PARENT_SCOPE)
endfunction()

set(body "")
bb_embed(kServerJson "${SRC}/server.json" body)
bb_embed(kTaskSchemaJson "${SRC}/task.schema.json" body)
bb_embed(kToolsJson "${SRC}/tools.json" body)
set(text "// Generated from proto/mcp by shim/embed_catalog.cmake. Do not edit.\n#pragma once\n#include <string_view>\nnamespace bb::shim::embedded_catalog {\n${body}}  // namespace bb::shim::embedded_catalog\n")
# Rewrite only on change, so an unrelated rebuild does not recompile the catalogue.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
