#!/usr/bin/python3
"""End-to-end test of train --calibrate temperature: an over-confident head (noisy Gaussian
blobs, an MLP trained long without early stopping) gets a temperature that minimises the
validation NLL (checked against a numpy grid search), lowers the validation ECE (numpy ECE),
and head.pt applies it: torch.jit.load(head.pt)(x) equals predictions.csv.
Usage: cli_calibration.py PATH/TO/headbench-cli
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

CLI = None




def read_predictions(run_dir, k):
    with open(os.path.join(run_dir, "predictions.csv")) as f:
        rows = list(csv.DictReader(f))
    ids = [r["id"] for r in rows]
    split = np.array([r["split"] for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    probs = np.array([[float(r[c]) for c in list(rows[0].keys())[4:4 + k]] for r in rows])
    return ids, split, labels, probs


def ece(probs, labels, bins=10):
    """Expected calibration error, equal-width bins (lo, hi] of the top-class probability."""
    conf = probs.max(1)
    correct = (probs.argmax(1) == labels).astype(float)
    b = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for i in range(bins):
        m = b == i
        if m.any():
            total += m.mean() * abs(correct[m].mean() - conf[m].mean())
    return total


def nll(logits, labels, t):
    z = logits / t
    z = z - z.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return -logp[np.arange(len(labels)), labels].mean()


def write_blobs(path, n=1500, k=3, d=8, noise=0.25, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(k, size=n)
    centers = rng.normal(size=(k, d)) * 1.2
    x = centers[y] + rng.normal(size=(n, d))
    flip = rng.random(n) < noise  # label noise: the best head cannot be sure
    y = np.where(flip, rng.integers(k, size=n), y)
    split = np.repeat([0, 1, 2], [n * 6 // 10, n * 2 // 10, n - n * 8 // 10])
    rng.shuffle(split)
    with h5py.File(path, "w") as f:
        f["features"] = x.astype(np.float32)
        f["labels"] = y.astype(np.int64)
        f["split"] = split.astype(np.uint8)
    return x.astype(np.float32)


class TemperatureScaling(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.features = os.path.join(cls.dir, "blobs.h5")
        cls.x = write_blobs(cls.features)
        cls.ws = os.path.join(cls.dir, "ws")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def train(self, epochs, *args):
        return json.loads(run("train", "--features", self.features, "--workspace", self.ws, "--json", "--depth", "2",
                              "--width", "128", "--epochs", epochs, "--early-stopping", "none", "--optimizer", "adam",
                              "--lr", "0.003", *args).stdout)

    def test_temperature_minimises_validation_nll_and_head_applies_it(self):
        result = self.train(300, "--calibrate", "temperature")
        cal = result["calibration"]
        self.assertEqual(cal["method"], "temperature")
        t = cal["temperature"]
        self.assertGreater(t, 1.0, "an over-fitted head on noisy labels is over-confident")
        with open(os.path.join(result["dir"], "run.json")) as f:
            self.assertEqual(json.load(f)["calibration"], cal)

        # head.pt gives the calibrated probabilities, the same as predictions.csv.
        ids, split, labels, probs = read_predictions(result["dir"], 3)
        head = torch.jit.load(os.path.join(result["dir"], "head.pt"))
        self.assertAlmostEqual(float(head.temperature[0]), t, places=5)
        order = [int(i) for i in ids] if ids[0].isdigit() else None
        x = self.x[order] if order is not None else self.x
        with torch.no_grad():
            scripted = head(torch.from_numpy(x)).double().numpy()
        np.testing.assert_allclose(scripted, probs, atol=1e-5)

        # Logits up to a constant per row: T log p. The reported T minimises the validation NLL.
        logits = t * np.log(scripted)
        val = split == "validation"
        grid = np.exp(np.arange(np.log(0.05), np.log(50.0), 0.001))
        losses = np.array([nll(logits[val], labels[val], g) for g in grid])
        best = grid[losses.argmin()]
        self.assertLess(abs(np.log(best) - np.log(t)), 0.005, f"grid optimum {best}, reported {t}")
        self.assertLessEqual(nll(logits[val], labels[val], t), losses.min() + 1e-7)

        # ECE before (softmax of the raw logits) and after, as numpy computes them.
        def softmax(z):
            e = np.exp(z - z.max(1, keepdims=True))
            return e / e.sum(1, keepdims=True)
        raw = softmax(logits)
        test = split == "test"
        self.assertAlmostEqual(cal["val_ece_before"], ece(raw[val], labels[val]), places=4)
        self.assertAlmostEqual(cal["val_ece_after"], ece(probs[val], labels[val]), places=4)
        self.assertAlmostEqual(cal["test_ece_before"], ece(raw[test], labels[test]), places=4)
        self.assertAlmostEqual(cal["test_ece_after"], ece(probs[test], labels[test]), places=4)
        self.assertLessEqual(cal["val_ece_after"], cal["val_ece_before"])
        # The metrics are those of the calibrated probabilities.
        self.assertAlmostEqual(result["metrics"]["val"]["ece"], cal["val_ece_after"], places=6)

    def test_off_by_default(self):
        result = self.train(5)
        self.assertIsNone(result["calibration"])
        with open(os.path.join(result["dir"], "run.json")) as f:
            self.assertNotIn("calibration", json.load(f))
        head = torch.jit.load(os.path.join(result["dir"], "head.pt"))
        self.assertFalse(hasattr(head, "temperature"))

    def test_single_logit_bce_head(self):
        path = os.path.join(self.dir, "binary.h5")
        x = write_blobs(path, k=2, seed=1)
        result = json.loads(run("train", "--features", path, "--workspace", self.ws, "--json", "--depth", "2", "--width",
                                "128", "--epochs", "100", "--early-stopping", "none", "--loss", "bce", "--calibrate",
                                "temperature").stdout)
        t = result["calibration"]["temperature"]
        ids, split, labels, probs = read_predictions(result["dir"], 2)
        head = torch.jit.load(os.path.join(result["dir"], "head.pt"))
        with torch.no_grad():
            scripted = head(torch.from_numpy(x[[int(i) for i in ids]] if ids[0].isdigit() else x)).double().numpy()
        np.testing.assert_allclose(scripted, probs, atol=1e-5)
        # The single logit z = T logit(p1); the validation NLL of sigmoid(z / T') is least at T.
        p1 = np.clip(scripted[:, 1], 1e-12, 1 - 1e-12)
        z = t * np.log(p1 / (1 - p1))
        pairs = np.stack([np.zeros_like(z), z], 1)
        val = split == "validation"
        grid = np.exp(np.arange(np.log(0.05), np.log(50.0), 0.001))
        best = grid[np.argmin([nll(pairs[val], labels[val], g) for g in grid])]
        self.assertLess(abs(np.log(best) - np.log(t)), 0.005, f"grid optimum {best}, reported {t}")

    def test_unknown_method_is_refused(self):
        err = run("train", "--features", self.features, "--workspace", self.ws, "--calibrate", "platt", expect=2).stderr
        self.assertIn("platt", err)


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main(verbosity=2)
