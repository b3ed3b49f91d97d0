#!/usr/bin/python3
"""Confidence intervals and paired differences of headbench-cli against an independent
bootstrap: train runs on generated feature files, read the saved predictions.csv, resample the
rows with numpy's own generator (stratified by class, 1,000 resamples), score every resample with
scikit-learn / numpy, and compare the percentile intervals with `train --json` (metrics.*.ci) and
`compare --json` (paired.*). Two bootstraps with different random draws agree within sampling
error, so each bound is compared with a tolerance of a fifth of the interval's width (the bound
of 1,000 draws moves by about 3% of the width between seeds; 8% was the largest seen), and the
widths and centres averaged over all metrics within 5%.
Usage: bootstrap_intervals_test.py PATH/TO/headbench-cli
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
from sklearn.metrics import average_precision_score, roc_auc_score

CLI = None
RESAMPLES = 1000
METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "ece"]




def write_features(path, feats, labels, split, ids, names, backbone):
    with h5py.File(path, "w") as f:
        f.create_dataset("features", data=feats.astype(np.float32))
        f.create_dataset("labels", data=labels.astype(np.int64))
        f.create_dataset("ids", data=[str(i) for i in ids], dtype=h5py.string_dtype())
        f.create_dataset("split", data=split.astype(np.uint8))
        f.attrs["format_version"] = 1
        f.attrs["backbone"] = backbone
        f.attrs["label_names"] = names


def read_predictions(run_dir):
    """id -> (split, label, probabilities) from the run's predictions.csv."""
    with open(os.path.join(run_dir, "predictions.csv")) as f:
        reader = csv.reader(f)
        header = next(reader)
        k = len(header) - 4
        out = {}
        for row in reader:
            out[row[0]] = (row[1], int(row[2]), np.array([float(x) for x in row[4:4 + k]]))
    return out


def split_arrays(pred, split, ids=None):
    ids = ids if ids is not None else [i for i, (s, _, _) in pred.items() if s == split]
    labels = np.array([pred[i][1] for i in ids])
    probs = np.stack([pred[i][2] for i in ids])
    return ids, labels, probs


def metrics(labels, probs):
    """The metrics as docs/FORMAT.md defines them: class 1 for two classes at threshold 0.5,
    macro averages over all classes otherwise; ECE over 10 bins (lo, hi] of top-class confidence."""
    k = probs.shape[1]
    pred = (probs[:, 1] >= 0.5).astype(int) if k == 2 else probs.argmax(1)
    out = {"accuracy": float(np.mean(pred == labels))}
    prec, rec, f1 = [], [], []
    for c in ([1] if k == 2 else range(k)):
        tp = np.sum((pred == c) & (labels == c))
        p = tp / np.sum(pred == c) if np.sum(pred == c) else 0.0
        r = tp / np.sum(labels == c) if np.sum(labels == c) else 0.0
        prec.append(p)
        rec.append(r)
        f1.append(2 * p * r / (p + r) if p + r > 0 else 0.0)
    out["precision"], out["recall"], out["f1"] = float(np.mean(prec)), float(np.mean(rec)), float(np.mean(f1))
    if k == 2:
        out["roc_auc"] = roc_auc_score(labels, probs[:, 1])
        out["pr_auc"] = average_precision_score(labels, probs[:, 1])
    else:
        out["roc_auc"] = out["pr_auc"] = None
    conf = probs.max(1)
    correct = probs.argmax(1) == labels
    bins = np.clip(np.ceil(conf * 10).astype(int) - 1, 0, 9)
    ece = 0.0
    for b in range(10):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    out["ece"] = ece
    return out


def stratified_draws(labels, rng):
    """Row indices of one resample: within each class, as many rows as it has, with replacement."""
    parts = []
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        parts.append(rng.choice(rows, size=len(rows), replace=True))
    return np.concatenate(parts)


def percentile_interval(values):
    values = [v for v in values if v is not None]
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def bootstrap(labels, probs, second=None, seed=12345):
    """Percentile intervals per metric; with `second`, of the paired difference second - first."""
    rng = np.random.default_rng(seed)
    values = {m: [] for m in METRICS}
    for _ in range(RESAMPLES):
        rows = stratified_draws(labels, rng)
        a = metrics(labels[rows], probs[rows])
        b = metrics(labels[rows], second[rows]) if second is not None else None
        for m in METRICS:
            if a[m] is None:
                values[m].append(None)
            else:
                values[m].append(b[m] - a[m] if b is not None else a[m])
    return {m: (percentile_interval(v) if any(x is not None for x in v) else None) for m, v in values.items()}


