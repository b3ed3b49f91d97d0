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

    def test_class_weighted_probe_converges_to_sklearns_solution(self):
        # Class weights make the loss a weighted mean, sum_i w_yi l_i / sum_i w_yi, which the probe
        # takes block by block of rows; scikit-learn's objective with class_weight and C is the same
        # up to the factor sum_i w_yi, so --l2 1 / (C sum_i w_yi). Two-class softmax on both sides.
        features = os.path.join(self.tmp.name, "breast_cancer.h5")
        x, y, split = load(features)
        train = split == 0
        scaler = StandardScaler().fit(x[train])
        for weights, C in (("auto", 1.0), ("1,3", 0.3)):
            if weights == "auto":
                counts = np.bincount(y[train], minlength=2)
                w = len(y[train]) / (2 * counts)
                class_weight = "balanced"
            else:
                w = np.array([1.0, 3.0])
                class_weight = {0: 1.0, 1: 3.0}
            total = float(w[y[train]].sum())
            _, result = self.train("breast_cancer.h5", "--class-weights", weights, "--l2", repr(1.0 / (C * total)))
            model = LogisticRegression(C=C, max_iter=10000, tol=1e-10, multi_class="multinomial",
                                       class_weight=class_weight).fit(scaler.transform(x[train]), y[train])
            _, ours = predictions(result["dir"])
            theirs = model.predict_proba(scaler.transform(x))
            self.assertLess(np.abs(ours - theirs).max(), 0.01, weights)
            # A wrong share of the denominator per block (e.g. a plain mean) would move the optimum.
            unweighted = LogisticRegression(C=C, max_iter=10000, tol=1e-10, multi_class="multinomial").fit(
                scaler.transform(x[train]), y[train])
            self.assertGreater(np.abs(unweighted.predict_proba(scaler.transform(x)) - theirs).max(), 0.05, weights)

    def test_bce_probe_converges_to_sklearns_binary_solution(self):
        # One output with BCE-with-logits is scikit-learn's binary LogisticRegression: mean loss
        # + l2 / 2 ||w||^2 is its objective divided by C n, so --l2 1 / (C n).
        features = os.path.join(self.tmp.name, "breast_cancer.h5")
        x, y, split = load(features)
        train = split == 0
        scaler = StandardScaler().fit(x[train])
        C = 0.5
        _, result = self.train("breast_cancer.h5", "--loss", "bce", "--l2", repr(1.0 / (C * int(train.sum()))))
        model = LogisticRegression(C=C, max_iter=10000, tol=1e-10).fit(scaler.transform(x[train]), y[train])
        _, ours = predictions(result["dir"])
        self.assertLess(np.abs(ours - model.predict_proba(scaler.transform(x))).max(), 0.01)

    def test_focal_probe_reaches_the_minimum_of_an_independent_fit(self):
        # The focal loss has no scikit-learn peer: the reference minimises the same objective
        # (mean of (1 - p_y)^gamma * -log p_y over a two-class softmax, + l2 / 2 ||W||^2 on the
        # weights only, population-standardised inputs) in double with PyTorch's own L-BFGS.
        features = os.path.join(self.tmp.name, "breast_cancer.h5")
        x, y, split = load(features)
        train = split == 0
        gamma, l2 = 2.0, 1e-3
        _, result = self.train("breast_cancer.h5", "--loss", "focal", "--focal-gamma", str(gamma), "--l2", repr(l2))
        mean, sd = x[train].mean(0), x[train].std(0)
        sd[sd == 0] = 1
        xt = torch.from_numpy((x - mean) / sd).double()
        yt = torch.from_numpy(y.astype(np.int64))
        w = torch.zeros(2, x.shape[1], dtype=torch.float64, requires_grad=True)
        b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=5000, tolerance_grad=1e-12, tolerance_change=1e-15,
                                history_size=50, line_search_fn="strong_wolfe")
        rows = torch.from_numpy(np.flatnonzero(train))

        def closure():
            opt.zero_grad()
            logp = torch.log_softmax(xt[rows] @ w.T + b, 1).gather(1, yt[rows].unsqueeze(1)).squeeze(1)
            loss = ((1 - logp.exp()) ** gamma * -logp).mean() + 0.5 * l2 * (w ** 2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            theirs = torch.softmax(xt @ w.T + b, 1).numpy()
        _, ours = predictions(result["dir"])
        self.assertLess(np.abs(ours - theirs).max(), 0.01)

    def test_adam_stays_available_for_the_probe(self):
        _, result = self.train("breast_cancer.h5", "--optimizer", "adam", "--epochs", "3")
        with open(os.path.join(result["dir"], "history.json")) as f:
            history = json.load(f)
        self.assertEqual(len(history), 3)  # epochs, not penalty fits
        self.assertTrue(all("iterations" not in e for e in history))


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main()
