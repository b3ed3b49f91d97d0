#!/usr/bin/python3
"""End-to-end tests of `train --cv K` and `label-issues` with headbench-cli: folds (stratified, by
group, the test split untouched, reproducible from the seed), per-fold metrics with mean and sd,
and confident learning checked against an independent numpy implementation written from the
paper (Northcutt et al. 2021) on Gaussian blobs with 5% of the labels flipped on purpose.
Usage: cli_cross_validation.py PATH/TO/headbench-cli
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import clitest
from clitest import run

import h5py
import numpy as np

CLI = None
TRAIN = ["--depth", "1", "--width", "32", "--epochs", "15", "--batch-size", "64", "--lr", "0.01", "--leakage", "off"]




def read_oof(run_dir):
    with open(os.path.join(run_dir, "oof.csv")) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    ids = [r[0] for r in body]
    labels = np.array([int(r[1]) for r in body])
    folds = np.array([int(r[2]) for r in body])
    # Parsed as float32, the type the probabilities were written from.
    probs = np.array([[np.float32(v) for v in r[3:]] for r in body], dtype=np.float32).astype(np.float64)
    return header, ids, labels, folds, probs


def confident_learning(labels, probs):
    """Confident learning from the paper: t_j = mean p_j over rows labelled j; a row counts at
    (given, j*) with j* the most probable class among those with p_j >= t_j; off-diagonal rows
    are issues, ranked by normalised margin (lowest first). Returns [(row, suggested, score)]."""
    n, k = probs.shape
    t = np.array([probs[labels == j, j].mean() for j in range(k)])
    confident = probs >= t[None, :] - 1e-6
    masked = np.where(confident, probs, -1.0)
    suggested = masked.argmax(axis=1)
    counted = confident.any(axis=1)
    issue = counted & (suggested != labels)
    self_conf = probs[np.arange(n), labels]
    others = probs.copy()
    others[np.arange(n), labels] = -np.inf
    margin = (self_conf - others.max(axis=1) + 1) / 2
    rows = np.flatnonzero(issue)
    order = sorted(rows, key=lambda r: (-(1 - margin[r]), r))
    return [(int(r), int(suggested[r]), float(1 - margin[r])) for r in order], t


def blobs(path, n=1500, dim=16, classes=3, flip=0.05, seed=0, groups=None):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(classes, dim)) * 1.1
    y = rng.integers(classes, size=n)
    x = centers[y] + rng.normal(size=(n, dim))
    flipped = rng.choice(n, size=int(round(flip * n)), replace=False)
    given = y.copy()
    given[flipped] = (y[flipped] + rng.integers(1, classes, size=len(flipped))) % classes
    ids = [f"row{i:05d}" for i in range(n)]
    with h5py.File(path, "w") as f:
        f["features"] = x.astype(np.float32)
        f["labels"] = given
        f["ids"] = np.array(ids, dtype=h5py.string_dtype())
        if groups is not None:
            f["groups"] = np.array(groups, dtype=h5py.string_dtype())
        f.attrs["label_names"] = [f"c{j}" for j in range(classes)]
    return ids, set(ids[i] for i in flipped)


class CrossValidationAndLabelIssues(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.features = os.path.join(cls.dir, "noisy.h5")
        cls.ids, cls.flipped = blobs(cls.features)
        ws = os.path.join(cls.dir, "ws")
        cls.result = json.loads(run("train", "--features", cls.features, "--workspace", ws, "--cv", 5, "--seed", 3,
                                    "--json", *TRAIN).stdout)
        cls.run_dir = cls.result["dir"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_folds_cover_training_and_validation_rows_once_and_test_rows_never(self):
        with open(os.path.join(self.run_dir, "predictions.csv")) as f:
            split = {r["id"]: r["split"] for r in csv.DictReader(f)}
        _, ids, labels, folds, probs = read_oof(self.run_dir)
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(set(ids), {i for i, s in split.items() if s != "test"})
        self.assertEqual(sorted(set(folds.tolist())), [0, 1, 2, 3, 4])
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
        # Stratified: each class's rows spread over the folds within one row.
        for c in range(3):
            counts = np.bincount(folds[labels == c], minlength=5)
            self.assertLessEqual(counts.max() - counts.min(), 1, f"class {c}: {counts}")

    def test_per_fold_metrics_mean_and_sd(self):
        cv = self.result["cv"]
        self.assertEqual(cv["k"], 5)
        self.assertEqual(cv["seed"], 3)
        self.assertEqual(cv["folds_by"], "stratified")
        self.assertEqual(len(cv["folds"]), 5)
        acc = np.array([f["metrics"]["accuracy"] for f in cv["folds"]])
        self.assertAlmostEqual(cv["mean"]["accuracy"], acc.mean(), places=9)
        self.assertAlmostEqual(cv["sd"]["accuracy"], acc.std(ddof=1), places=9)
        # Each fold's accuracy is that of its own out-of-fold rows (argmax for 3 classes).
        _, ids, labels, folds, probs = read_oof(self.run_dir)
        for k, f in enumerate(cv["folds"]):
            mask = folds == k
            self.assertEqual(f["rows"], int(mask.sum()))
            self.assertAlmostEqual(f["metrics"]["accuracy"], float((probs[mask].argmax(1) == labels[mask]).mean()), places=6)
        with open(os.path.join(self.run_dir, "cv.json")) as fh:
            self.assertEqual(json.load(fh)["k"], 5)
        # The text output prints the table too.
        text = run("train", "--features", self.features, "--workspace", os.path.join(self.dir, "ws-text"), "--cv", 3,
                   *TRAIN).stdout
        self.assertIn("3-fold cross-validation (stratified folds", text)
        self.assertRegex(text, r"\nmean\s+0\.\d{4}")

    def test_compare_shows_the_fold_mean_and_sd(self):
        # A run without cross-validation beside the one with it: compare --json carries cv.json's
        # mean and sd for the one, null for the other (the window's Compare shows the same rows).
        ws = os.path.join(self.dir, "ws")
        plain = json.loads(run("train", "--features", self.features, "--workspace", ws, "--seed", 3, "--json",
                               *TRAIN).stdout)
        out = json.loads(run("compare", self.run_dir, plain["dir"], "--json").stdout)
        by_dir = {r["dir"]: r for r in out["runs"]}
        with open(os.path.join(self.run_dir, "cv.json")) as fh:
            saved = json.load(fh)
        cv = by_dir[self.run_dir]["cross_validation"]
        self.assertEqual(cv["k"], 5)
        self.assertEqual(cv["folds_by"], "stratified")
        for key in ("accuracy", "f1", "roc_auc"):
            self.assertAlmostEqual(cv["mean"][key], saved["mean"][key], places=9)
            self.assertAlmostEqual(cv["sd"][key], saved["sd"][key], places=9)
        self.assertIsNone(by_dir[plain["dir"]]["cross_validation"])
        self.assertEqual(out["problems"], [])

        # A copy of the run with a damaged cv.json: still compared, without its CV figures, and
        # the file named (in --json and on stderr).
        damaged = os.path.join(self.dir, "damaged-cv-run")
        shutil.copytree(self.run_dir, damaged)
        with open(os.path.join(damaged, "cv.json"), "w") as fh:
            fh.write('{"k": 5, "mean": ')
        out = json.loads(run("compare", damaged, plain["dir"], "--json").stdout)
        self.assertIsNone({r["dir"]: r for r in out["runs"]}[damaged]["cross_validation"])
        self.assertEqual(len(out["problems"]), 1)
        problem = out["problems"][0]
        self.assertEqual(problem["file"], os.path.join(damaged, "cv.json"))
        # Where the file ends, in plain words, not the JSON library's own text.
        self.assertEqual(problem["problem"], "is damaged (cut short at line 1, column 18)")
        self.assertEqual(problem["left_out"], "cross-validation figures")
        text = run("compare", damaged, plain["dir"])
        self.assertIn(os.path.join(damaged, "cv.json") + " is damaged (cut short at line 1, column 18)", text.stderr)
        self.assertNotIn("json.exception", text.stderr)

    def test_reproducible_from_the_seed(self):
        ws = os.path.join(self.dir, "ws-again")
        again = json.loads(run("train", "--features", self.features, "--workspace", ws, "--cv", 5, "--seed", 3, "--json",
                               *TRAIN).stdout)
        with open(os.path.join(self.run_dir, "oof.csv")) as a, open(os.path.join(again["dir"], "oof.csv")) as b:
            self.assertEqual(a.read(), b.read())
        other = json.loads(run("train", "--features", self.features, "--workspace", ws, "--cv", 5, "--seed", 4, "--json",
                               *TRAIN).stdout)
        self.assertFalse(np.array_equal(read_oof(self.run_dir)[3], read_oof(other["dir"])[3]))

    def test_label_issues_match_numpy_confident_learning(self):
        _, ids, labels, folds, probs = read_oof(self.run_dir)
        expected, _ = confident_learning(labels, probs)
        ours = json.loads(run("label-issues", "--run", self.run_dir, "--json").stdout)
        self.assertEqual(len(ours), len(expected))
        self.assertEqual({o["id"] for o in ours}, {ids[r] for r, _, _ in expected})
        # Same order up to ties: position by position, the scores agree.
        np.testing.assert_allclose([o["score"] for o in ours], [s for _, _, s in expected], atol=1e-9)
        score_of = {ids[r]: s for r, _, s in expected}
        suggested_of = {ids[r]: g for r, g, _ in expected}
        for o in ours:
            self.assertAlmostEqual(o["score"], score_of[o["id"]], places=9)
            self.assertEqual(o["suggested_index"], suggested_of[o["id"]])
            self.assertEqual(o["suggested"], f"c{suggested_of[o['id']]}")
            self.assertEqual(o["label"], f"c{o['label_index']}")
        top = json.loads(run("label-issues", "--run", self.run_dir, "--json", "--top", 5).stdout)
        # The run folder alone, as `label-issues RUN`, is the same request.
        self.assertEqual(json.loads(run("label-issues", self.run_dir, "--json", "--top", 5).stdout), top)
        self.assertEqual(top, ours[:5])
        text = run("label-issues", "--run", self.run_dir, "--top", 3).stdout
        self.assertIn(f"{len(ours)} of {len(ids)} rows", text)
        self.assertIn(ours[0]["id"], text)

    def test_ranking_finds_the_flipped_labels(self):
        _, ids, labels, folds, probs = read_oof(self.run_dir)
        flipped_in_pool = [i for i in ids if i in self.flipped]
        n = len(flipped_in_pool)
        ours = json.loads(run("label-issues", "--run", self.run_dir, "--json").stdout)
        ranked = [o["id"] for o in ours]
        precision = len(set(ranked[:n]) & self.flipped) / n
        recall = len(set(ranked) & self.flipped) / n
        flagged_precision = len(set(ranked) & self.flipped) / max(1, len(ranked))
        print(f"\nlabel issues on blobs with 5% flipped: {len(ranked)} flagged of {len(ids)} rows, {n} flipped; "
              f"precision@{n} = {precision:.3f}; flagged set: precision {flagged_precision:.3f}, recall {recall:.3f} "
              f"(base rate {n / len(ids):.3f})")
        self.assertGreater(precision, 0.5)

    def test_folds_by_group_keep_groups_whole(self):
        path = os.path.join(self.dir, "grouped.h5")
        groups = [f"g{(i * 7) % 41}" for i in range(600)]
        ids, _ = blobs(path, n=600, groups=groups, seed=2)
        res = json.loads(run("train", "--features", path, "--workspace", os.path.join(self.dir, "ws-g"), "--cv", 4,
                             "--json", *TRAIN).stdout)
        self.assertEqual(res["cv"]["folds_by"], "group")
        group_of = dict(zip(ids, groups))
        _, oof_ids, _, folds, _ = read_oof(res["dir"])
        fold_of_group = {}
        for i, f in zip(oof_ids, folds):
            fold_of_group.setdefault(group_of[i], set()).add(int(f))
        self.assertTrue(all(len(s) == 1 for s in fold_of_group.values()), fold_of_group)

    def test_errors_are_clear(self):
        ws = os.path.join(self.dir, "ws-plain")
        plain = json.loads(run("train", "--features", self.features, "--workspace", ws, "--json", *TRAIN).stdout)
        self.assertNotIn("cv", plain)
        err = run("label-issues", "--run", plain["dir"], expect=2).stderr
        self.assertIn("oof.csv", err)
        self.assertIn("--cv", err)
        proc = subprocess.run([CLI, "train", "--features", self.features, "--workspace", ws, "--cv", "1"],
                              capture_output=True, text=True)
        self.assertNotEqual(proc.returncode, 0)


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main(verbosity=2)
