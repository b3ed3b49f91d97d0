#!/usr/bin/python3
"""Checks the backend's layers and the widgets' diet, as a test:

- backend subjects depend one way, on subjects to their right only:
      runs -> train -> compute -> extract -> eval -> data -> text -> core
  (an #include <headbench/S/...> or "S/..." in backend/src/T or backend/include/headbench/T names
  a dependency of T on S);
- headbench_core's subjects (core, text, data, eval) include no LibTorch header;
- widgets/ read no files of a run (they are given RunRecord and other values) and include no
  LibTorch.

Prints each violation as file:line and exits 1 when there is one.
Usage: tools/check_layers.py [REPO]
"""
import os
import re
import sys

ORDER = ["runs", "train", "compute", "extract", "eval", "data", "text", "core"]
CORE = {"core", "text", "data", "eval"}
INCLUDE = re.compile(r'#\s*include\s*[<"](?:headbench/|\.\./)?([a-z]+)/[^>"]+[>"]')
# The functions that read a run folder or feature file (RunStore.h, PredictionFiles.h,
# CrossValidationFiles.h, FeatureFile.h).
READERS = re.compile(r"\b(loadRun|loadPredictions|loadRunHead|loadLeakageRows|loadCrossValidationSummary|listRuns|"
                     r"loadOutOfFold|read(Predictions|Leakage|OutOfFold)Csv|readFeatureFile|unfinishedRun)\s*\(")
TORCH = re.compile(r'#\s*include\s*[<"](torch|ATen|c10)/')


def sources(root):
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name.endswith((".cpp", ".h")):
                yield os.path.join(dirpath, name)


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    problems = []
    backend = os.path.join(repo, "backend")
    for subject in ORDER:
        allowed = set(ORDER[ORDER.index(subject):])
        for base in (os.path.join(backend, "src", subject), os.path.join(backend, "include", "headbench", subject)):
            if not os.path.isdir(base):
                continue
            for path in sources(base):
                if os.sep + "sentencepiece" + os.sep in path:
                    continue  # the plugin is its own module
                for n, line in enumerate(open(path, encoding="utf-8"), 1):
                    m = INCLUDE.search(line)
                    if m and m.group(1) in ORDER and m.group(1) not in allowed:
                        problems.append(f"{path}:{n}: {subject} includes {m.group(1)}, a layer above it")
                    if subject in CORE and TORCH.search(line):
                        problems.append(f"{path}:{n}: {subject} is in the torch-free core but includes LibTorch")
    for path in sources(os.path.join(repo, "widgets")):
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if READERS.search(line):
                problems.append(f"{path}:{n}: a widget reads a run's files (it should be given values)")
            if TORCH.search(line):
                problems.append(f"{path}:{n}: a widget includes LibTorch")
    for p in problems:
        print(p)
    print(f"{len(problems)} layering problem(s)" if problems else "layers ok: " + " -> ".join(ORDER))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
