#!/usr/bin/python3
"""Issue 14 bugs at the command line: Ctrl-C (SIGINT) at once, early or mid-training exits 130
and leaves no run folder (let alone one listed as finished); --hidden with --depth gives the same
head as the JSON spec and a sweep point with those fields; an over-wide sweep width is refused.
Usage: cli_services.py PATH/TO/headbench-cli
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import clitest
from clitest import run

import h5py
import numpy as np

CLI = None




def run_folders(runs_dir):
    """The run folders a user sees (hidden ones are a run being prepared)."""
    if not os.path.isdir(runs_dir):
        return []
    return sorted(f for f in os.listdir(runs_dir) if not f.startswith("."))


def catches_sigint(pid):
    """Whether the process has installed its SIGINT handler (bit 2 of SigCgt in /proc)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)) != 0
    except FileNotFoundError:
        pass
    return False


def hidden_of(run_dir):
    with open(os.path.join(run_dir, "spec.json")) as f:
        return json.load(f)["hidden"]


class Services(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        rng = np.random.default_rng(14)
        n, d = 3000, 64
        labels = rng.integers(0, 2, n)
        feats = rng.normal(size=(n, d)) + labels[:, None] * 0.5
        cls.features = os.path.join(cls.dir, "blobs.h5")
        with h5py.File(cls.features, "w") as f:
            f.create_dataset("features", data=feats.astype(np.float32))
            f.create_dataset("labels", data=labels.astype(np.int64))
            f.attrs["format_version"] = 1
            f.attrs["backbone"] = "blobs"
            f.attrs["label_names"] = ["a", "b"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def interrupt(self, name, cmd, when):
        """Starts cmd, sends SIGINT at `when` and checks exit 130 and an empty workspace."""
        ws = os.path.join(self.dir, name)
        runs_dir = os.path.join(ws, "runs")
        proc = subprocess.Popen([CLI, "--threads", "1", *cmd, "--workspace", ws],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        if when == "at once":
            # As soon as the process can catch it: before it has read its options or data.
            while proc.poll() is None and not catches_sigint(proc.pid) and time.time() < deadline:
                pass
        else:
            # Counted from when the run's folder appears: "early" lands while the run is being
            # set up or in its first batches, "mid" well into training.
            while proc.poll() is None and not run_folders(runs_dir) and time.time() < deadline:
                time.sleep(0.005)
            if when == "mid":
                time.sleep(1.5)
        running = proc.poll() is None
        if running:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        self.assertTrue(running, f"{name}: finished before the interrupt (exit {proc.returncode}):\n{err}")
        self.assertEqual(proc.returncode, 130, f"{name} ({when}): stderr:\n{err}")
        self.assertNotIn("error:", err)
        self.assertEqual(run_folders(runs_dir), [], f"{name} ({when}) left a run folder")
        if os.path.isdir(ws):
            self.assertEqual(json.loads(run("runs", "--workspace", ws, "--json").stdout), [])
        return err

    def test_ctrl_c_exits_130_and_leaves_no_run(self):
        head = ["train", "--features", self.features, "--depth", "2", "--width", "256", "--batch-size", "8"]
        train = head + ["--epochs", "100000"]
        err = self.interrupt("at-once", train, "at once")
        self.assertIn("interrupted", err)
        self.interrupt("early", train, "early")
        err = self.interrupt("mid", train, "mid")
        self.assertIn("training interrupted after", err)
        # The same for cross-validation after the run, repeats and sweeps.
        self.interrupt("cv", head + ["--epochs", "1", "--cv", "50"], "mid")
        self.interrupt("repeats", train + ["--repeats", "3"], "mid")
        grid = os.path.join(self.dir, "long-sweep.json")
        with open(grid, "w") as f:
            json.dump({"base": {"epochs": 100000, "batch_size": 8, "hidden": [256, 256]}, "grid": {"lr": [0.001, 0.01]}}, f)
        self.interrupt("sweep", ["sweep", "--features", self.features, "--grid", grid], "mid")
        self.interrupt("sweep-at-once", ["sweep", "--features", self.features, "--grid", grid], "at once")

    def test_kill_9_keeps_the_epochs_finished(self):
        # kill -9 mid-training left an interrupted run with empty curves: its finished epochs were
        # only in memory. They are now written as each one ends.
        ws = os.path.join(self.dir, "killed")
        runs_dir = os.path.join(ws, "runs")
        proc = subprocess.Popen([CLI, "--threads", "1", "train", "--features", self.features, "--workspace", ws,
                                 "--depth", "1", "--width", "64", "--batch-size", "16", "--epochs", "100000",
                                 "--leakage", "off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        epochs = 0
        while proc.poll() is None and time.time() < deadline and epochs < 3:
            for folder in run_folders(runs_dir):
                path = os.path.join(runs_dir, folder, "history.json")
                if os.path.exists(path):
                    try:
                        with open(path) as f:
                            epochs = len(json.load(f))
                    except ValueError:
                        pass  # never: the file is replaced atomically
            time.sleep(0.02)
        self.assertIsNone(proc.poll(), "training ended before it was killed")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        runs = json.loads(run("runs", "--workspace", ws, "--json").stdout)
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["status"], "interrupted")
        self.assertGreaterEqual(runs[0]["epochs_run"], 3)
        self.assertEqual(len(runs[0]["history"]), runs[0]["epochs_run"])
        self.assertEqual([e["epoch"] for e in runs[0]["history"]], list(range(1, runs[0]["epochs_run"] + 1)))
        self.assertTrue(all(e["train_loss"] >= 0 and e["val_loss"] > 0 for e in runs[0]["history"]))

    def test_hidden_with_depth_is_the_same_head_everywhere(self):
        ws = os.path.join(self.dir, "arch")
        cli = json.loads(run("train", "--features", self.features, "--workspace", ws, "--json", "--epochs", "1",
                             "--hidden", "512", "--depth", "3").stdout)
        head = os.path.join(self.dir, "head.json")
        with open(head, "w") as f:
            json.dump({"hidden": [512], "depth": 3, "epochs": 1}, f)
        from_json = json.loads(run("train", "--features", self.features, "--workspace", ws, "--json",
                                   "--head", head).stdout)
        grid = os.path.join(self.dir, "arch-sweep.json")
        with open(grid, "w") as f:
            json.dump({"base": {"epochs": 1}, "grid": {"hidden": [[512]], "depth": [3]}}, f)
        sweep = json.loads(run("sweep", "--features", self.features, "--workspace", ws, "--grid", grid,
                               "--json").stdout)
        for r in (cli, from_json, sweep["runs"][0]):
            self.assertEqual(hidden_of(r["dir"]), [512, 512, 512])
            self.assertEqual(r["summary"], cli["summary"])
        self.assertEqual(cli["parameters"], from_json["parameters"])
        # Several widths must match the depth, the same way in both.
        bad = run("train", "--features", self.features, "--workspace", ws, "--hidden", "64,32", "--depth", "3",
                  expect=2).stderr
        self.assertIn("'depth' 3 does not match 'hidden', which has 2 layers", bad)
        with open(head, "w") as f:
            json.dump({"hidden": [64, 32], "depth": 3}, f)
        bad = run("train", "--features", self.features, "--workspace", ws, "--head", head, expect=2).stderr
        self.assertIn("'depth' 3 does not match 'hidden', which has 2 layers", bad)

    def test_over_wide_sweep_width_is_refused(self):
        ws = os.path.join(self.dir, "wide")
        grid = os.path.join(self.dir, "wide-sweep.json")
        with open(grid, "w") as f:  # 4294967808 = 2^32 + 512: an unchecked int read made it 512
            f.write('{"base": {"epochs": 1, "hidden": [64]}, "grid": {"hidden": [[4294967808]], "depth": [1]}}')
        err = run("sweep", "--features", self.features, "--workspace", ws, "--grid", grid, expect=2).stderr
        self.assertIn(grid, err)
        self.assertIn("4294967808", err)
        self.assertIn("widths must be 1 to 65536", err)
        self.assertEqual(run_folders(os.path.join(ws, "runs")), [])


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main(verbosity=2)
