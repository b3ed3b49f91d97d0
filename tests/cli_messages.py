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

    def test_a_split_without_a_class_is_warned(self):
        """A test split with no positive rows scored F1 0 [0, 0] without a word: train and eval
        now say the figures cannot measure the head; a split with both classes says nothing."""
        path = os.path.join(self.dir, "no-positive-test.h5")
        shutil.copy(self.features, path)
        with h5py.File(path, "r+") as f:
            labels = f["labels"][...]
            split = np.zeros(len(labels), dtype=np.uint8)
            negatives, positives = np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)
            split[negatives[:10]] = 2           # test: ten negatives, no positive
            split[negatives[10:15]] = 1
            split[positives[:5]] = 1
            f.create_dataset("split", data=split)
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs.get("label_names", ["0", "1"])]
        ws = os.path.join(self.dir, "ws-no-positive")
        warning = (f"warning: the test split has no '{names[1]}' rows (of its 10): its recall and F1 are 0 and its "
                   "ROC-AUC and PR-AUC undefined, whatever the head predicts")
        trained = run("train", "--features", path, "--workspace", ws, "--epochs", "2")
        self.assertIn(warning, trained.stderr)
        self.assertNotIn("validation split has no", trained.stderr)
        run_dir = os.path.join(ws, "runs", sorted(os.listdir(os.path.join(ws, "runs")))[0])
        self.assertIn(warning, run("eval", "--run", run_dir, "--features", path, "--split", "test").stderr)
        self.assertNotIn("warning", run("eval", "--run", run_dir, "--features", path, "--split", "validation").stderr)
        self.assertNotIn("has no", run("train", "--features", self.features, "--workspace", ws, "--epochs", "1").stderr)

    def test_odd_files_are_named_by_what_is_wrong(self):
        """Files a helper tried that got a message about something else: a label of 2^62 blamed
        row 2 ("label 1 ... out of range 0..0"), a text format_version read as 0, text /split codes
        "cannot be read", a short feature set blamed on /features, and a JSONL line that is not
        UTF-8 echoed its stray bytes."""
        def variant(name, change):
            path = os.path.join(self.dir, name)
            shutil.copy(self.features, path)
            with h5py.File(path, "r+") as f:
                change(f)
            return path

        def huge_label(f):
            if "label_names" in f.attrs:  # without names the classes run to the largest label
                del f.attrs["label_names"]
            labels = f["labels"][...].astype(np.int64)
            labels[17] = 2 ** 62
            del f["labels"]
            f.create_dataset("labels", data=labels)

        def short_set(f):
            x = f["features"][...]
            f.attrs["format_version"] = 2
            f.create_dataset("feature_sets/b", data=x[:40])
            f["feature_sets/b"].attrs["layer"] = -1

        cases = [
            ("huge-label.h5", huge_label, f"label {2 ** 62} at row 17 is out of range: labels are the classes 0..K-1, "
                                          "and 60 rows cannot have more than 60 classes", ()),
            ("text-version.h5", lambda f: f.attrs.__setitem__("format_version", "1"),
             "format_version is the text '1'; it must be the integer 1 or 2", ()),
            ("text-split.h5", lambda f: f.create_dataset("split", data=np.array([b"train"] * 60)),
             "/split must hold the integer codes 0 (train), 1 (validation) and 2 (test), not text", ()),
            ("twice.h5", lambda f: f.attrs.__setitem__("label_names", ["safe", "safe"]),
             "attribute label_names names 'safe' twice (classes 0 and 1)", ()),
            ("short-set.h5", short_set, "/labels has 60 rows but /feature_sets/b has 40", ("--feature-set", "b")),
        ]
        for name, change, message, extra in cases:
            with self.subTest(file=name):
                path = variant(name, change)
                err = run("train", "--features", path, "--workspace", os.path.join(self.dir, "ws-odd"), "--epochs", "1",
                          *extra, expect=2).stderr
                self.assertIn(f"{path}: {message}", err)

        jsonl = os.path.join(self.dir, "latin1.jsonl")
        with open(jsonl, "wb") as f:
            f.write(b'{"func": "int f(void) { return 1; }", "target": 0}\n')
            f.write(b'{"func": "int g(void) { /* caf\xe9 */ return 2; }", "target": 1}\n')
        err = run("extract", "--dataset", jsonl, "--backbone", "hashed-ngram", "--out",
                  os.path.join(self.dir, "latin1.h5"), expect=2).stderr
        self.assertIn(f"{jsonl}:2:31: not valid UTF-8 (byte 0xe9); save the file as UTF-8", err)
        self.assertNotIn("caf", err)

    def test_options_that_meant_something_else_are_refused(self):
        """--hidden 8,,8 trained a 2x8 head; --seed -1 and a seed past 2^64 were taken as other
        seeds without a word."""
        ws = os.path.join(self.dir, "ws-options")
        train = ("train", "--features", self.features, "--workspace", ws, "--epochs", "1")
        self.assertIn("--hidden: '8,,8' has an empty width between commas", run(*train, "--hidden", "8,,8", expect=2).stderr)
        for seed in ("-1", "18446744073709551616", "1e3"):
            with self.subTest(seed=seed):
                self.assertIn(f"'{seed}' is not a seed: a whole number 0 to 18446744073709551615",
                              run(*train, "--seed", seed, expect=2).stderr)
        self.assertFalse(os.path.exists(os.path.join(ws, "runs")) and os.listdir(os.path.join(ws, "runs")))
        self.assertIn("seed", run(*train, "--seed", "18446744073709551615", "--json").stdout)

    def test_flags_a_head_ignores_are_named(self):
        """A probe given --lr/--epochs/--dropout, an MLP given --l2, trained as if they had not been
        typed and without a word (compare then listed them as the runs' differences)."""
        ws = os.path.join(self.dir, "ws-unused")
        train = ("train", "--features", self.features, "--workspace", ws)
        err = run(*train, "--depth", "0", "--lr", "0.01", "--epochs", "5", "--dropout", "0.2", "--l2", "0.001").stderr
        self.assertIn("warning: --lr has no effect on this head (linear probe", err)
        self.assertIn("it has no learning rate", err)
        self.assertIn("warning: --epochs has no effect", err)
        self.assertIn("warning: --dropout has no effect on this head (linear probe", err)
        self.assertIn("no hidden layers", err)
        self.assertNotIn("--l2 has no effect", err)  # the probe's own setting
        err = run(*train, "--depth", "1", "--width", "8", "--epochs", "1", "--l2", "0.001", "--momentum", "0.5",
                  "--lr", "0.01").stderr
        self.assertIn("warning: --l2 has no effect on this head (1x8", err)
        self.assertIn("warning: --momentum has no effect", err)
        self.assertNotIn("--lr has no effect", err)
        self.assertNotIn("--epochs has no effect", err)

    def test_an_error_in_a_pipe_starts_on_its_first_line(self):
        """Every error began with a blank line (meant to end a progress bar, which a pipe never has)."""
        err = run("train", "--features", os.path.join(self.dir, "missing.h5"), "--workspace",
                  os.path.join(self.dir, "ws-missing"), expect=2).stderr
        self.assertTrue(err.startswith("error: "), repr(err[:80]))
        self.assertIn("missing.h5", err)

    def test_runs_columns_hold_every_status(self):
        """'features-changed' is 16 characters: in a 12-wide column it pushed the rest of its row
        out of line with the header."""
        path = os.path.join(self.dir, "changing.h5")
        shutil.copy(self.features, path)
        ws = os.path.join(self.dir, "ws-runs")
        run("train", "--features", path, "--workspace", ws, "--epochs", "1", "--name", "mine")
        with h5py.File(path, "r+") as f:
            f.attrs["note"] = "edited after training"
        lines = run("runs", "--workspace", ws).stdout.splitlines()
        header, row = lines[0], lines[1]
        self.assertIn(" features-changed ", row)
        self.assertEqual(row.index(" mine ") + 1, header.index("name"), "\n" + "\n".join(lines))
        self.assertEqual(len(row.rstrip()), len(header.rstrip()), "\n" + "\n".join(lines))
        # A probe's "best" is the L2 penalty it kept, as history.json records it, not a grid index.
        run("train", "--features", path, "--workspace", ws, "--depth", "0", "--name", "probe")
        lines = run("runs", "--workspace", ws).stdout.splitlines()
        probe_row = next(l for l in lines if " probe " in l)
        probe_dir = os.path.join(ws, "runs", probe_row.split()[0])
        with open(os.path.join(probe_dir, "history.json")) as f:
            history = json.load(f)
        with open(os.path.join(probe_dir, "run.json")) as f:
            best = json.load(f)["best_epoch"]
        self.assertIn(f" l2={history[best - 1]['l2']:.0e} ", probe_row)
        self.assertEqual(len(probe_row.rstrip()), len(lines[0].rstrip()), "\n" + "\n".join(lines))
        # The same run twice was compared with itself: differences of 0 everywhere.
        run_dir = os.path.join(ws, "runs", row.split()[0])
        self.assertIn(f"is given twice ({run_dir} and {run_dir}/): compare needs different runs",
                      run("compare", run_dir, run_dir + "/", expect=2).stderr)
        # The id as `runs` prints it, where the folder is wanted: "missing run.json" said nothing.
        run_id = row.split()[0]
        self.assertIn(f"{run_id}: no such run folder",
                      run("eval", "--run", run_id, "--features", path, expect=2).stderr)

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

    def test_a_filter_hdf5_cannot_decode_is_named(self):
        """h5py's LZF filter is not in Debian's libhdf5: such a file read as 'corrupt or truncated'."""
        rng = np.random.default_rng(0)
        x = np.round(rng.normal(size=(400, 16)), 0).astype("f4")  # compresses, so chunks are filtered
        y = rng.integers(0, 2, 400)
        for name, compressed in (("lzf-features.h5", "features"), ("lzf-labels.h5", "labels")):
            path = os.path.join(self.dir, name)
            with h5py.File(path, "w") as f:
                f.create_dataset("features", data=x, **({"compression": "lzf", "chunks": (100, 16)}
                                                       if compressed == "features" else {}))
                f.create_dataset("labels", data=np.sort(y), **({"compression": "lzf", "chunks": (100,)}
                                                              if compressed == "labels" else {}))
            err = run("inspect", path, expect=2).stderr
            self.assertIn(f"{path}: /{compressed} is compressed with the lzf filter (HDF5 filter 32000), which this "
                          "HDF5 library cannot decode; write it again with gzip", err)

    def test_counts_agree_with_their_noun(self):
        one = run("inspect", self.copy_with_nan_rows("nan1.h5", [3]), expect=2).stderr
        self.assertIn("1 row of /features holds NaN or Inf (first: row 3)", one)
        self.assertNotIn("1 rows", one)
        two = run("inspect", self.copy_with_nan_rows("nan2.h5", [3, 7]), expect=2).stderr
        self.assertIn("2 rows of /features hold NaN or Inf (first: row 3)", two)
        trained = run("train", "--features", self.features, "--workspace", os.path.join(self.dir, "ws"), "--epochs", "1").stdout
        self.assertRegex(trained, r"\b1 epoch \(best 1\)")
        self.assertNotRegex(trained, r"\b1 epochs\b")
        probe = run("train", "--features", self.features, "--workspace", os.path.join(self.dir, "ws"), "--depth", "0",
                    "--l2", "0.01").stdout
        self.assertIn(", L-BFGS, l2 0.01, ", probe)  # one penalty: nothing was "tried"
        self.assertNotIn("penalties", probe)
        for out in (one, two, trained, probe):
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
