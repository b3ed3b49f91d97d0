#!/usr/bin/python3
"""`headbench-cli rank`: LogME against an independent numpy implementation written from the
paper (You et al., 2021, Algorithm 1: evidence of a Bayesian linear regression per one-hot
class target, alpha and beta by fixed-point iteration, evidence / N averaged over classes), on
random data and on feature sets of the all-hidden-states fixture; the probe's validation F1
against a run of `train`; several files of the same rows; files of other rows refused.
Usage: cli_rank_logme.py PATH/TO/headbench-cli MODELS_DIR
"""
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
MODELS = None
HERE = os.path.dirname(os.path.abspath(__file__))




def logme_numpy(f, labels):
    """LogME as the paper states it, computed directly: for each class k with target y (one-hot
    column), repeat  A = alpha I + beta F^T F,  m = beta A^-1 F^T y,
    gamma = sum_i beta s_i / (alpha + beta s_i) (s_i eigenvalues of F^T F),
    alpha = gamma / m^T m,  beta = (N - gamma) / ||F m - y||^2  until alpha and beta settle; the
    evidence is  D/2 log alpha + N/2 log beta - 1/2 log|A| - beta/2 ||F m - y||^2 - alpha/2 m^T m
    - N/2 log 2 pi,  divided by N; LogME is its mean over the classes."""
    f = f.astype(np.float64)
    n, d = f.shape
    ftf = f.T @ f
    s = np.linalg.eigvalsh(ftf)
    s = np.clip(s, 0, None)
    total = 0.0
    classes = int(labels.max()) + 1
    for k in range(classes):
        y = (labels == k).astype(np.float64)
        fty = f.T @ y
        alpha, beta = 1.0, 1.0
        degenerate = False
        for _ in range(10000):
            a_mat = alpha * np.eye(d) + beta * ftf
            m = beta * np.linalg.solve(a_mat, fty)
            gamma = np.sum(beta * s / (alpha + beta * s))
            res = np.sum((f @ m - y) ** 2)
            new_alpha = gamma / (m @ m)
            new_beta = (n - gamma) / res
            done = abs(new_alpha - alpha) <= 1e-12 * alpha and abs(new_beta - beta) <= 1e-12 * beta
            alpha, beta = new_alpha, new_beta
            if alpha > 1e9 * beta * s.max():
                # No linear signal for this class (e.g. a class whose target is no combination of
                # the features, there being no bias): alpha grows without bound and the evidence
                # tends to that of m = 0, gamma = 0, beta = N / ||y||^2.
                degenerate = True
                break
            if done:
                break
        if degenerate:
            beta = n / (y @ y)
            total += (n / 2 * np.log(beta) - beta / 2 * (y @ y) - n / 2 * np.log(2 * np.pi)) / n
            continue
        a_mat = alpha * np.eye(d) + beta * ftf
        m = beta * np.linalg.solve(a_mat, fty)
        res = np.sum((f @ m - y) ** 2)
        _, logdet = np.linalg.slogdet(a_mat)
        evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - 0.5 * logdet - beta / 2 * res - alpha / 2 * (m @ m)
                    - n / 2 * np.log(2 * np.pi))
        total += evidence / n
    return total / classes


def write_features(path, x, labels, split, ids=None):
    with h5py.File(path, "w") as f:
        f.create_dataset("features", data=x.astype(np.float32))
        f.create_dataset("labels", data=labels.astype(np.int64))
        f.create_dataset("split", data=split.astype(np.uint8))
        f.create_dataset("ids", data=ids if ids is not None else [f"r{i}" for i in range(len(labels))],
                         dtype=h5py.string_dtype())
        f.attrs["format_version"] = 1


