#!/usr/bin/python3
"""Writes scikit-learn's bundled digits and breast-cancer tables as HeadBench feature files
(docs/FORMAT.md) with a stored, stratified 60/20/20 train/validation/test split, for comparing
the linear probe with scikit-learn's LogisticRegression on the same rows.

Usage: make_sklearn_tables.py OUT_DIR   -> OUT_DIR/digits.h5, OUT_DIR/breast_cancer.h5
"""
import os
import sys

import h5py
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split

TRAIN, VALIDATION, TEST = 0, 1, 2


def split_codes(y, seed=0):
    """Stratified 60/20/20 split codes (0 train, 1 validation, 2 test)."""
    rows = np.arange(len(y))
    train, rest = train_test_split(rows, test_size=0.4, stratify=y, random_state=seed)
    val, test = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=seed)
    codes = np.empty(len(y), dtype=np.uint8)
    codes[train], codes[val], codes[test] = TRAIN, VALIDATION, TEST
    return codes


def write(path, x, y, names, source):
    with h5py.File(path, "w") as f:
        f.create_dataset("features", data=x.astype(np.float32))
        f.create_dataset("labels", data=y.astype(np.int64))
        f.create_dataset("split", data=split_codes(y))
        f.attrs["format_version"] = 1
        f.attrs["backbone"] = source
        f.attrs["label_names"] = [str(n) for n in names]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    digits = load_digits()
    write(os.path.join(out_dir, "digits.h5"), digits.data, digits.target, digits.target_names,
          "sklearn digits (8x8 pixels)")
    cancer = load_breast_cancer()
    write(os.path.join(out_dir, "breast_cancer.h5"), cancer.data, cancer.target, cancer.target_names,
          "sklearn breast cancer (30 measurements)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
