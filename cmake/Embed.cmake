# ct_embed(OUTPUT out.c SYMBOL name [GZIP] BASE dir FILES f1 f2 ...)
#
# Turns source files (viewer assets, Python helpers) into a generated C file
# in the build tree: one byte array per file and a table sorted by path
# (see cmake/embed_tool.c). With GZIP the data is gzip-compressed with a zero
# timestamp, so builds are reproducible.
add_executable(ct_embed_tool ${CMAKE_CURRENT_LIST_DIR}/embed_tool.c)
target_link_libraries(ct_embed_tool PRIVATE ZLIB::ZLIB)
# A build-time tool: never instrumented, even in sanitizer builds.
target_compile_options(ct_embed_tool PRIVATE -fno-sanitize=all)
target_link_options(ct_embed_tool PRIVATE -fno-sanitize=all)

function(ct_embed)
  cmake_parse_arguments(E "GZIP" "OUTPUT;SYMBOL;BASE" "FILES" ${ARGN})
  set(args ${E_OUTPUT} ${E_SYMBOL} ${E_BASE})
  if(E_GZIP)
    list(APPEND args --gzip)
  else()
    list(APPEND args --plain)
  endif()
  set(deps)
  foreach(f ${E_FILES})
    list(APPEND args ${f})
    list(APPEND deps ${E_BASE}/${f})
  endforeach()
  add_custom_command(OUTPUT ${E_OUTPUT}
    COMMAND ct_embed_tool ${args}
    DEPENDS ct_embed_tool ${deps}
    COMMENT "Embedding ${E_SYMBOL}"
    VERBATIM)
endfunction()