class Rank(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name

    def check(self, got, want):
        self.assertLessEqual(abs(got - want), 1e-4 * abs(want), f"LogME {got} vs numpy {want}")

    def test_random_data_against_numpy(self):
        rng = np.random.default_rng(7)
        for n, d, k in ((300, 12, 2), (240, 20, 3), (60, 90, 2)):  # the last has more features than rows
            labels = rng.integers(0, k, n)
            x = rng.normal(size=(n, d)) + labels[:, None] * rng.normal(size=d) * 0.5
            split = np.where(np.arange(n) % 10 < 8, 0, np.where(np.arange(n) % 10 == 8, 1, 2))
            path = os.path.join(self.dir, f"random_{n}_{d}_{k}.h5")
            write_features(path, x, labels, split)
            got = json.loads(run("rank", "--features", path, "--json", "--no-probe").stdout)
            self.assertEqual(len(got), 1)
            self.assertEqual(got[0]["feature_set"], "features")
            self.assertIsNone(got[0]["probe_val_f1"])
            train = split == 0
            self.check(got[0]["logme"], logme_numpy(x[train].astype(np.float32), labels[train]))

    def test_feature_sets_of_a_fixture_model(self):
        # Real-ish features: every layer and pooling of the all-hidden-states fixture on the
        # demo dataset, ranked with the probe; each LogME against numpy on that set's rows.
        demo = os.path.join(self.dir, "demo")
        run("demo", "--out", demo)
        data = os.path.join(self.dir, "demo_split.jsonl")
        with open(os.path.join(demo, "demo.jsonl")) as src, open(data, "w") as dst:
            for i, line in enumerate(src):
                row = json.loads(line)
                row["split"] = ("train", "train", "train", "train", "train", "train", "train", "train", "valid", "test")[i % 10]
                dst.write(json.dumps(row) + "\n")
        out = os.path.join(self.dir, "sets.h5")
        run("extract", "--dataset", data, "--split-field", "split", "--backbone", os.path.join(MODELS, "all_hidden.pt"),
            "--tokenizer", os.path.join(HERE, "data", "tokenizers", "wordpiece", "tokenizer.json"), "--layers", "all",
            "--pooling", "mean,cls", "--out", out)
        ranked = json.loads(run("rank", "--features", out, "--json").stdout)
        self.assertEqual(len(ranked), 8)
        self.assertEqual([r["logme"] for r in ranked], sorted((r["logme"] for r in ranked), reverse=True))
        with h5py.File(out, "r") as f:
            labels = f["labels"][()]
            split = f["split"][()]
            for r in ranked:
                self.assertEqual(r["file"], out)
                x = f["feature_sets"][r["feature_set"]][()]
                train = split == 0
                self.check(r["logme"], logme_numpy(x[train], labels[train]))
                self.assertTrue(0 <= r["probe_val_f1"] <= 1)
        # The probe's score is the one a linear probe run reports on its validation split.
        best = ranked[0]
        ws = os.path.join(self.dir, "ws")
        res = json.loads(run("train", "--features", out, "--feature-set", best["feature_set"], "--workspace", ws,
                             "--depth", "0", "--optimizer", "lbfgs", "--leakage", "off", "--json").stdout)
        self.assertAlmostEqual(res["metrics"]["val"]["f1"], best["probe_val_f1"], places=6)
        # Text output: best first.
        text = run("rank", "--features", out, "--no-probe").stdout
        self.assertIn(ranked[0]["feature_set"], text.splitlines()[1])

    def test_several_files_of_the_same_rows_and_others_refused(self):
        rng = np.random.default_rng(3)
        n = 120
        labels = rng.integers(0, 2, n)
        split = np.where(np.arange(n) % 10 < 8, 0, 1)
        a, b = os.path.join(self.dir, "a.h5"), os.path.join(self.dir, "b.h5")
        write_features(a, rng.normal(size=(n, 6)) + labels[:, None], labels, split)
        write_features(b, rng.normal(size=(n, 6)), labels, split)
        got = json.loads(run("rank", "--features", a, b, "--json").stdout)
        self.assertEqual([g["file"] for g in got], [a, b])  # a separates the classes: best first
        for g in got:
            self.assertEqual(set(g), {"file", "feature_set", "layer", "pooling", "dim", "logme", "probe_val_f1", "seconds"})
        c = os.path.join(self.dir, "c.h5")
        write_features(c, rng.normal(size=(n, 6)), labels, split, ids=[f"other{i}" for i in range(n)])
        proc = run("rank", "--features", a, c, expect=2)
        self.assertIn("c.h5", proc.stderr)
        self.assertIn("id", proc.stderr)
        d = os.path.join(self.dir, "d.h5")
        write_features(d, rng.normal(size=(n - 1, 6)), labels[:-1], split[:-1])
        self.assertIn("rows", run("rank", "--features", a, d, expect=2).stderr)
        self.assertIn("no such file", run("rank", "--features", os.path.join(self.dir, "missing.h5"), expect=2).stderr)


if __name__ == "__main__":
    CLI, MODELS = clitest.arguments(2)
    unittest.main(verbosity=2)
