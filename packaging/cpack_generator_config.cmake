# Read by cpack once per generator (CPACK_PROJECT_CONFIG_FILE): the install prefix each package
# format wants. The units rendered at install time name backburnerd under this prefix.
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
elseif(CPACK_GENERATOR STREQUAL "TGZ")
  set(CPACK_PACKAGING_INSTALL_PREFIX "/usr/local")
  # Install through DESTDIR so that CMAKE_INSTALL_PREFIX is /usr/local during the install
  # (otherwise it is CPack's staging directory, and the units would name that).
  set(CPACK_SET_DESTDIR ON)
elseif(CPACK_GENERATOR STREQUAL "ZIP")
  # One folder, backburner-<version>-win64\, holding bin\ and share\ (as `cmake --install` lays
  # them out, which install-service.ps1 relies on to find backburnerd.exe).
  set(CPACK_INCLUDE_TOPLEVEL_DIRECTORY ON)
endif()
