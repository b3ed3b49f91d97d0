#!/usr/bin/python3
"""LibTorch is loaded only by what needs it (issue 23): training a head with hidden layers, listing
and comparing runs never load it (the dynamic loader's own log, LD_DEBUG=files, says which files a
process opened); the linear probe and reading a head.pt back load HeadBench's LibTorch module and
work. The MLP's head.pt, written and applied without LibTorch, gives Python's torch.jit.load the
probabilities of predictions.csv.
Usage: cli_lazy_torch.py PATH/TO/headbench-cli
"""
import csv
import glob
import os
import subprocess
import tempfile
import unittest

import clitest

import h5py
import numpy as np
import torch

CLI = None


def traced(*args, expect=0):
    """Runs the CLI with the loader's file log; returns (process, the shared objects it opened)."""
    env = dict(os.environ, LD_DEBUG="files")
    proc = subprocess.run([CLI, "--threads", "2", *map(str, args)], capture_output=True, text=True, env=env)
    if proc.returncode != expect:
        own = "\n".join(l for l in proc.stderr.splitlines() if not l.lstrip()[:1].isdigit())
        raise AssertionError(f"{args}: exit {proc.returncode}\n{proc.stdout}\n{own[-3000:]}")
    opened = set()
    for line in proc.stderr.splitlines():
        if "file=" in line and ("needed by" in line or "dynamically loaded by" in line):
            opened.add(os.path.basename(line.split("file=")[1].split()[0]))
    return proc, opened


def loads_libtorch(opened):
    return any(name.startswith("libtorch_cpu") for name in opened)


class LazyTorch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        rng = np.random.default_rng(23)
        n, dim = 2400, 48
        labels = rng.integers(0, 3, n)
        feats = rng.normal(size=(n, dim)) + np.eye(3)[labels] @ rng.normal(size=(3, dim))
        cls.features = os.path.join(d, "blobs.h5")
        with h5py.File(cls.features, "w") as f:
            f.create_dataset("features", data=feats.astype(np.float32))
            f.create_dataset("labels", data=labels.astype(np.int64))
            f.attrs["format_version"] = 1
            f.attrs["backbone"] = "blobs"
            f.attrs["label_names"] = ["a", "b", "c"]
        cls.x = feats.astype(np.float32)
        cls.ws = os.path.join(d, "ws")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_dirs(self):
        return sorted(glob.glob(os.path.join(self.ws, "runs", "*")))

    def test_1_mlp_training_listing_and_comparing_never_load_libtorch(self):
        for name, extra in (("mlp", ["--depth", "1", "--width", "32"]),
                            ("mlp2", ["--depth", "2", "--width", "16", "--norm", "layer_norm", "--activation", "gelu"])):
            proc, opened = traced("train", "--features", self.features, "--workspace", self.ws, "--name", name,
                                  "--epochs", "4", *extra)
            self.assertFalse(loads_libtorch(opened), f"train {extra} loaded LibTorch")
            self.assertNotIn("headbench_torch.so", opened)
        self.assertTrue(any(n.startswith("libopenblas") or n.startswith("libblas") for n in opened), opened)
        _, opened = traced("runs", "--workspace", self.ws)
        self.assertFalse(loads_libtorch(opened))
        _, opened = traced("compare", *self.run_dirs())
        self.assertFalse(loads_libtorch(opened))

        # The head.pt written without LibTorch, read by Python's torch, gives the saved probabilities.
        run_dir = self.run_dirs()[-1]
        head = torch.jit.load(os.path.join(run_dir, "head.pt"))
        with torch.no_grad():
            probs = head(torch.from_numpy(self.x)).numpy()
        with open(os.path.join(run_dir, "predictions.csv")) as f:
            rows = list(csv.DictReader(f))
        saved = np.array([[float(r[f"p_{k}"]) for k in ("a", "b", "c")] for r in rows])
        self.assertEqual(saved.shape, probs.shape)
        np.testing.assert_allclose(saved, probs, atol=2e-5)

    def test_2_the_probe_and_a_head_read_back_load_the_module_and_work(self):
        proc, opened = traced("train", "--features", self.features, "--workspace", self.ws, "--name", "probe",
                              "--depth", "0")
        self.assertIn("headbench_torch.so", opened)
        self.assertTrue(loads_libtorch(opened))
        mlp = [r for r in self.run_dirs() if os.path.exists(os.path.join(r, "head.pt"))][0]
        proc, opened = traced("eval", "--run", mlp, "--features", self.features)
        self.assertIn("headbench_torch.so", opened)
        self.assertIn("accuracy", proc.stdout.lower())


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main(verbosity=2)
