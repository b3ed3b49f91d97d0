#!/usr/bin/python3
"""The default linear probe (depth 0: L-BFGS, l2 auto, standardised inputs) against
scikit-learn's LogisticRegression on two small real tables (tools/make_sklearn_tables.py), and
the saved head.pt against the run's own predictions on raw features.
Usage: linear_probe_vs_sklearn.py PATH/TO/headbench-cli
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
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

CLI = None
TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools")




def load(path):
    with h5py.File(path) as f:
        return f["features"][:], f["labels"][:], f["split"][:]


def sklearn_fit(x, y, split, C=1.0):
    scaler = StandardScaler().fit(x[split == 0])
    model = LogisticRegression(C=C, max_iter=5000).fit(scaler.transform(x[split == 0]), y[split == 0])
    return scaler, model


def predictions(run_dir):
    with open(os.path.join(run_dir, "predictions.csv")) as f:
        rows = list(csv.DictReader(f))
    probs = np.array([[float(r[k]) for k in r if k.startswith("p_")] for r in rows])
    return rows, probs


class LinearProbeVsSklearn(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        subprocess.run([sys.executable, os.path.join(TOOLS, "make_sklearn_tables.py"), cls.tmp.name], check=True)
        cls.ws = os.path.join(cls.tmp.name, "ws")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def train(self, table, *args):
        features = os.path.join(self.tmp.name, table)
        out = run("train", "--features", features, "--workspace", self.ws, "--depth", "0", "--json", *args).stdout
        return features, json.loads(out)

    def check_default_probe(self, table):
        features, result = self.train(table)
        x, y, split = load(features)
        scaler, model = sklearn_fit(x, y, split)
        test = split == 2
        theirs = float((model.predict(scaler.transform(x[test])) == y[test]).mean())
        ours = result["metrics"]["test"]["accuracy"]
        print(f"{table}: test accuracy ours {ours:.4f}, scikit-learn {theirs:.4f}", file=sys.stderr)
        self.assertLessEqual(abs(ours - theirs), 0.01, table)

        # The run is recorded as L-BFGS fits, one per penalty tried.
        with open(os.path.join(result["dir"], "spec.json")) as f:
            spec = json.load(f)
        self.assertEqual((spec["optimizer"], spec["l2"], spec["standardize"]), ("auto", "auto", "auto"))
        with open(os.path.join(result["dir"], "history.json")) as f:
            history = json.load(f)
        self.assertGreaterEqual(len(history), 2)
        self.assertTrue(all(e["iterations"] > 0 and e["l2"] > 0 for e in history))

        # head.pt maps raw (not standardised) features to the probabilities the run saved.
        head = torch.jit.load(os.path.join(result["dir"], "head.pt"))
        with torch.no_grad():
            p = head(torch.from_numpy(x)).numpy()
        _, saved = predictions(result["dir"])
        np.testing.assert_allclose(p, saved, atol=1e-5)  # folding rounds in float32
        return features

    def test_digits(self):
        self.check_default_probe("digits.h5")

    def test_breast_cancer(self):
        self.check_default_probe("breast_cancer.h5")

    def test_fixed_penalty_converges_to_sklearns_solution(self):
        # Same objective as LogisticRegression(C): mean loss + 1 / (2 C n) ||W||^2 over the
        # full K x D softmax weights (scikit-learn's multinomial form), so --l2 1/(C n).
        for C in (0.1, 1.0):
            features = os.path.join(self.tmp.name, "digits.h5")
            x, y, split = load(features)
            n = int((split == 0).sum())
            _, result = self.train("digits.h5", "--l2", repr(1.0 / (C * n)))
            scaler, model = sklearn_fit(x, y, split, C=C)
            _, ours = predictions(result["dir"])
            theirs = model.predict_proba(scaler.transform(x))
            self.assertLess(np.abs(ours - theirs).max(), 0.01, C)

    def test_adam_stays_available_for_the_probe(self):
        _, result = self.train("breast_cancer.h5", "--optimizer", "adam", "--epochs", "3")
        with open(os.path.join(result["dir"], "history.json")) as f:
            history = json.load(f)
        self.assertEqual(len(history), 3)  # epochs, not penalty fits
        self.assertTrue(all("iterations" not in e for e in history))


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main()
