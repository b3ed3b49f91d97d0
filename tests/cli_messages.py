#!/usr/bin/python3
"""Messages proofread (issue 15): counts agree with their noun ("1 row", never "1 rows"); a parse
error names one location, file:line:column; a corrupt feature file gives our message and none
of HDF5's own error stack ("HDF5-DIAG").
Usage: cli_messages.py PATH/TO/headbench-cli
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

CLI = None


def run(*args, expect=0):
    proc = subprocess.run([CLI, "--threads", "2", *map(str, args)], capture_output=True, text=True)
    if proc.returncode != expect:
        raise AssertionError(f"{args}: exit {proc.returncode}, expected {expect}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


class Messages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.dataset = os.path.join(cls.dir, "code.jsonl")
        with open(cls.dataset, "w") as f:
            for i in range(60):
                f.write(json.dumps({"func": f"int f{i}(int a) {{ return a {'+' if i % 2 else '-'} {i}; }}",
                                    "target": i % 2}) + "\n")
        cls.features = os.path.join(cls.dir, "code.h5")
        run("extract", "--dataset", cls.dataset, "--backbone", "hashed-ngram", "--out", cls.features)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def copy_with_nan_rows(self, name, rows):
        path = os.path.join(self.dir, name)
        shutil.copy(self.features, path)
        with h5py.File(path, "r+") as f:
            x = f["features"][...]
            x[rows, 0] = np.nan
            f["features"][...] = x
        return path

    def test_a_device_or_a_pipe_is_refused_at_once(self):
        """/dev/zero or a FIFO given as features: hashed before the HDF5 check, /dev/urandom ran for
        ten minutes and ignored Ctrl-C, and a FIFO blocked until killed."""
        fifo = os.path.join(self.dir, "pipe.h5")
        os.mkfifo(fifo)
        ws = os.path.join(self.dir, "ws-device")
        for path in ("/dev/zero", fifo):
            for args in (("inspect", path), ("train", "--features", path, "--workspace", ws)):
                with self.subTest(args=args):
                    proc = subprocess.run([CLI, "--threads", "2", *args], capture_output=True, text=True, timeout=60)
                    self.assertEqual(proc.returncode, 2, proc.stderr)
                    self.assertIn(f"{path}: is not a regular file", proc.stderr)

    def test_a_missing_workspace_or_an_output_folder_is_named(self):
        """`runs` on a path that does not exist said "no runs in …"; extract --out naming a folder
        failed only after the whole extraction ("renaming into place failed")."""
        missing = os.path.join(self.dir, "no-such-workspace")
        self.assertIn(f"{missing}: no such workspace", run("runs", "--workspace", missing, expect=2).stderr)
        self.assertIn(f"{self.features}: is a file, not a workspace folder",
                      run("runs", "--workspace", self.features, expect=2).stderr)
        folder = os.path.join(self.dir, "out-folder")
        os.makedirs(folder)
        err = run("extract", "--dataset", self.dataset, "--backbone", "hashed-ngram", "--out", folder, expect=2).stderr
        self.assertIn(f"{folder}: is a folder; the output is the feature file to write", err)
        self.assertEqual(os.listdir(folder), [])

    def test_label_names_as_one_string_is_named(self):
        path = os.path.join(self.dir, "scalar-names.h5")
        shutil.copy(self.features, path)
        with h5py.File(path, "r+") as f:
            f.attrs["label_names"] = "safe,vulnerable"
        err = run("inspect", path, expect=2).stderr
        self.assertIn("attribute label_names is one value; it must be an array with one name per class", err)

    def test_counts_agree_with_their_noun(self):
        one = run("inspect", self.copy_with_nan_rows("nan1.h5", [3]), expect=2).stderr
        self.assertIn("1 row of /features holds NaN or Inf (first: row 3)", one)
        self.assertNotIn("1 rows", one)
        two = run("inspect", self.copy_with_nan_rows("nan2.h5", [3, 7]), expect=2).stderr
        self.assertIn("2 rows of /features hold NaN or Inf (first: row 3)", two)
        trained = run("train", "--features", self.features, "--workspace", os.path.join(self.dir, "ws"), "--epochs", "1").stdout
        self.assertRegex(trained, r"\b1 epoch \(best 1\)")
        self.assertNotRegex(trained, r"\b1 epochs\b")
        for out in (one, two, trained):
            self.assertNotRegex(out, r"\b1 (rows|epochs|runs|tokens|folds)\b")

    def test_parse_error_names_one_location(self):
        bad = os.path.join(self.dir, "broken.jsonl")
        with open(self.dataset) as f:
            lines = f.read().splitlines()
        lines[50] = '{"func": "int g(void) { return 0; }", "target": 1'
        with open(bad, "w") as f:
            f.write("\n".join(lines) + "\n")
        err = run("extract", "--dataset", bad, "--out", os.path.join(self.dir, "broken.h5"), expect=2).stderr
        column = len(lines[50]) + 1  # the end of the line, where the closing brace is missing
        self.assertIn(f"{bad}:51:{column}: not valid JSON: syntax error", err)
        self.assertNotIn("line 1", err)
        self.assertNotIn("[json.exception", err)
        self.assertEqual(len(re.findall(r"broken\.jsonl:\d+", err)), 1, err)

    def test_corrupt_feature_file_prints_our_message_only(self):
        cut = os.path.join(self.dir, "cut.h5")
        with open(self.features, "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[: len(data) // 2])
        garbage = os.path.join(self.dir, "garbage.h5")
        with open(garbage, "wb") as f:
            f.write(data[:8] + b"\xff" * 4096 + data[4104:])  # the signature kept, the superblock gone
        for path in (cut, garbage):
            for args in (("inspect", path), ("train", "--features", path, "--workspace", os.path.join(self.dir, "ws2"))):
                with self.subTest(args=args):
                    err = run(*args, expect=2).stderr
                    self.assertNotIn("HDF5-DIAG", err)
                    self.assertIn(f"error: {path}: ", err)
                    self.assertIn("cannot be opened (corrupt or truncated)", err)


if __name__ == "__main__":
    CLI = sys.argv.pop(1)
    unittest.main()
