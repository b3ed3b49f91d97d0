#!/usr/bin/python3
"""Learning curves: the sweep axis `train_fraction` and `train --train-fraction`. Each run fits on a
stratified part of the training split (max(1, round(f * n_c)) rows of each class's n_c training rows,
counted here from predictions.csv), run.json records the fraction and the rows used, validation and
test rows are the same for every fraction, and a bad fraction is refused with exit code 2.
(The subsets' nesting is tested on the backend function: TrainSubset in tests/backend/data/SplitTest.cpp.)
Usage: cli_learning_curve.py PATH/TO/headbench-cli
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

import clitest
from clitest import run

import h5py
import numpy as np

CLI = None
FRACTIONS = [0.01, 0.05, 0.25, 1.0]




def predictions(run_dir):
    with open(os.path.join(run_dir, "predictions.csv")) as f:
        return {r["id"]: (r["split"], r["label"]) for r in csv.DictReader(f)}


def expected_rows(preds, fraction):
    per_class = {}
    for split, label in preds.values():
        if split == "train":
            per_class[label] = per_class.get(label, 0) + 1
    return sum(max(1, int(np.floor(fraction * n + 0.5))) for n in per_class.values())


class LearningCurve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        # Three unbalanced classes (70/25/5 %), no stored split: a seeded stratified 80/10/10 split.
        rng = np.random.default_rng(8)
        n, d = 600, 6
        labels = rng.choice(3, size=n, p=[0.7, 0.25, 0.05])
        feats = rng.normal(size=(n, d)) + np.eye(3, d)[labels] * 1.5
        cls.features = os.path.join(cls.dir, "blobs.h5")
        with h5py.File(cls.features, "w") as f:
            f.create_dataset("features", data=feats.astype(np.float32))
            f.create_dataset("labels", data=labels.astype(np.int64))
            f.create_dataset("ids", data=[f"row{i}" for i in range(n)], dtype=h5py.string_dtype())
            f.attrs["format_version"] = 1
            f.attrs["backbone"] = "blobs"
            f.attrs["label_names"] = ["a", "b", "c"]
        cls.grid = os.path.join(cls.dir, "curve.json")
        with open(cls.grid, "w") as f:
            json.dump({"base": {"seed": 5}, "grid": {"train_fraction": FRACTIONS}}, f)
        cls.ws = os.path.join(cls.dir, "ws")
        cls.sweep = json.loads(run("sweep", "--features", cls.features, "--workspace", cls.ws, "--grid", cls.grid,
                                   "--json").stdout)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_run_json_records_fraction_and_stratified_row_count(self):
        runs = self.sweep["runs"]
        self.assertEqual(len(runs), len(FRACTIONS))
        counts = []
        for fraction, r in zip(FRACTIONS, runs):
            self.assertEqual(r["params"], {"train_fraction": fraction})
            with open(os.path.join(r["dir"], "run.json")) as f:
                meta = json.load(f)
            self.assertEqual(meta["train_fraction"], fraction)
            self.assertEqual(meta["train_rows"], expected_rows(predictions(r["dir"]), fraction), f"fraction {fraction}")
            self.assertEqual(r["train_rows"], meta["train_rows"])
            counts.append(meta["train_rows"])
        self.assertEqual(counts, sorted(counts))
        self.assertLess(counts[0], 10)  # 1 %, at least one row per class
        self.assertGreaterEqual(counts[0], 3)
        self.assertGreater(counts[-1], 400)

    def test_validation_and_test_unchanged(self):
        runs = self.sweep["runs"]
        first = predictions(runs[0]["dir"])
        for r in runs[1:]:
            self.assertEqual(predictions(r["dir"]), first)  # same rows in every split (train marks the pool)
            self.assertEqual(r["metrics"]["test"]["count"], runs[0]["metrics"]["test"]["count"])
            self.assertEqual(r["metrics"]["val"]["count"], runs[0]["metrics"]["val"]["count"])

    def test_single_train_matches_the_sweep_point(self):
        ws = os.path.join(self.dir, "single")
        single = json.loads(run("train", "--features", self.features, "--workspace", ws, "--seed", "5",
                                "--train-fraction", "0.25", "--json").stdout)
        self.assertEqual(single["train_fraction"], 0.25)
        self.assertEqual(single["train_rows"], self.sweep["runs"][2]["train_rows"])
        self.assertEqual(single["metrics"], self.sweep["runs"][2]["metrics"])
        whole = json.loads(run("train", "--features", self.features, "--workspace", ws, "--seed", "5", "--json").stdout)
        self.assertEqual(whole["train_fraction"], 1.0)
        self.assertEqual(whole["train_rows"], self.sweep["runs"][3]["train_rows"])

    def test_bad_fraction_refused(self):
        ws = os.path.join(self.dir, "bad")
        err = run("train", "--features", self.features, "--workspace", ws, "--train-fraction", "0", expect=2).stderr
        self.assertIn("--train-fraction", err)
        bad = os.path.join(self.dir, "bad.json")
        with open(bad, "w") as f:
            json.dump({"grid": {"train_fraction": [0.5, 1.5]}}, f)
        err = run("sweep", "--features", self.features, "--workspace", ws, "--grid", bad, expect=2).stderr
        self.assertIn("train_fraction", err)
        self.assertIn("bad.json", err)


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main()
