#!/usr/bin/python3
"""One answer wherever a run's figures are shown: `train --json`, `compare`, `eval` and the window
agree on a feature file written with h5py without a /split (scikit-learn's breast-cancer table,
some ids with commas, quotes, a newline and non-ASCII text), on a linear probe confident enough to
write probabilities below the smallest normal float, and on a saved decision threshold (checked
against scikit-learn's metrics and McNemar counts made here from predictions.csv).
Usage: cli_one_answer.py PATH/TO/headbench-cli PATH/TO/headbench
"""
import csv
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import clitest
from clitest import run

import h5py
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

CLI = None
GUI = None

FLT_MIN = 1.1754944e-38  # the smallest normal float32
SEED = "7"
PROBE = ["--depth", "0"]  # the default head of depth 0: the L-BFGS probe
MLP = ["--depth", "1", "--width", "32", "--epochs", "30", "--standardize"]
THRESHOLD = 0.3
SPLITS = ("train", "validation", "test")


def odd_id(i):
    """An id a CSV writer must quote: a comma, double quotes, a newline and a non-ASCII letter."""
    return f"row {i}, \"q\"\nü"


def read_predictions(run_dir):
    """predictions.csv with Python's csv module (quoted fields, embedded newlines): ids, splits,
    labels and p(class 1) as the float32 the file was written from (promoted to double, as C++
    compares a float with a double threshold), plus every probability field as written."""
    with open(os.path.join(run_dir, "predictions.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["id", "split", "label", "predicted"], header
    ids = [r[0] for r in body]
    split = np.array([r[1] for r in body])
    labels = np.array([int(r[2]) for r in body])
    p1 = np.array([np.float32(float(r[5])) for r in body], dtype=np.float32).astype(np.float64)
    probabilities = [float(v) for r in body for v in r[4:]]
    return {"ids": ids, "split": split, "labels": labels, "p1": p1, "all_p": probabilities}


def predict(p1, threshold):
    # backend/src/eval/Metrics.cpp predictClass: class 1 when probs[1] >= threshold.
    return (p1 >= threshold).astype(int)


class OneAnswer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        data = load_breast_cancer()
        X, y = data.data.copy(), data.target.astype(np.int64)
        # As bundled, the table gives the probe no probability below 7e-27, and more separable
        # classes only make the L2 penalty tame the logits. Outliers far along the malignant
        # direction do it: the five largest tumours ("worst area", all malignant) at twice their
        # size are predicted benign with probability 0 or a denormal float.
        largest = np.argsort(-X[:, list(data.feature_names).index("worst area")])[:5]
        assert (y[largest] == 0).all()
        X[largest] *= 2
        X = X.astype(np.float32)
        cls.n = len(y)
        cls.ids = [odd_id(i) if i % 57 == 3 else f"r{i}" for i in range(cls.n)]
        cls.odd = [i for i in cls.ids if "\n" in i]
        # The documented layout (docs/FORMAT.md): /features, /labels, /ids, the label_names
        # attribute; no /split, so training draws its own seeded split and records it.
        cls.features = os.path.join(cls.dir, "breast_cancer.h5")
        with h5py.File(cls.features, "w") as f:
            f.create_dataset("features", data=X)
            f.create_dataset("labels", data=y)
            f.create_dataset("ids", data=cls.ids, dtype=h5py.string_dtype())
            f.attrs["format_version"] = 1
            f.attrs["backbone"] = "sklearn breast cancer"
            f.attrs["label_names"] = [str(n) for n in data.target_names]
        cls.ws = os.path.join(cls.dir, "ws")
        cls.a = json.loads(run("train", "--features", cls.features, "--workspace", cls.ws, "--seed", SEED, "--json",
                               *PROBE).stdout)
        cls.b = json.loads(run("train", "--features", cls.features, "--workspace", cls.ws, "--seed", SEED, "--json",
                               *MLP).stdout)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def assertClose(self, ours, theirs, keys=("f1", "accuracy", "roc_auc"), what=""):
        for key in keys:
            self.assertIsNotNone(ours[key], f"{what} {key}")
            self.assertAlmostEqual(ours[key], theirs[key], delta=1e-6, msg=f"{what} {key}: {ours[key]} vs {theirs[key]}")

    def eval_json(self, features, *args):
        return json.loads(run("eval", "--run", self.a["dir"], "--features", features, "--json", *args).stdout)

    def save_threshold(self, run_dir, threshold):
        """Saves a threshold the way the window's Save button does (run.json `threshold`) and puts
        the file back after the test."""
        path = os.path.join(run_dir, "run.json")
        with open(path, "rb") as f:
            original = f.read()

        def restore():
            with open(path, "wb") as f:
                f.write(original)
        self.addCleanup(restore)
        meta = json.loads(original)
        meta["threshold"] = threshold
        with open(path, "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2)

    # A user reads predictions.csv of a confident probe in a spreadsheet or pandas: every value
    # parses, tiny probabilities included, and the ids come back as written.
    def test_confident_probe_predictions_read_back(self):
        pred = read_predictions(self.a["dir"])
        # With the five enlarged tumours (setUpClass) some probabilities fall below the smallest
        # normal float: they were written as denormals or 0 and must read back (compare and eval
        # read this file too).
        self.assertLess(min(pred["all_p"]), FLT_MIN, "the probe wrote no probability below FLT_MIN; "
                        "make the data more separable so the test covers them")
        self.assertEqual(pred["ids"], self.ids)
        self.assertEqual(len(self.odd), 10)
        self.assertEqual(sorted(set(pred["split"])), sorted(SPLITS))

    # Compare shows the same test figures as train printed when no threshold was saved.
    def test_compare_agrees_with_train(self):
        c = json.loads(run("compare", self.a["dir"], self.b["dir"], "--json").stdout)
        self.assertEqual([r["dir"] for r in c["runs"]], [self.a["dir"], self.b["dir"]])
        for entry, trained in zip(c["runs"], (self.a, self.b)):
            self.assertFalse(entry["threshold_saved"])
            self.assertEqual(entry["threshold"], 0.5)
            self.assertClose(entry["metrics"]["test"], trained["metrics"]["test"], what=f"compare {entry['run']}")
        self.assertTrue(c["same_data"])
        self.assertIsNone(c["pairing_problem"])
        self.assertEqual(c["mcnemar"]["split"], "test")

    # `eval` on the run's own file (no /split in it) reports the test split with the figures
    # train printed; each split can be asked for, and together they are every row.
    def test_eval_own_file_without_split(self):
        e = self.eval_json(self.features)
        self.assertTrue(e["own_file"])
        self.assertEqual(e["split"], "test")
        self.assertEqual(e["threshold"], 0.5)
        self.assertClose(e["metrics"], self.a["metrics"]["test"], what="eval")
        pred = read_predictions(self.a["dir"])
        rows = {}
        for split in SPLITS:
            s = self.eval_json(self.features, "--split", split)
            self.assertEqual(s["split"], split)
            rows[split] = s["rows"]
            self.assertEqual(s["rows"], int((pred["split"] == split).sum()), split)
        self.assertEqual(sum(rows.values()), self.n)
        self.assertEqual(rows["test"], e["rows"])

    # A copy of the feature file under another name is still the run's own data.
    def test_eval_copy_is_own_file(self):
        copy = os.path.join(self.dir, "copy of the features.h5")
        shutil.copyfile(self.features, copy)
        e = self.eval_json(copy)
        self.assertTrue(e["own_file"])
        self.assertEqual(e["split"], "test")
        self.assertClose(e["metrics"], self.a["metrics"]["test"], what="eval on a copy")
        total = sum(self.eval_json(copy, "--split", split)["rows"] for split in SPLITS)
        self.assertEqual(total, self.n)

    # A threshold saved in the window: compare and eval both show the run at it, with the figures
    # scikit-learn gives at that threshold, and McNemar counts the run's answers at it.
    def test_saved_threshold_one_answer(self):
        self.save_threshold(self.a["dir"], THRESHOLD)
        c = json.loads(run("compare", self.a["dir"], self.b["dir"], "--json").stdout)
        first, second = c["runs"]
        self.assertEqual(first["threshold"], THRESHOLD)
        self.assertTrue(first["threshold_saved"])
        self.assertEqual(second["threshold"], 0.5)
        self.assertFalse(second["threshold_saved"])
        e = self.eval_json(self.features)
        self.assertEqual(e["threshold"], THRESHOLD)
        keys = ("accuracy", "precision", "recall", "f1")
        self.assertClose(first["metrics"]["test"], e["metrics"], keys, what="compare vs eval at the saved threshold")

        pa, pb = read_predictions(self.a["dir"]), read_predictions(self.b["dir"])
        test = pa["split"] == "test"
        y, predicted = pa["labels"][test], predict(pa["p1"][test], THRESHOLD)
        ours = {"accuracy": accuracy_score(y, predicted),
                "precision": precision_score(y, predicted, zero_division=0),
                "recall": recall_score(y, predicted, zero_division=0),
                "f1": f1_score(y, predicted, zero_division=0)}
        self.assertClose(first["metrics"]["test"], ours, keys, what="compare vs scikit-learn at 0.3")
        self.assertClose(e["metrics"], ours, keys, what="eval vs scikit-learn at 0.3")
        # `runs` (and the window's list, through the same backend call) showed metrics.json's
        # figures at 0.5 beside eval's at the saved threshold.
        listed = {r["dir"]: r for r in json.loads(run("runs", "--workspace", self.ws, "--json").stdout)}
        listed_a = next(r for d, r in listed.items() if os.path.samefile(d, self.a["dir"]))
        self.assertEqual(listed_a["threshold"], THRESHOLD)
        self.assertClose(listed_a["metrics"]["test"], ours, keys, what="runs vs scikit-learn at 0.3")
        table = run("runs", "--workspace", self.ws).stdout
        row = next(line for line in table.splitlines() if line.startswith(os.path.basename(self.a["dir"])))
        self.assertIn(f" {THRESHOLD:.3g} ", row)
        self.assertIn(f"{ours['f1']:.4f}", row)
        # The threshold must matter here, or this test would not tell 0.3 from 0.5.
        self.assertNotEqual(list(predicted), list(predict(pa["p1"][test], 0.5)))

        # McNemar on the test rows, paired by id: run A at 0.3, run B at 0.5.
        b_row = {i: r for r, i in enumerate(pb["ids"])}
        a_right, b_right = [], []
        for r in np.flatnonzero(test):
            s = b_row[pa["ids"][r]]
            self.assertEqual(pb["split"][s], "test")
            a_right.append(predict(pa["p1"][r], THRESHOLD) == pa["labels"][r])
            b_right.append(predict(pb["p1"][s], 0.5) == pb["labels"][s])
        a_right, b_right = np.array(a_right), np.array(b_right)
        m = c["mcnemar"]
        self.assertEqual(m["split"], "test")
        self.assertEqual(m["samples"], int(test.sum()))
        self.assertEqual((m["only_first_correct"], m["only_second_correct"], m["both_correct"], m["both_wrong"]),
                         (int((a_right & ~b_right).sum()), int((~a_right & b_right).sum()),
                          int((a_right & b_right).sum()), int((~a_right & ~b_right).sum())))

    # Cross-validation of the probe, then its list of likely label errors.
    def test_cross_validation_and_label_issues(self):
        cv = json.loads(run("train", "--features", self.features, "--workspace", self.ws, "--seed", SEED, "--cv", "5",
                            "--json", *PROBE).stdout)
        self.assertEqual(cv["cv"]["k"], 5)
        run("label-issues", "--run", cv["dir"])
        issues = json.loads(run("label-issues", "--run", cv["dir"], "--json").stdout)
        self.assertTrue(set(i["id"] for i in issues) <= set(self.ids))

    # The window opens the workspace and saves a picture of its newest run.
    def test_window_screenshot(self):
        png = os.path.join(self.dir, "window.png")
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=os.path.join(self.dir, "config"))
        proc = subprocess.run([GUI, "--threads", "2", "--workspace", self.ws, "--screenshot", png], env=env,
                              capture_output=True, text=True, timeout=600)
        self.assertEqual(proc.returncode, 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        self.assertTrue(os.path.isfile(png), proc.stderr)
        with open(png, "rb") as f:
            head = f.read(24)
        self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        self.assertGreater(width * height, 0)


if __name__ == "__main__":
    CLI, GUI = clitest.arguments(2)
    GUI = os.path.abspath(GUI)
    unittest.main()
