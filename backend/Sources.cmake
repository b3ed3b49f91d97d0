# The backend's sources by subject, and the torch-free core library. Included by
# backend/CMakeLists.txt and by fuzz/CMakeLists.txt, which builds the same core with clang's
# fuzzer and sanitizer flags: the parsers the fuzzers exercise live in it.
set(HEADBENCH_BACKEND_DIR ${CMAKE_CURRENT_LIST_DIR})
set(_inc ${HEADBENCH_BACKEND_DIR}/include/headbench)
set(_src ${HEADBENCH_BACKEND_DIR}/src)

# Plain C++ (std, nlohmann-json, HDF5, ICU): parsers, data, feature files, specs, metrics,
# comparisons of runs.
set(HEADBENCH_CORE_SOURCES
  ${_inc}/core/Error.h
  ${_src}/core/AtomicFile.cpp ${_inc}/core/AtomicFile.h
  ${_src}/core/CsvReader.cpp ${_inc}/core/CsvReader.h
  ${_src}/core/Hash.cpp ${_inc}/core/Hash.h
  ${_src}/core/ProgressEstimate.cpp ${_inc}/core/ProgressEstimate.h
  ${_inc}/core/Plural.h
  ${_src}/core/JsonErrors.cpp ${_src}/core/JsonErrors.h
  ${_src}/core/JsonNumbers.h
  ${_src}/core/Unicode.cpp ${_inc}/core/Unicode.h
  ${_src}/core/Safetensors.cpp ${_inc}/core/Safetensors.h
  ${_src}/data/Dataset.cpp ${_inc}/data/Dataset.h
  ${_src}/data/DemoData.cpp ${_inc}/data/DemoData.h
  ${_src}/data/FeatureFile.cpp ${_inc}/data/FeatureFile.h
  ${_src}/data/Split.cpp ${_inc}/data/Split.h
  ${_src}/text/CLexer.cpp ${_inc}/text/CLexer.h
  ${_src}/text/HfTokenizer.cpp ${_inc}/text/Tokenizer.h
  ${_src}/text/SentencePieceTokenizer.cpp ${_src}/text/sentencepiece/SentencePieceModule.h
  ${_src}/text/LongText.cpp
  ${_src}/text/TokenizerSteps.cpp ${_inc}/text/TokenizerSteps.h
  ${_inc}/extract/Backbone.h
  ${_src}/extract/Extractor.cpp ${_inc}/extract/Extractor.h
  ${_src}/extract/HashedNgramBackbone.cpp ${_inc}/extract/HashedNgramBackbone.h
  ${_src}/extract/HfFolder.cpp ${_inc}/extract/HfFolder.h
  ${_src}/eval/Calibration.cpp ${_inc}/eval/Calibration.h
  ${_src}/train/HeadSpec.cpp ${_inc}/train/HeadSpec.h
  ${_src}/runs/Sweep.cpp ${_inc}/runs/Sweep.h
  ${_src}/eval/Bootstrap.cpp ${_inc}/eval/Bootstrap.h
  ${_src}/eval/Compare.cpp ${_inc}/eval/Compare.h
  ${_src}/eval/LabelIssues.cpp ${_inc}/eval/LabelIssues.h
  ${_src}/eval/Metrics.cpp ${_inc}/eval/Metrics.h
  ${_src}/eval/SplitEvaluation.cpp ${_inc}/eval/SplitEvaluation.h
  ${_src}/core/NumberText.cpp ${_inc}/core/NumberText.h
  ${_inc}/eval/Predictions.h
  ${_src}/eval/PredictionFiles.cpp ${_inc}/eval/PredictionFiles.h
  ${_src}/runs/RunStore.cpp ${_inc}/runs/RunStore.h ${_src}/runs/RunJson.h
  ${_src}/runs/Workspace.cpp ${_inc}/runs/Workspace.h
  ${_src}/runs/RunComparison.cpp ${_inc}/runs/RunComparison.h
)

# LibTorch: the thread pool, leakage's projections, TorchScript models, heads and training.
set(HEADBENCH_TORCH_SOURCES
  ${_src}/core/Runtime.cpp ${_inc}/core/Runtime.h
  ${_src}/data/Leakage.cpp ${_inc}/data/Leakage.h
  ${_src}/extract/ModelBackbone.cpp ${_inc}/extract/ModelBackbone.h ${_src}/extract/HiddenStateModel.h
  ${_src}/extract/TorchScriptModel.cpp
  # Hugging Face folders: safetensors weights, BERT/RoBERTa/Llama forward passes
  ${_src}/extract/HfModel.cpp
  ${_src}/extract/BackboneRequest.cpp ${_inc}/extract/BackboneRequest.h
  ${_src}/train/CrossValidation.cpp ${_inc}/train/CrossValidation.h
  ${_src}/train/LbfgsProbe.cpp ${_src}/train/LbfgsProbe.h
  ${_src}/train/TorchHead.cpp ${_src}/train/TorchHead.h
  ${_src}/train/Trainer.cpp ${_inc}/train/Trainer.h
  ${_src}/runs/RunSession.cpp ${_inc}/runs/RunSession.h
  ${_src}/runs/RunPlan.cpp ${_inc}/runs/RunPlan.h
  ${_src}/train/Rank.cpp ${_inc}/train/Rank.h
  # writes head.pt (TorchScript) beside the run's other files
  ${_src}/runs/RunSave.cpp
  ${_src}/runs/RunEvaluation.cpp ${_inc}/runs/RunEvaluation.h
)

# headbench_add_core_library(<target>): the torch-free core as a static library. Public
# headers are included as <headbench/subject/Name.h>; private ones (under src/) stay private.
function(headbench_add_core_library target)
  # xxHash (Debian's libxxhash-dev): the content hash of feature files and models.
  find_path(HEADBENCH_XXHASH_INCLUDE_DIR xxhash.h REQUIRED)
  find_library(HEADBENCH_XXHASH_LIBRARY xxhash REQUIRED)
  add_library(${target} STATIC ${HEADBENCH_CORE_SOURCES})
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target}
    PUBLIC ${HEADBENCH_BACKEND_DIR}/include
    PRIVATE ${HEADBENCH_BACKEND_DIR}/src)
  target_include_directories(${target} SYSTEM PRIVATE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS} ${HEADBENCH_XXHASH_INCLUDE_DIR})
  target_compile_definitions(${target} PRIVATE ${HDF5_C_DEFINITIONS})
  target_link_libraries(${target}
    PRIVATE ${HDF5_C_LIBRARIES} nlohmann_json::nlohmann_json ${CMAKE_DL_LIBS} ICU::uc ICU::data ${HEADBENCH_XXHASH_LIBRARY}
    PUBLIC fmt::fmt Threads::Threads)
endfunction()
