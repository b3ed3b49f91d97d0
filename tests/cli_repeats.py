#!/usr/bin/python3
"""End-to-end test of `train --repeats N`: N runs with seeds seed .. seed + N - 1 on one split,
grouped like a sweep, and a summary whose mean and sd agree with numpy (sample sd, ddof=1).
Usage: cli_repeats.py PATH/TO/headbench-cli
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




def split_of(run_dir):
    with open(os.path.join(run_dir, "predictions.csv")) as f:
        return {r["id"]: r["split"] for r in csv.DictReader(f)}


def probabilities(run_dir):
    with open(os.path.join(run_dir, "predictions.csv")) as f:
        return np.array([[float(v) for k, v in r.items() if k.startswith("p_")] for r in csv.DictReader(f)])


HEAD = ["--depth", "1", "--width", "16", "--optimizer", "adamw", "--epochs", "6", "--early-stopping", "none"]


class Repeats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        # Two overlapping Gaussian blobs, no stored split: the split is drawn from the seed.
        rng = np.random.default_rng(4)
        n, d = 400, 8
        labels = rng.integers(0, 2, n)
        feats = rng.normal(size=(n, d)) + labels[:, None] * 0.6
        cls.features = os.path.join(cls.dir, "blobs.h5")
        with h5py.File(cls.features, "w") as f:
            f.create_dataset("features", data=feats.astype(np.float32))
            f.create_dataset("labels", data=labels.astype(np.int64))
            f.create_dataset("ids", data=[f"row{i}" for i in range(n)], dtype=h5py.string_dtype())
            f.attrs["format_version"] = 1
            f.attrs["backbone"] = "blobs"
            f.attrs["label_names"] = ["a", "b"]
        cls.ws = os.path.join(cls.dir, "ws")
        cls.result = json.loads(run("train", "--features", cls.features, "--workspace", cls.ws, "--seed", "11",
                                    "--repeats", "3", "--json", *HEAD).stdout)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_one_saved_run_per_seed_grouped(self):
        runs = self.result["runs"]
        self.assertEqual(len(runs), 3)
        seeds, groups = [], set()
        for r in runs:
            with open(os.path.join(r["dir"], "spec.json")) as f:
                seeds.append(json.load(f)["seed"])
            with open(os.path.join(r["dir"], "run.json")) as f:
                meta = json.load(f)
            groups.add(meta["sweep"]["id"])
            self.assertEqual(meta["sweep"]["params"], {"seed": seeds[-1]})
            self.assertIn("test", r["metrics"])
        self.assertEqual(seeds, [11, 12, 13])
        self.assertEqual(groups, {self.result["repeat"]})
        listed = json.loads(run("runs", "--workspace", self.ws, "--json").stdout)
        self.assertEqual(len(listed["runs"] if isinstance(listed, dict) else listed), 3)

    def test_split_stays_the_same_and_seeds_matter(self):
        dirs = [r["dir"] for r in self.result["runs"]]
        first = split_of(dirs[0])
        for d in dirs[1:]:
            self.assertEqual(split_of(d), first)
        # Seed 11 alone draws the same split; seed 12 alone draws another one, so the repeats
        # really kept the first seed's split rather than happening to agree.
        ws = os.path.join(self.dir, "single")
        alone11 = json.loads(run("train", "--features", self.features, "--workspace", ws, "--seed", "11", "--json", *HEAD).stdout)
        alone12 = json.loads(run("train", "--features", self.features, "--workspace", ws, "--seed", "12", "--json", *HEAD).stdout)
        self.assertEqual(split_of(alone11["dir"]), first)
        self.assertNotEqual(split_of(alone12["dir"]), first)
        # The seed changes initialisation and shuffling: the heads differ.
        self.assertGreater(np.abs(probabilities(dirs[0]) - probabilities(dirs[1])).max(), 1e-4)
        # Run 1 of the repeats is the single seed-11 run.
        np.testing.assert_allclose(probabilities(dirs[0]), probabilities(alone11["dir"]), atol=1e-6)

    def test_summary_is_mean_and_sample_sd(self):
        for split in ("val", "test"):
            for metric in ("f1", "accuracy", "roc_auc", "loss"):
                values = np.array([r["metrics"][split][metric] for r in self.result["runs"]], dtype=float)
                s = self.result["summary"][split][metric]
                self.assertAlmostEqual(s["mean"], values.mean(), places=9, msg=f"{split} {metric}")
                self.assertAlmostEqual(s["sd"], values.std(ddof=1), places=9, msg=f"{split} {metric}")

    def test_reproducible(self):
        again = json.loads(run("train", "--features", self.features, "--workspace", os.path.join(self.dir, "again"),
                               "--seed", "11", "--repeats", "3", "--json", *HEAD).stdout)
        self.assertEqual([r["metrics"] for r in again["runs"]], [r["metrics"] for r in self.result["runs"]])
        self.assertEqual(again["summary"], self.result["summary"])

    def test_text_output_and_cv_refused(self):
        out = run("train", "--features", self.features, "--workspace", os.path.join(self.dir, "text"), "--repeats", "2",
                  *HEAD).stdout
        self.assertIn("mean ± sd", out)
        err = run("train", "--features", self.features, "--workspace", os.path.join(self.dir, "cv"), "--repeats", "2",
                  "--cv", "3", *HEAD, expect=2).stderr
        self.assertIn("--repeats and --cv", err)


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main()
