#!/usr/bin/python3
"""End-to-end tests of honest evaluation with headbench-cli: the dataset's own split (a field or
one file per split), group splits, the leakage report against a brute-force numpy reference,
deduplication, skipping invalid rows, and labels that leave classes empty.
Usage: cli_splits_leakage.py PATH/TO/headbench-cli
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




def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def predictions(run_dir):
    with open(os.path.join(run_dir, "predictions.csv")) as f:
        return list(csv.DictReader(f))


SPLIT_CODE = {"train": 0, "valid": 1, "validation": 1, "dev": 1, "val": 1, "test": 2, "training": 0}


class OwnSplit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        run("demo", "--out", cls.dir, "--n", "600", "--seed", "5")
        with open(os.path.join(cls.dir, "demo.jsonl")) as f:
            cls.rows = [json.loads(line) for line in f]
        names = ["train", "Valid", "TEST", "training", "dev", "val", "validation", 0, 1, 2]
        rng = np.random.default_rng(3)
        for r in cls.rows:
            r["split"] = names[rng.integers(len(names))]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_split_field_is_stored_row_by_row(self):
        path = os.path.join(self.dir, "with-split.jsonl")
        write_jsonl(path, self.rows)
        out = os.path.join(self.dir, "with-split.h5")
        run("extract", "--dataset", path, "--split-field", "split", "--out", out)
        with h5py.File(out, "r") as f:
            stored = f["split"][:]
            ids = [x.decode() for x in f["ids"][:]]
            self.assertEqual(f.attrs["split_source"], "field 'split'")
        expected = {r["idx"]: SPLIT_CODE[str(r["split"]).lower()] if isinstance(r["split"], str) else r["split"] for r in self.rows}
        self.assertEqual(list(stored), [expected[i] for i in ids])
        # Training uses exactly that split, and says so.
        ws = os.path.join(self.dir, "ws-split")
        result = json.loads(run("train", "--features", out, "--workspace", ws, "--json", "--epochs", "2").stdout)
        self.assertEqual(result["split_source"], "file")
        names = {0: "train", 1: "validation", 2: "test"}
        for p in predictions(result["dir"]):
            self.assertEqual(p["split"], names[expected[p["id"]]])

    def test_bad_split_value_names_the_line(self):
        rows = [dict(r) for r in self.rows[:20]]
        rows[7]["split"] = "holdout"
        path = os.path.join(self.dir, "bad-split.jsonl")
        write_jsonl(path, rows)
        err = run("extract", "--dataset", path, "--split-field", "split", "--out", os.path.join(self.dir, "x.h5"), expect=2).stderr
        self.assertIn("bad-split.jsonl:8", err)
        self.assertIn("holdout", err)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x.h5")))

    def test_one_file_per_split_as_codexglue_ships_them(self):
        parts = {"train": self.rows[:400], "valid": self.rows[400:500], "test": self.rows[500:]}
        args = []
        for name, rows in parts.items():
            path = os.path.join(self.dir, f"{name}.jsonl")
            write_jsonl(path, [{k: v for k, v in r.items() if k != "split"} for r in rows])
            args += ["--dataset", f"{name}={path}"]
        out = os.path.join(self.dir, "three.h5")
        info = json.loads(run("extract", *args, "--out", out, "--json").stdout)
        self.assertEqual(info["split_source"], "files")
        with h5py.File(out, "r") as f:
            ids = [x.decode() for x in f["ids"][:]]
            stored = list(f["split"][:])
        expected = {}
        for code, name in enumerate(["train", "valid", "test"]):
            for r in parts[name]:
                expected[r["idx"]] = code
        self.assertEqual(len(ids), 600)
        self.assertEqual(stored, [expected[i] for i in ids])

    def test_ids_must_be_unique_across_files(self):
        a = os.path.join(self.dir, "a.jsonl")
        b = os.path.join(self.dir, "b.jsonl")
        write_jsonl(a, self.rows[:50])
        write_jsonl(b, self.rows[40:90])
        err = run("extract", "--dataset", f"train={a}", "--dataset", f"test={b}", "--out", os.path.join(self.dir, "dup.h5"),
                  expect=2).stderr
        self.assertIn(f"id '{self.rows[40]['idx']}'", err)
        self.assertIn("ids must be unique", err)
        err = run("extract", "--dataset", f"train={a}", "--dataset", b, "--out", os.path.join(self.dir, "dup.h5"), expect=2).stderr
        self.assertIn("say which split", err)


class PairsAndLeakage(unittest.TestCase):
    """A fix-pair dataset: each function before (1) and after (0) its fix share a group."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        run("demo", "--out", cls.dir, "--n", "1200", "--paired", "--seed", "11")
        cls.dataset = os.path.join(cls.dir, "demo-pairs.jsonl")
        with open(cls.dataset) as f:
            cls.rows = [json.loads(line) for line in f]
        cls.features = os.path.join(cls.dir, "pairs.h5")
        run("extract", "--dataset", cls.dataset, "--group-field", "pair", "--out", cls.features)
        cls.ws = os.path.join(cls.dir, "ws")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def train(self, *args):
        return json.loads(run("train", "--features", self.features, "--workspace", self.ws, "--json", "--epochs", "3",
                              *args).stdout)

    def test_demo_pairs_share_a_group_and_differ_in_label(self):
        by_pair = {}
        for r in self.rows:
            by_pair.setdefault(r["pair"], []).append(r["target"])
        self.assertEqual(len(by_pair), 600)
        self.assertTrue(all(sorted(v) == ["safe", "vulnerable"] for v in by_pair.values()))
        with h5py.File(self.features, "r") as f:
            self.assertEqual(len(set(f["groups"][:])), 600)

    def test_group_split_keeps_every_pair_on_one_side(self):
        result = self.train()  # auto: the file has groups and no split of its own
        self.assertEqual(result["split_source"], "group")
        pair_of = {r["idx"]: r["pair"] for r in self.rows}
        sides = {}
        counts = {"train": 0, "validation": 0, "test": 0}
        for p in predictions(result["dir"]):
            sides.setdefault(pair_of[p["id"]], set()).add(p["split"])
            counts[p["split"]] += 1
        self.assertTrue(all(len(s) == 1 for s in sides.values()))
        self.assertAlmostEqual(counts["train"] / 1200, 0.8, delta=0.03)
        self.assertAlmostEqual(counts["test"] / 1200, 0.1, delta=0.03)
        with open(os.path.join(result["dir"], "run.json")) as f:
            record = json.load(f)
        self.assertEqual(record["split_source"], "group")
        # The feature file's modification time is a Unix time (ns), as os.stat gives it.
        self.assertEqual(record["features"]["mtime"], os.stat(self.features).st_mtime_ns)

    def test_threads_may_follow_the_subcommand(self):
        proc = subprocess.run([CLI, "train", "--features", self.features, "--workspace", self.ws, "--epochs", "1",
                               "--json", "--threads", "1"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("run", json.loads(proc.stdout))

    def test_random_split_leaks_and_group_split_does_not(self):
        random = self.train("--split", "random")
        group = self.train("--split", "group")
        lr, lg = random["leakage"], group["leakage"]
        for key in ("test_exact_duplicates", "test_near_duplicates", "validation_near_duplicates",
                    "conflicting_labels", "near_threshold"):
            self.assertIn(key, lr)
        self.assertEqual(lr["method"], "text")
        # Under a random split most test rows have their pair partner in training.
        self.assertGreater(lr["test_near_duplicates"], 0.5 * lr["test_rows"])
        self.assertLess(lg["test_near_duplicates"], 0.2 * lr["test_near_duplicates"])
        # The warning line a user cannot miss.
        err = run("train", "--features", self.features, "--workspace", self.ws, "--split", "random", "--epochs", "1").stderr
        self.assertIn("warning: leakage", err)
        # run.json keeps it; leakage.csv names the nearest training row of a test row.
        with open(os.path.join(random["dir"], "run.json")) as f:
            self.assertEqual(json.load(f)["leakage"]["test_near_duplicates"], lr["test_near_duplicates"])
        with open(os.path.join(random["dir"], "leakage.csv")) as f:
            rows = list(csv.DictReader(f))
        pair_of = {r["idx"]: r["pair"] for r in self.rows}
        near = [r for r in rows if r["split"] == "test" and r["near_duplicate"] == "1"]
        self.assertEqual(len(near), lr["test_near_duplicates"])
        partners = sum(pair_of[r["nearest_train_id"]] == pair_of[r["id"]] for r in near)
        self.assertGreater(partners, 0.9 * len(near))

    def test_costs_are_reported_apart_and_the_check_is_reused(self):
        # A seed no other test uses: a split this workspace has not measured yet.
        first = self.train("--split", "random", "--seed", "4242")
        second = self.train("--split", "random", "--seed", "4242", "--depth", "0")
        for result in (first, second):
            costs = result["costs"]
            self.assertEqual(set(costs), {"leakage_seconds", "interval_seconds", "fit_seconds"})
            self.assertTrue(all(v >= 0 for v in costs.values()), costs)
            self.assertGreater(costs["interval_seconds"], 0)  # intervals were computed, and timed
            self.assertAlmostEqual(costs["leakage_seconds"] + costs["interval_seconds"] + costs["fit_seconds"],
                                   result["seconds"], delta=1e-6)
            with open(os.path.join(result["dir"], "run.json")) as f:
                saved = json.load(f)["costs"]
            self.assertAlmostEqual(saved["leakage_seconds"], costs["leakage_seconds"], places=9)
            self.assertAlmostEqual(saved["interval_seconds"], costs["interval_seconds"], places=9)
        # The second run on the same file and split (another head) reads the first's report:
        # the same figures, down to the time the measurement took when it was made.
        self.assertFalse(first["leakage"].pop("cached"))
        self.assertTrue(second["leakage"].pop("cached"))
        self.assertEqual(second["leakage"], first["leakage"])

    def test_feature_leakage_matches_brute_force_numpy(self):
        """Near duplicates by centred-feature cosine, against an exact numpy computation."""
        result = self.train("--split", "random", "--leakage", "features", "--near-threshold", "0.9")
        with h5py.File(self.features, "r") as f:
            x = f["features"][:].astype(np.float64)
            ids = [i.decode() for i in f["ids"][:]]
        split = {p["id"]: p["split"] for p in predictions(result["dir"])}
        xc = x - x.mean(axis=0)
        xc /= np.maximum(np.linalg.norm(xc, axis=1, keepdims=True), 1e-12)
        train = np.array([split[i] == "train" for i in ids])
        for name, key in (("test", "test_near_duplicates"), ("validation", "validation_near_duplicates")):
            rows = np.array([split[i] == name for i in ids])
            best = (xc[rows] @ xc[train].T).max(axis=1)
            expected = int((best >= 0.9 - 1e-6).sum())
            got = result["leakage"][key]
            # Candidates come from random projections: a few borderline rows may be missed, none invented.
            self.assertLessEqual(got, expected, name)
            self.assertGreaterEqual(got, 0.95 * expected, name)
        # Per row (leakage.csv): a near duplicate's similarity is the exact cosine of the training
        # row it names, at least the threshold, and (but for a candidate the projections missed)
        # the row's exact best; a row below the threshold never reports more than its exact best.
        index = {i: k for k, i in enumerate(ids)}
        train_rows = np.flatnonzero(train)
        with open(os.path.join(result["dir"], "leakage.csv"), newline="") as f:
            checked = best_found = 0
            for row in csv.DictReader(f):
                if row["split"] == "train" or row["exact_duplicate"] == "1":
                    continue
                q = xc[index[row["id"]]]
                exact = float((xc[train_rows] @ q).max())
                if row["near_duplicate"] == "1":
                    similarity = float(row["similarity"])
                    nearest = xc[index[row["nearest_train_id"]]]
                    self.assertAlmostEqual(float(nearest @ q), similarity, delta=1e-4, msg=row["id"])
                    self.assertGreaterEqual(similarity, 0.9 - 1e-6, row["id"])
                    self.assertLessEqual(similarity, exact + 1e-4, row["id"])
                    checked += 1
                    best_found += similarity >= exact - 1e-4
                elif row["similarity"]:
                    self.assertLess(float(row["similarity"]), 0.9, row["id"])
                    self.assertLessEqual(float(row["similarity"]), exact + 1e-4, row["id"])
            self.assertGreater(checked, 0)
            self.assertGreaterEqual(best_found, 0.95 * checked)

    def test_exact_duplicates_and_conflicts(self):
        rows = [dict(r) for r in self.rows[:300]]
        # A copy of row 0 with other whitespace and a comment: an exact duplicate, same label.
        rows.append({**rows[0], "idx": "copy-0", "func": "/* moved */\n" + rows[0]["func"].replace("\n", "\n\n")})
        # Row 1's text under the other label: two conflicting rows.
        other = "safe" if rows[1]["target"] == "vulnerable" else "vulnerable"
        rows.append({**rows[1], "idx": "flip-1", "target": other})
        path = os.path.join(self.dir, "dups.jsonl")
        write_jsonl(path, rows)
        out = os.path.join(self.dir, "dups.h5")
        run("extract", "--dataset", path, "--out", out)
        info = json.loads(run("inspect", out, "--json").stdout)
        self.assertEqual(info["duplicates"]["rows"], 2)
        self.assertEqual(info["duplicates"]["conflicting_labels"], 2)
        deduped = os.path.join(self.dir, "dedup.h5")
        res = json.loads(run("extract", "--dataset", path, "--dedup", "exact", "--out", deduped, "--json").stdout)
        self.assertEqual(res["dedup"], {"duplicates": 1, "conflicting": 2})
        self.assertEqual(res["rows"], 302 - 3)
        with h5py.File(deduped, "r") as f:
            kept = {i.decode() for i in f["ids"][:]}
        self.assertIn(rows[0]["idx"], kept)
        self.assertNotIn("copy-0", kept)
        self.assertNotIn(rows[1]["idx"], kept)
        self.assertNotIn("flip-1", kept)


class BadRows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_skip_invalid_reports_and_keeps_the_rest(self):
        rows = [{"idx": i, "func": f"int f{i}(int a) {{ return a + {i}; }}", "target": i % 2} for i in range(40)]
        rows[3]["func"] = "   \n\t "
        del rows[10]["target"]
        rows[20]["target"] = "1.5"
        path = os.path.join(self.dir, "bad.jsonl")
        write_jsonl(path, rows)
        with open(path, "a") as f:
            f.write("{not json\n")
        out = os.path.join(self.dir, "bad.h5")
        err = run("extract", "--dataset", path, "--out", out, expect=2).stderr
        self.assertIn("bad.jsonl:4: the text is empty", err)
        self.assertFalse(os.path.exists(out))
        proc = run("extract", "--dataset", path, "--out", out, "--skip-invalid", "--json")
        res = json.loads(proc.stdout)
        self.assertEqual(res["skipped_rows"], 4)
        self.assertEqual(res["rows"], 37)  # 40 rows and a broken line, 4 of them skipped
        self.assertIn("bad.jsonl:4", res["skipped_examples"][0])
        self.assertIn("bad.jsonl:11: missing label field 'target'", res["skipped_examples"][1])
        self.assertIn("skipped 4 invalid rows", proc.stderr)

    def test_stray_label_is_refused_naming_the_empty_classes(self):
        path = os.path.join(self.dir, "stray.h5")
        rng = np.random.default_rng(0)
        labels = np.array([0, 1] * 50 + [7])
        with h5py.File(path, "w") as f:
            f["features"] = rng.normal(size=(101, 8)).astype(np.float32)
            f["labels"] = labels
        err = run("inspect", path, expect=2).stderr
        self.assertIn("stray.h5", err)
        self.assertIn("classes 2, 3, 4, 5, 6 have no rows", err)
        # Named classes may be empty: allowed, reported, and left out of macro averages.
        named = os.path.join(self.dir, "named.h5")
        with h5py.File(named, "w") as f:
            f["features"] = rng.normal(size=(300, 8)).astype(np.float32) + np.repeat(np.eye(8)[:3], 100, axis=0)[:, :8] * 3
            f["labels"] = np.repeat([0, 1, 3], 100)
            f.attrs["label_names"] = ["a", "b", "c", "unused"]
        text = run("inspect", named).stdout
        self.assertIn("1 class has no rows: c", text)
        ws = os.path.join(self.dir, "ws")
        result = json.loads(run("train", "--features", named, "--workspace", ws, "--json").stdout)
        # Macro F1 over the classes present, as scikit-learn averages over the labels present.
        from sklearn.metrics import f1_score
        preds = predictions(result["dir"])
        test = [p for p in preds if p["split"] == "test"]
        y = [int(p["label"]) for p in test]
        yhat = [int(p["predicted"]) for p in test]
        self.assertAlmostEqual(result["metrics"]["test"]["f1"], f1_score(y, yhat, average="macro"), places=6)


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main(verbosity=2)
