# Every dependency comes from Debian's -dev packages (see the README).
#
# Python: Debian's /usr/bin/python3.11 and its libpython, never a pyenv copy
# that happens to be first on PATH (a fresh machine would not have it).
if(NOT Python3_EXECUTABLE)
  if(EXISTS /usr/bin/python3.11)
    set(Python3_EXECUTABLE /usr/bin/python3.11 CACHE FILEPATH "Python to embed")
  endif()
endif()
find_package(Python3 3.11 EXACT REQUIRED COMPONENTS Interpreter Development.Embed)
message(STATUS "ctrace embeds ${Python3_EXECUTABLE} (${Python3_VERSION}): ${Python3_LIBRARIES}")

find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
