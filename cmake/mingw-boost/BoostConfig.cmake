# Stand-in BoostConfig.cmake for the mingw-w64 cross build (installed by
# scripts/install-windows-deps.sh into <prefix>/host/lib/cmake/Boost-1.81.0/).
#
# Debian ships no mingw build of Boost. backburner uses only Boost's header-only parts (Asio,
# Beast, Process v2, System), so this config offers them from the host's libboost1.81-dev through
# <prefix>/host/include/boost -> /usr/include/boost:
#   Boost::headers (alias Boost::boost)   the headers, BOOST_ALL_NO_LIB, and the Winsock libraries
#                                          Asio needs (ws2_32, mswsock)
#   Boost::system                          header-only since Boost 1.69: the same as Boost::headers
# Any other component (filesystem, ...) is a compiled library that this prefix does not have: it
# is reported as not found, so a REQUIRED request fails at configure time, not at link time.

set(Boost_VERSION 1.81.0)
set(Boost_VERSION_MAJOR 1)
set(Boost_VERSION_MINOR 81)
set(Boost_VERSION_PATCH 0)
set(Boost_VERSION_STRING 1.81.0)

get_filename_component(_bb_boost_host "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(Boost_INCLUDE_DIRS "${_bb_boost_host}/include")

if(NOT TARGET Boost::headers)
  add_library(Boost::headers INTERFACE IMPORTED)
  set_target_properties(Boost::headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_bb_boost_host}/include"
    INTERFACE_COMPILE_DEFINITIONS "BOOST_ALL_NO_LIB"
    INTERFACE_LINK_LIBRARIES "ws2_32;mswsock")
endif()
if(NOT TARGET Boost::boost)
  add_library(Boost::boost INTERFACE IMPORTED)
  set_target_properties(Boost::boost PROPERTIES INTERFACE_LINK_LIBRARIES Boost::headers)
endif()

set(_bb_boost_header_only headers system)
foreach(_bb_comp IN LISTS Boost_FIND_COMPONENTS)
  if(_bb_comp IN_LIST _bb_boost_header_only)
    set(Boost_${_bb_comp}_FOUND TRUE)
    if(NOT TARGET Boost::${_bb_comp})
      add_library(Boost::${_bb_comp} INTERFACE IMPORTED)
      set_target_properties(Boost::${_bb_comp} PROPERTIES INTERFACE_LINK_LIBRARIES Boost::headers)
    endif()
  else()
    set(Boost_${_bb_comp}_FOUND FALSE)
    if(Boost_FIND_REQUIRED_${_bb_comp})
      set(Boost_FOUND FALSE)
      set(Boost_NOT_FOUND_MESSAGE
          "Boost component '${_bb_comp}' is a compiled library; the mingw-w64 prefix offers only "
          "Boost's header-only parts (headers, system). See cmake/mingw-boost/BoostConfig.cmake.")
    endif()
  endif()
endforeach()

unset(_bb_comp)
unset(_bb_boost_header_only)
unset(_bb_boost_host)
