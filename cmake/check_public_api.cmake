# lint.public_api (cmake -P): the CLI (tools/) and the benchmarks (bench/)
# use only the public API, include/smbiov, never the library's internals
# under src/ -- the same API and library a user has.
#
#   -DSOURCE_DIR=<project source dir>
#   -DSOURCE_DIRS=tools|bench     folders whose *.c and *.h are read
#   -DTARGETS=a|b                 their targets, each with
#   -DINCLUDES_<t>=dir|dir        its include path (with what it links)
#   -DLINKS_<t>=lib|lib           what it links
#
# Fails if a source includes a "header" that is not a file of its own
# folder, or a <header> that is one of src/; if a target's include path
# holds src/ (or anything under it); or if a target links smbiov_internal.
cmake_minimum_required(VERSION 3.20)

foreach(var SOURCE_DIR SOURCE_DIRS TARGETS)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_public_api: -D${var}= is missing")
  endif()
endforeach()

set(src_dir "${SOURCE_DIR}/src")
set(failures)

# ---- the sources ----------------------------------------------------------
string(REPLACE "|" ";" dirs "${SOURCE_DIRS}")
foreach(dir IN LISTS dirs)
  file(GLOB_RECURSE files "${SOURCE_DIR}/${dir}/*.c" "${SOURCE_DIR}/${dir}/*.h")
  list(LENGTH files n)
  if(n EQUAL 0)
    # a check that read nothing proves nothing
    list(APPEND failures "${dir}/: no C sources found")
  endif()
  foreach(file IN LISTS files)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${file}")
    get_filename_component(here "${file}" DIRECTORY)
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS lines)
      if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\"")
        set(hdr "${CMAKE_MATCH_1}")
        # its own folder's header, named without a path
        if(hdr MATCHES "[/\\\\]" OR NOT EXISTS "${here}/${hdr}")
          list(APPEND failures
            "${rel}: #include \"${hdr}\" is not a header of ${rel}'s own folder (use <smbiov/...>)")
        endif()
      elseif(line MATCHES "^[ \t]*#[ \t]*include[ \t]*<([^>]*)>")
        set(hdr "${CMAKE_MATCH_1}")
        if(EXISTS "${src_dir}/${hdr}")
          list(APPEND failures
            "${rel}: #include <${hdr}> is the library's internal src/${hdr}")
        endif()
      else()
        list(APPEND failures "${rel}: cannot check \"${line}\"")
      endif()
    endforeach()
  endforeach()
endforeach()

# ---- the targets ------------------------------------------------------------
string(REPLACE "|" ";" targets "${TARGETS}")
foreach(t IN LISTS targets)
  if(NOT DEFINED INCLUDES_${t} OR NOT DEFINED LINKS_${t})
    list(APPEND failures "${t}: -DINCLUDES_${t}= or -DLINKS_${t}= is missing")
    continue()
  endif()
  string(REPLACE "|" ";" incs "${INCLUDES_${t}}")
  foreach(inc IN LISTS incs)
    cmake_path(IS_PREFIX src_dir "${inc}" NORMALIZE under_src)
    if(under_src)
      list(APPEND failures "${t}: ${inc} (src/) is on its include path")
    endif()
  endforeach()
  string(REPLACE "|" ";" libs "${LINKS_${t}}")
  if("smbiov_internal" IN_LIST libs)
    list(APPEND failures
      "${t}: links smbiov_internal (link smbiov_static or smbiov_shared)")
  endif()
endforeach()

if(failures)
  list(LENGTH failures n)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR
    "${n} use(s) of the library's internals outside the public API:\n  ${text}")
endif()
list(LENGTH targets nt)
message(STATUS "public API only: ${SOURCE_DIRS} sources, ${nt} targets")