class Intervals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        rng = np.random.default_rng(4)
        n, d = 2000, 24
        cls.labels = (rng.random(n) < 0.35).astype(int)  # imbalanced, like vulnerable/safe
        direction = rng.normal(0, 1, d)
        base = rng.normal(0, 1, (n, d)) + np.outer(cls.labels * 0.9, direction / np.linalg.norm(direction))
        cls.split = np.array([0] * 1100 + [1] * 300 + [2] * 600)
        rng.shuffle(cls.split)
        cls.ids = np.arange(n) + 5000
        cls.features = os.path.join(cls.dir, "backbone-a.h5")
        write_features(cls.features, base, cls.labels, cls.split, cls.ids, ["safe", "vulnerable"], "backbone-a")
        # The same samples through "another backbone": other features, rows in another order.
        perm = rng.permutation(n)
        other = np.tanh(base @ rng.normal(0, 0.4, (d, 32))) + rng.normal(0, 0.3, (n, 32))
        cls.features_b = os.path.join(cls.dir, "backbone-b.h5")
        write_features(cls.features_b, other[perm], cls.labels[perm], cls.split[perm], cls.ids[perm],
                       ["safe", "vulnerable"], "backbone-b")
        cls.ws = os.path.join(cls.dir, "ws")
        cls.first = json.loads(run("train", "--features", cls.features, "--workspace", cls.ws, "--epochs", "8",
                                   "--json").stdout)
        cls.second = json.loads(run("train", "--features", cls.features_b, "--workspace", cls.ws, "--epochs", "8",
                                    "--hidden", "32", "--json").stdout)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assert_interval_close(self, mine, reference, what):
        if reference is None:
            self.assertIsNone(mine, what)
            return
        self.assertIsNotNone(mine, what)
        tolerance = 0.2 * max(reference[1] - reference[0], 1e-3)
        self.assertAlmostEqual(mine[0], reference[0], delta=tolerance, msg=f"{what} low: {mine} vs {reference}")
        self.assertAlmostEqual(mine[1], reference[1], delta=tolerance, msg=f"{what} high: {mine} vs {reference}")

    def test_train_intervals_match_an_independent_bootstrap(self):
        pred = read_predictions(self.first["dir"])
        width_ratios, shifts = [], []
        for key, split in (("val", "validation"), ("test", "test")):
            _, labels, probs = split_arrays(pred, split)
            saved = self.first["metrics"][key]
            point = metrics(labels, probs)
            reference = bootstrap(labels, probs)
            for m in METRICS:
                self.assertAlmostEqual(saved[m], point[m], places=3, msg=f"{split} {m}")
                self.assert_interval_close(saved["ci"][m], reference[m], f"{split} {m}")
                self.assertLessEqual(saved["ci"][m][0], saved["ci"][m][1])
                ref_width = reference[m][1] - reference[m][0]
                width_ratios.append((saved["ci"][m][1] - saved["ci"][m][0]) / ref_width)
                shifts.append((sum(saved["ci"][m]) - sum(reference[m])) / 2 / ref_width)
            # The interval is informative: far narrower than [0, 1], and about what the
            # binomial standard error of the accuracy predicts.
            sd = np.sqrt(point["accuracy"] * (1 - point["accuracy"]) / len(labels))
            width = saved["ci"]["accuracy"][1] - saved["ci"]["accuracy"][0]
            self.assertGreater(width, 2.0 * sd)
            self.assertLess(width, 5.0 * sd)
        # Over the 14 intervals the sampling error averages out: same width (a 90% interval would
        # be 16% narrower) and same centre.
        self.assertAlmostEqual(float(np.mean(width_ratios)), 1.0, delta=0.05)
        self.assertAlmostEqual(float(np.mean(shifts)), 0.0, delta=0.05)
        # The run folder holds the same intervals the command printed.
        with open(os.path.join(self.first["dir"], "metrics.json")) as f:
            saved = json.load(f)
        self.assertEqual(saved["test"]["ci"], self.first["metrics"]["test"]["ci"])
        self.assertEqual(saved["test"]["bootstrap"]["resamples"], RESAMPLES)

    def test_compare_paired_differences_match_an_independent_paired_bootstrap(self):
        cmp = json.loads(run("compare", self.first["dir"], self.second["dir"], "--json").stdout)
        paired = cmp["paired"]
        self.assertEqual(paired["split"], "test")
        self.assertEqual(paired["samples"], 600)
        a, b = read_predictions(self.first["dir"]), read_predictions(self.second["dir"])
        # Rows are matched by id: the second run's file lists them in another order.
        ids, labels, probs_a = split_arrays(a, "test")
        _, labels_b, probs_b = split_arrays(b, "test", ids)
        np.testing.assert_array_equal(labels, labels_b)
        point_a, point_b = metrics(labels, probs_a), metrics(labels, probs_b)
        reference = bootstrap(labels, probs_a, probs_b, seed=777)
        for m in METRICS:
            self.assertAlmostEqual(paired[m]["diff"], point_b[m] - point_a[m], places=3, msg=m)
            self.assert_interval_close(paired[m]["ci"], reference[m], f"paired {m}")
        # McNemar counted on the same matched rows.
        right_a = (probs_a[:, 1] >= 0.5).astype(int) == labels
        right_b = (probs_b[:, 1] >= 0.5).astype(int) == labels
        self.assertEqual(cmp["mcnemar"]["only_first_correct"], int(np.sum(right_a & ~right_b)))
        self.assertEqual(cmp["mcnemar"]["only_second_correct"], int(np.sum(right_b & ~right_a)))
        text = run("compare", self.first["dir"], self.second["dir"]).stdout
        self.assertIn("paired differences", text)
        # Both splits' metrics, as the window shows them.
        self.assertIn("validation metrics", text)
        self.assertIn("test metrics", text)
        # Each interval printed to as many places as its difference, and "excludes 0" exactly
        # when the printed bounds are on one side of 0 (at three places [0.000, 0.015] was called
        # "excludes 0").
        lines = text[text.index("paired differences"):].splitlines()[1:]
        checked = 0
        for m in METRICS:
            line = next((l for l in lines if l.split() and l.split()[0] == m), None)
            if line is None or paired[m]["ci"] is None:
                continue
            low, high = (float(v) for v in line[line.index("[") + 1:line.index("]")].split(","))
            self.assertAlmostEqual(low, paired[m]["ci"][0], delta=6e-5, msg=line)
            self.assertAlmostEqual(high, paired[m]["ci"][1], delta=6e-5, msg=line)
            self.assertEqual("excludes 0" in line, paired[m]["ci"][0] > 0 or paired[m]["ci"][1] < 0, line)
            checked += 1
        self.assertGreaterEqual(checked, 5, text)

    def test_three_classes_use_macro_metrics_and_leave_auc_out(self):
        rng = np.random.default_rng(9)
        n, d = 900, 16
        labels = rng.integers(0, 3, n)
        feats = rng.normal(0, 1, (3, d))[labels] * 0.5 + rng.normal(0, 1, (n, d))
        split = np.array([0] * 500 + [1] * 150 + [2] * 250)
        path = os.path.join(self.dir, "three.h5")
        write_features(path, feats, labels, split, np.arange(n), ["a", "b", "c"], "enc")
        result = json.loads(run("train", "--features", path, "--workspace", os.path.join(self.dir, "ws3"),
                                "--epochs", "5", "--json").stdout)
        _, labels_t, probs = split_arrays(read_predictions(result["dir"]), "test")
        reference = bootstrap(labels_t, probs, seed=5)
        for m in METRICS:
            self.assert_interval_close(result["metrics"]["test"]["ci"][m], reference[m], f"3-class {m}")

    def test_table_shows_intervals_and_runs_saved_without_them_still_load(self):
        ws = os.path.join(self.dir, "ws-old")
        text = run("train", "--features", self.features, "--workspace", ws, "--epochs", "2").stdout
        self.assertIn("95% CI", text)
        runs = json.loads(run("runs", "--workspace", ws, "--json").stdout)
        old_dir = runs[0]["dir"]
        ci = runs[0]["metrics"]["test"]["ci"]["f1"]
        self.assertRegex(text, r"f1 .*\[%.3f, %.3f\]" % (ci[0], ci[1]))
        # A run saved before intervals existed: metrics.json without ci / bootstrap.
        path = os.path.join(old_dir, "metrics.json")
        with open(path) as f:
            saved = json.load(f)
        for split in saved.values():
            split.pop("ci")
            split.pop("bootstrap")
        with open(path, "w") as f:
            json.dump(saved, f)
        runs = json.loads(run("runs", "--workspace", ws, "--json").stdout)
        self.assertNotIn("ci", runs[0]["metrics"]["test"])
        cmp = json.loads(run("compare", old_dir, self.first["dir"], "--json").stdout)
        self.assertNotIn("ci", cmp["runs"][0]["metrics"]["test"])
        self.assertIn("ci", cmp["runs"][1]["metrics"]["test"])
        self.assertIn("McNemar", run("compare", old_dir, self.first["dir"]).stdout)

if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main()
