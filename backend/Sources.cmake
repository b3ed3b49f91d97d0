# The backend's sources by subject, and the torch-free core library. Included by
# backend/CMakeLists.txt and by fuzz/CMakeLists.txt, which builds the same core with clang's
# fuzzer and sanitizer flags: the parsers the fuzzers exercise live in it.
set(HEADBENCH_BACKEND_DIR ${CMAKE_CURRENT_LIST_DIR})
set(_inc ${HEADBENCH_BACKEND_DIR}/include/headbench)
set(_src ${HEADBENCH_BACKEND_DIR}/src)

# Each library is a set of whole subject folders (backend/src/<subject> with
# backend/include/headbench/<subject>); dependencies run one way:
#   runs -> train -> compute -> extract -> eval -> data -> text -> core
# headbench_core: core, text, data, eval. Plain C++ (std, nlohmann-json, HDF5, ICU, xxHash, libzip):
#   parsers, feature files, tokenizers, metrics, calibration, comparisons, prediction files.
# headbench_backend: compute, extract, train, runs. What needs LibTorch is here (the thread pool,
#   leakage projections, model backbones, heads, training, run sessions) with what sits above it.
set(HEADBENCH_CORE_SUBJECTS core text data eval)
set(HEADBENCH_TORCH_SUBJECTS compute extract train runs)

# headbench_subject_sources(<var> <subject>...): every source and header of the subjects' folders.
function(headbench_subject_sources var)
  set(files)
  foreach(subject ${ARGN})
    file(GLOB found CONFIGURE_DEPENDS
      ${_src}/${subject}/*.cpp ${_src}/${subject}/*.h ${_inc}/${subject}/*.h)
    list(APPEND files ${found})
  endforeach()
  set(${var} ${files} PARENT_SCOPE)
endfunction()
headbench_subject_sources(HEADBENCH_CORE_SOURCES ${HEADBENCH_CORE_SUBJECTS})
headbench_subject_sources(HEADBENCH_TORCH_SOURCES ${HEADBENCH_TORCH_SUBJECTS})
# Of those, the files that run LibTorch: the module headbench_torch.so, loaded on first use
# (src/extract/TorchLibrary.h). The rest of the subjects form headbench_backend, torch-free.
set(HEADBENCH_LIBTORCH_SOURCES extract/HfModel.cpp extract/HiddenStateModel.h extract/ModelBackbone.cpp
  extract/TorchScriptModel.cpp train/LbfgsProbe.cpp train/LbfgsProbe.h train/Rank.cpp train/TorchEntry.cpp
  train/TorchHead.cpp train/TorchHead.h train/TorchTrainer.cpp)
list(TRANSFORM HEADBENCH_LIBTORCH_SOURCES PREPEND ${_src}/)
list(REMOVE_ITEM HEADBENCH_TORCH_SOURCES ${HEADBENCH_LIBTORCH_SOURCES})
# The fuzzers also read head specs and run folders: these torch-free files of train/ and runs/ are
# compiled into the fuzz build beside the core (the product links them in headbench_backend).
set(HEADBENCH_FUZZ_EXTRA_SOURCES ${_src}/train/HeadSpec.cpp ${_src}/runs/RunStore.cpp)

# headbench_add_core_library(<target>): the torch-free core as a static library. Public
# headers are included as <headbench/subject/Name.h>; private ones (under src/) stay private.
function(headbench_add_core_library target)
  # xxHash (Debian's libxxhash-dev): the content hash of feature files and models.
  find_path(HEADBENCH_XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
  find_library(HEADBENCH_XXHASH_LIBRARY xxhash REQUIRED)
  # libzip (Debian's libzip-dev): head.pt is a zip (core/HeadArchive.cpp).
  find_path(HEADBENCH_ZIP_INCLUDE_DIR zip.h REQUIRED)
  find_library(HEADBENCH_ZIP_LIBRARY zip REQUIRED)
  add_library(${target} STATIC ${HEADBENCH_CORE_SOURCES})
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target}
    PUBLIC ${HEADBENCH_BACKEND_DIR}/include
    PRIVATE ${HEADBENCH_BACKEND_DIR}/src)
  target_include_directories(${target} SYSTEM PRIVATE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS} ${HEADBENCH_XXHASH_INCLUDE_DIR} ${HEADBENCH_ZIP_INCLUDE_DIR})
  target_compile_definitions(${target} PRIVATE ${HDF5_C_DEFINITIONS})
  target_link_libraries(${target}
    PRIVATE ${HDF5_C_LIBRARIES} nlohmann_json::nlohmann_json ${CMAKE_DL_LIBS} ICU::uc ICU::data ${HEADBENCH_XXHASH_LIBRARY} ${HEADBENCH_ZIP_LIBRARY}
    PUBLIC fmt::fmt Threads::Threads)
endfunction()
