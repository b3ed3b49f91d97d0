# All build options of HeadBench in one place.
option(HEADBENCH_BUILD_GUI "Build the Qt desktop application" ON)
option(HEADBENCH_BUILD_TESTS "Build the unit and integration tests" ON)
option(HEADBENCH_BUILD_BENCH "Build the benchmarks in bench/" ON)
option(HEADBENCH_USE_CCACHE "Use ccache when it is installed" ON)
option(HEADBENCH_PCH "Precompile the torch headers of the backend" ON)
set(HEADBENCH_SANITIZE "" CACHE STRING "Sanitizers for every HeadBench target, e.g. address,undefined or thread")

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

if(HEADBENCH_USE_CCACHE)
  find_program(HEADBENCH_CCACHE ccache)
  if(HEADBENCH_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${HEADBENCH_CCACHE}")
  endif()
endif()

# Settings every HeadBench target shares. QT_NO_KEYWORDS is set everywhere because Qt's
# `slots` macro breaks torch headers (ATen/core/ivalue_inl.h).
function(headbench_target_defaults target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_definitions(${target} PRIVATE QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_FOREACH)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  endif()
  if(HEADBENCH_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=${HEADBENCH_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=${HEADBENCH_SANITIZE})
  endif()
endfunction()
