# Version file for the stand-in BoostConfig.cmake: Boost 1.81.0 (Debian 12's libboost1.81-dev).
# Like Boost's own, any request for 1.81 or older is compatible, and so is EXACT 1.81.0.
set(PACKAGE_VERSION 1.81.0)
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
