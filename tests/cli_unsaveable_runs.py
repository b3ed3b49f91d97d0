#!/usr/bin/python3
"""Runs that must never be saved, and outputs that must never replace their inputs (found by
trying the CLI on files nobody had tried):
- a head whose loss becomes NaN (features near float32's limit, a learning rate of 10) ends with
  "training diverged", exit 2 and no run in the workspace; before, it was saved as finished with
  NaN probabilities that compare, eval and the window then refused to read;
- a disk that fills while head.pt is written (here: RLIMIT_FSIZE, the same EFBIG/ENOSPC path for a
  write) gives a message naming head.pt and exit 2, and leaves no run folder; before, LibTorch's
  file writer aborted the process ("terminate called") and left a half-written run;
- extract --out naming its own --dataset, and merge --out naming one of its shards, are refused
  before anything is written.
Usage: cli_unsaveable_runs.py PATH/TO/headbench-cli
"""
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

CLI = None


def run(*args, expect=0, limit_bytes=None):
    def limit():
        # A write past the limit fails with EFBIG instead of raising SIGXFSZ: a full disk's path.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    proc = subprocess.run([CLI, "--threads", "2", *map(str, args)], capture_output=True, text=True,
                          preexec_fn=limit if limit_bytes else None)
    if proc.returncode != expect:
        raise AssertionError(f"{args}: exit {proc.returncode}, expected {expect}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def write_features(path, x, labels):
    with h5py.File(path, "w") as f:
        f["features"] = x.astype(np.float32)
        f["labels"] = np.asarray(labels, dtype=np.int64)
        f["ids"] = np.array([f"r{i}".encode() for i in range(len(labels))])
        f.attrs["label_names"] = ["safe", "vulnerable"]


class UnsaveableRuns(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def assert_no_run(self, workspace):
        runs = os.path.join(workspace, "runs")
        left = [n for n in os.listdir(runs)] if os.path.isdir(runs) else []
        self.assertEqual(left, [], "no run folder, finished or not, is left")
        listed = json.loads(run("runs", "--workspace", workspace, "--json").stdout) if os.path.isdir(workspace) else []
        self.assertEqual(listed, [])

    def test_a_diverged_head_is_not_saved(self):
        rng = np.random.default_rng(3)
        labels = np.arange(400) % 2
        path = os.path.join(self.dir, "huge.h5")
        write_features(path, rng.normal(size=(400, 16)) * 1e37, labels)
        ws = os.path.join(self.dir, "ws")
        proc = run("train", "--features", path, "--workspace", ws, "--depth", "1", "--width", "8", "--epochs", "3",
                   "--lr", "10", "--optimizer", "sgd", "--leakage", "off", expect=2)
        self.assertIn("training diverged: in epoch 1", proc.stderr)
        self.assertNotIn("terminate called", proc.stderr)
        self.assert_no_run(ws)
        # The same file with features of ordinary size trains and is saved: the check is not
        # refusing the data, only the NaN loss.
        sane = os.path.join(self.dir, "sane.h5")
        write_features(sane, rng.normal(size=(400, 16)), labels)
        run("train", "--features", sane, "--workspace", ws, "--depth", "1", "--width", "8", "--epochs", "3",
            "--leakage", "off")
        self.assertEqual(len(json.loads(run("runs", "--workspace", ws, "--json").stdout)), 1)

    def test_a_full_disk_while_the_head_is_written_leaves_nothing(self):
        rng = np.random.default_rng(4)
        labels = np.arange(300) % 2
        path = os.path.join(self.dir, "wide.h5")
        write_features(path, rng.normal(size=(300, 256)), labels)
        ws = os.path.join(self.dir, "ws-full")
        os.makedirs(os.path.join(ws, "runs"))
        # head.pt holds a 256 x 256 float matrix (262 KB); every other file of the run is smaller
        # than the limit, so the head is what meets the full disk.
        proc = run("train", "--features", path, "--workspace", ws, "--depth", "1", "--width", "256", "--epochs", "1",
                   "--leakage", "off", expect=2, limit_bytes=150_000)
        self.assertIn("head.pt", proc.stderr)
        self.assertIn("saving the run failed", proc.stderr)
        for bad in ("terminate called", "c10::Error", "inline_container"):
            self.assertNotIn(bad, proc.stderr)
        self.assert_no_run(ws)
        # With room, the same command saves the run.
        run("train", "--features", path, "--workspace", ws, "--depth", "1", "--width", "256", "--epochs", "1",
            "--leakage", "off")
        listed = json.loads(run("runs", "--workspace", ws, "--json").stdout)
        self.assertEqual([r["status"] for r in listed], ["finished"])

    def test_a_class_with_no_training_rows_is_refused(self):
        """The file's own split puts every 'vulnerable' row in test: the head never sees the class.
        It was trained and saved, scoring those rows wrong with no word."""
        rng = np.random.default_rng(5)
        labels = np.arange(300) % 2
        split = np.zeros(300, dtype=np.uint8)
        split[labels == 1] = 2
        split[np.flatnonzero(labels == 0)[:30]] = 1
        path = os.path.join(self.dir, "unseen.h5")
        write_features(path, rng.normal(size=(300, 16)), labels)
        with h5py.File(path, "a") as f:
            f["split"] = split
        ws = os.path.join(self.dir, "ws-unseen")
        proc = run("train", "--features", path, "--workspace", ws, "--depth", "0", "--leakage", "off", expect=2)
        self.assertIn("class 'vulnerable' has no training rows: its 150 rows are all in validation or test", proc.stderr)
        self.assert_no_run(ws)

    def test_an_output_never_replaces_an_input(self):
        dataset = os.path.join(self.dir, "code.jsonl")
        with open(dataset, "w") as f:
            for i in range(40):
                f.write(json.dumps({"func": f"int f{i}(void) {{ return {i}; }}", "target": i % 2}) + "\n")
        before = open(dataset, "rb").read()
        proc = run("extract", "--dataset", dataset, "--dim", "32", "--out", dataset, expect=2)
        self.assertIn("is the dataset", proc.stderr)
        self.assertEqual(open(dataset, "rb").read(), before, "the dataset is untouched")
        # The same file under another name (a symbolic link) is the same file.
        link = os.path.join(self.dir, "link.h5")
        os.symlink(dataset, link)
        run("extract", "--dataset", dataset, "--dim", "32", "--out", link, expect=2)
        self.assertEqual(open(dataset, "rb").read(), before)

        shards = [os.path.join(self.dir, f"shard-{i}-of-2.h5") for i in range(2)]
        for i, shard in enumerate(shards):
            run("extract", "--dataset", dataset, "--dim", "32", "--shard", f"{i}/2", "--out", shard)
        saved = open(shards[0], "rb").read()
        proc = run("merge", *shards, "--out", shards[0], expect=2)
        self.assertIn(shards[0], proc.stderr)
        self.assertIn("is one of the shards", proc.stderr)
        self.assertEqual(open(shards[0], "rb").read(), saved, "the shard is untouched")
        merged = os.path.join(self.dir, "merged.h5")
        run("merge", *shards, "--out", merged)
        with h5py.File(merged, "r") as f:
            self.assertEqual(f["features"].shape[0], 40)


if __name__ == "__main__":
    CLI = sys.argv.pop(1)
    unittest.main(verbosity=2)
