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

# ct_python: how ctrace links libpython. Debian's /usr/bin/python3.11 carries
# libpython statically (non-PIE), which runs Python code measurably faster
# than the shared libpython3.11.so; ctrace links the same static library
# (libpython3.11-dev ships it) when it is there, whole, so that extension
# modules loaded at run time find every C API symbol in the executable.
option(CTRACE_STATIC_PYTHON "Link libpython statically, as python3.11 itself does" ON)
execute_process(
  COMMAND ${Python3_EXECUTABLE} -c
    "import sysconfig as s; print(s.get_config_var('LIBPL') + '/' + s.get_config_var('LIBRARY'))"
  OUTPUT_VARIABLE CT_PYTHON_STATIC_LIB OUTPUT_STRIP_TRAILING_WHITESPACE)
add_library(ct_python INTERFACE)
target_include_directories(ct_python INTERFACE ${Python3_INCLUDE_DIRS})
if(CTRACE_STATIC_PYTHON AND EXISTS "${CT_PYTHON_STATIC_LIB}")
  message(STATUS "ctrace links libpython statically: ${CT_PYTHON_STATIC_LIB}")
  target_link_libraries(ct_python INTERFACE
    "-Wl,--whole-archive" ${CT_PYTHON_STATIC_LIB} "-Wl,--no-whole-archive"
    expat z dl m util pthread)
  set(CT_PYTHON_NO_PIE ON)
else()
  target_link_libraries(ct_python INTERFACE Python3::Python)
  set(CT_PYTHON_NO_PIE OFF)
endif()

find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
