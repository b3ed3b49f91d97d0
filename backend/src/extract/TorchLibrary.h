#pragma once
/// \file TorchLibrary.h
/// Private to the backend: the part of it that runs LibTorch (model backbones, the L-BFGS probe
/// and the heads trained through LibTorch's autograd, LogME, head.pt files read back) is a module
/// of its own, headbench_torch.so, loaded on first use. A process that never needs it (training
/// a head with hidden layers, comparing runs, reading a feature file) never loads LibTorch and
/// its few hundred libraries, about 0.8 s of start-up.
///
/// The module resolves the rest of HeadBench against the program that loads it (linked whole
/// and with its symbols exported, backend/CMakeLists.txt). Its functions are reached by name:
///     torchFunction<decltype(&loadTorchHead)>("loadTorchHead")(path)
/// where the declaration gives the type and TorchEntry.cpp maps the name.

#include <headbench/extract/ModelBackbone.h>

#include <memory>

namespace headbench {

/// loadModelBackbone as the module implements it (ModelBackbone.cpp).
std::unique_ptr<Backbone> loadModelBackboneWithTorch(const ModelBackboneOptions& options);

/// The module's function `name` (loading the module first); throws headbench::Error naming the
/// module and the reason when it cannot be loaded or lacks the function.
void* torchLibraryEntry(const char* name);

/// Whether the module is loaded in this process (tests and benchmarks ask).
bool torchLibraryLoaded();

template <typename F> F torchFunction(const char* name)
{
    return reinterpret_cast<F>(torchLibraryEntry(name));
}

} // namespace headbench
