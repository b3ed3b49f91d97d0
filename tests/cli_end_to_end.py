#!/usr/bin/python3
"""End-to-end tests of headbench-cli as a user runs it: demo -> extract -> inspect -> train ->
runs -> eval, a feature file written by h5py, the TorchScript head loaded back in Python, and
bad input. Usage: cli_end_to_end.py PATH/TO/headbench-cli
"""
import csv
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
import xxhash
import numpy as np
import torch

CLI = None




def run_folders(runs_dir):
    """The run folders a user sees (hidden ones are a run being prepared)."""
    if not os.path.isdir(runs_dir):
        return []
    return [f for f in os.listdir(runs_dir) if not f.startswith(".")]


class DemoPipeline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        run("demo", "--out", cls.dir)
        cls.dataset = os.path.join(cls.dir, "demo.jsonl")
        cls.features = os.path.join(cls.dir, "demo.h5")
        run("extract", "--dataset", cls.dataset, "--backbone", "hashed-ngram", "--out", cls.features)
        cls.ws = os.path.join(cls.dir, "ws")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def train(self, *args):
        out = run("train", "--features", self.features, "--workspace", self.ws, "--json", *args).stdout
        return json.loads(out)

    def test_demo_has_realistic_size(self):
        with open(self.dataset) as f:
            rows = [json.loads(line) for line in f]
        self.assertGreaterEqual(len(rows), 2000)
        self.assertEqual({r["target"] for r in rows}, {"safe", "vulnerable"})
        self.assertTrue(all({"idx", "func", "target"} <= r.keys() for r in rows))

    def test_inspect_reports_the_file(self):
        info = json.loads(run("inspect", self.features, "--json").stdout)
        self.assertEqual(info["rows"], 2400)
        self.assertEqual(info["dim"], 1024)
        self.assertEqual(info["backbone"], "hashed-ngram")
        self.assertEqual([c["name"] for c in info["classes"]], ["safe", "vulnerable"])
        self.assertEqual(sum(c["count"] for c in info["classes"]), 2400)
        text = run("inspect", self.features).stdout
        self.assertIn("vulnerable", text)

    def test_linear_probe_is_good_but_not_perfect(self):
        result = self.train("--depth", "0", "--lr", "0.01", "--epochs", "60")
        for split in ("val", "test"):
            m = result["metrics"][split]
            self.assertGreater(m["f1"], 0.75, split)
            self.assertLess(m["f1"], 0.97, split)
            for key in ("accuracy", "f1", "roc_auc", "pr_auc", "ece", "confusion"):
                self.assertIn(key, m)
        self.assertTrue(os.path.isdir(result["dir"]))
        self.assertEqual(os.path.basename(result["dir"]), result["run"])

    def test_runs_lists_saved_runs_and_eval_reproduces_them(self):
        result = self.train("--depth", "1", "--width", "64", "--epochs", "5", "--name", "small mlp")
        runs = json.loads(run("runs", "--workspace", self.ws, "--json").stdout)
        mine = [r for r in runs if r["run"] == result["run"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["name"], "small mlp")
        self.assertAlmostEqual(mine[0]["metrics"]["test"]["f1"], result["metrics"]["test"]["f1"])
        text = run("runs", "--workspace", self.ws).stdout
        self.assertIn(result["run"], text)
        # The text listing names the run as the window does (its --name), not only its head.
        line = next(l for l in text.splitlines() if result["run"] in l)
        self.assertIn("small mlp", line)
        # On the run's own file eval defaults to the run's test split and gives its test metrics;
        # --split all takes every row.
        ev = json.loads(run("eval", "--run", result["dir"], "--features", self.features, "--json").stdout)
        self.assertEqual(ev["split"], "test")
        self.assertEqual(ev["metrics"]["count"], result["metrics"]["test"]["count"])
        self.assertAlmostEqual(ev["metrics"]["f1"], result["metrics"]["test"]["f1"], delta=1e-6)
        ev = json.loads(run("eval", "--run", result["dir"], "--features", self.features, "--split", "all", "--json").stdout)
        self.assertEqual(ev["metrics"]["count"], 2400)
        # The text table has no loss row of dashes: the training loss is the run's, not eval's.
        text = run("eval", "--run", result["dir"], "--features", self.features).stdout
        self.assertIn("f1", text)
        self.assertNotRegex(text, r"(?m)^loss")

    def test_torchscript_head_runs_in_python(self):
        result = self.train("--depth", "2", "--width", "32", "--norm", "batchnorm", "--activation", "silu", "--epochs", "3")
        head = torch.jit.load(os.path.join(result["dir"], "head.pt"))
        with h5py.File(self.features) as f:
            x = torch.from_numpy(f["features"][:])
        with torch.no_grad():
            probs = head(x).numpy()
        self.assertEqual(probs.shape, (2400, 2))
        with open(os.path.join(result["dir"], "predictions.csv")) as f:
            saved = np.array([[float(r["p_safe"]), float(r["p_vulnerable"])] for r in csv.DictReader(f)])
        np.testing.assert_allclose(probs, saved, atol=1e-5)
        self.assertEqual(head.num_classes, 2)
        self.assertEqual(list(head.label_names), ["safe", "vulnerable"])

    def test_sweep_then_compare(self):
        ws = os.path.join(self.dir, "sweep-ws")
        grid = os.path.join(self.dir, "grid.json")
        with open(grid, "w") as f:
            json.dump({"base": {"epochs": 2, "hidden": [32]},
                       "grid": {"depth": [0, 1], "activation": ["relu", "gelu"]}}, f)
        sweep = json.loads(run("sweep", "--features", self.features, "--workspace", ws, "--grid", grid, "--json").stdout)
        self.assertEqual(len(sweep["runs"]), 4)
        self.assertEqual(sweep["runs"][3]["params"], {"depth": 1, "activation": "gelu"})
        runs = json.loads(run("runs", "--workspace", ws, "--json").stdout)
        self.assertEqual(len(runs), 4)
        self.assertTrue(all(r["sweep"] == sweep["sweep"] and r["status"] == "finished" for r in runs))

        a, b = sweep["runs"][0]["dir"], sweep["runs"][3]["dir"]
        cmp = json.loads(run("compare", a, b, "--json").stdout)
        self.assertEqual([r["run"] for r in cmp["runs"]], [sweep["runs"][0]["run"], sweep["runs"][3]["run"]])
        fields = {d["field"]: d["values"] for d in cmp["differences"]}
        self.assertEqual(set(fields), {"hidden", "activation"})
        self.assertEqual(fields["activation"], ["relu", "gelu"])
        m = cmp["mcnemar"]
        self.assertEqual(m["split"], "test")
        self.assertEqual(m["only_first_correct"] + m["only_second_correct"] + m["both_correct"] + m["both_wrong"], m["samples"])
        self.assertTrue(0.0 <= m["p_value"] <= 1.0)
        # Independent check of the counts from the two runs' predictions.
        def correct(d):
            with open(os.path.join(d, "predictions.csv")) as f:
                return [r["label"] == r["predicted"] for r in csv.DictReader(f) if r["split"] == "test"]
        ca, cb = correct(a), correct(b)
        self.assertEqual(m["only_first_correct"], sum(x and not y for x, y in zip(ca, cb)))
        self.assertEqual(m["only_second_correct"], sum(y and not x for x, y in zip(ca, cb)))
        three = json.loads(run("compare", a, b, sweep["runs"][1]["dir"], "--json").stdout)
        self.assertIsNone(three["mcnemar"])
        self.assertIn("McNemar", run("compare", a, b).stdout)

    def test_killed_training_shows_as_interrupted(self):
        ws = os.path.join(self.dir, "kill-ws")
        self.train("--depth", "1", "--width", "16", "--epochs", "1")  # unrelated workspace, just warms caches
        proc = subprocess.Popen([CLI, "--threads", "1", "train", "--features", self.features, "--workspace", ws,
                                 "--depth", "2", "--width", "512", "--epochs", "100000"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs_dir = os.path.join(ws, "runs")
        for _ in range(600):  # wait until the run folder exists (at most ~60 s)
            if run_folders(runs_dir):
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        runs = json.loads(run("runs", "--workspace", ws, "--json").stdout)
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs[0]["status"], "interrupted")
        # It has no figures: null and "-", not scores of 0.
        for split in ("val", "test"):
            self.assertEqual(runs[0]["metrics"][split]["count"], 0)
            self.assertIsNone(runs[0]["metrics"][split]["f1"])
            self.assertIsNone(runs[0]["metrics"][split]["accuracy"])
        text = run("runs", "--workspace", ws).stdout
        self.assertIn("interrupted", text)
        self.assertNotIn("0.0000", text)

    def test_same_seed_same_metrics(self):
        a = self.train("--depth", "1", "--width", "32", "--epochs", "3", "--seed", "5")
        b = self.train("--depth", "1", "--width", "32", "--epochs", "3", "--seed", "5")
        self.assertEqual(a["metrics"], b["metrics"])


class KillTrials(unittest.TestCase):
    """SIGKILL at random moments never leaves a workspace that breaks, a finished run that is
    damaged, an interrupted run shown as finished, or a half-written feature file under its name."""

    def test_random_kills(self):
        import random
        rng = random.Random(20261124)
        with tempfile.TemporaryDirectory() as d:
            run("demo", "--out", d, "--n", "600")
            dataset = os.path.join(d, "demo.jsonl")
            features = os.path.join(d, "demo.h5")
            run("extract", "--dataset", dataset, "--out", features)
            ws = os.path.join(d, "ws")
            trials = 20
            for trial in range(trials):
                if trial % 4 == 3:  # an extraction killed part-way
                    out = os.path.join(d, f"kill-{trial}.h5")
                    cmd = [CLI, "extract", "--dataset", dataset, "--out", out, "--batch-size", "8"]
                else:
                    out = None
                    cmd = [CLI, "--threads", "1", "train", "--features", features, "--workspace", ws,
                           "--depth", "1", "--width", "64", "--epochs", str(rng.randint(1, 40))]
                runs_dir = os.path.join(ws, "runs")
                before = len(run_folders(runs_dir))
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if out is None:
                    # Start-up takes a while (and longer under sanitizers): the random moment
                    # is counted from when the run's folder appears, so kills land mid-training
                    # or mid-save, not only before anything began.
                    deadline = time.time() + 120
                    while proc.poll() is None and time.time() < deadline and \
                            len(run_folders(runs_dir)) <= before:
                        time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.4 if out is None else 1.5))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                if out and os.path.exists(out):
                    # Only a complete file may carry the final name.
                    info = json.loads(run("inspect", out, "--json").stdout)
                    self.assertEqual(info["rows"], 600)
            runs = json.loads(run("runs", "--workspace", ws, "--json").stdout)
            self.assertEqual(len(runs), len(run_folders(os.path.join(ws, "runs"))))
            statuses = [r["status"] for r in runs]
            print(f"\n{trials} kill trials: {statuses.count('finished')} runs finished before the kill, "
                  f"{statuses.count('interrupted')} interrupted", file=sys.stderr)
            for r in runs:
                self.assertIn(r["status"], ("finished", "interrupted"))
                if r["status"] == "finished":  # every finished run is whole and loads
                    ev = json.loads(run("eval", "--run", r["dir"], "--features", features, "--split", "all",
                                        "--json").stdout)
                    self.assertEqual(ev["metrics"]["count"], 600)
            # The workspace still takes new runs.
            self.assertIn("run", json.loads(run("train", "--features", features, "--workspace", ws,
                                                "--epochs", "1", "--json").stdout))


class ForeignFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_h5py_file_in_the_documented_layout_trains_as_is(self):
        rng = np.random.default_rng(1)
        n, d = 600, 32
        labels = rng.integers(0, 3, n)
        centers = rng.normal(0, 1, (3, d))
        feats = (centers[labels] + rng.normal(0, 0.8, (n, d))).astype(np.float32)
        path = os.path.join(self.dir, "py.h5")
        with h5py.File(path, "w") as f:
            f.create_dataset("features", data=feats, chunks=(100, d))
            f.create_dataset("labels", data=labels.astype(np.int64))
            f.create_dataset("text", data=[f"int f{i}(void);" for i in range(n)], dtype=h5py.string_dtype())
            f.create_dataset("ids", data=np.arange(n) + 1000)
            f.create_dataset("split", data=np.array([0] * 480 + [1] * 60 + [2] * 60, dtype=np.uint8))
            f.attrs["format_version"] = 1
            f.attrs["backbone"] = "my-encoder"
            f.attrs["label_names"] = ["a", "b", "c"]
        info = json.loads(run("inspect", path, "--json").stdout)
        self.assertEqual(info["split"], {"train": 480, "validation": 60, "test": 60})
        self.assertEqual(info["backbone"], "my-encoder")
        result = json.loads(run("train", "--features", path, "--workspace", os.path.join(self.dir, "ws"),
                                "--epochs", "10", "--json").stdout)
        self.assertEqual(result["metrics"]["val"]["count"], 60)
        self.assertEqual(result["metrics"]["test"]["count"], 60)
        self.assertGreater(result["metrics"]["test"]["accuracy"], 0.8)
        self.assertIsNone(result["metrics"]["test"]["roc_auc"])  # three classes
        with open(os.path.join(result["dir"], "predictions.csv")) as f:
            first = next(csv.DictReader(f))
        self.assertEqual(first["id"], "1000")
        ev = json.loads(run("eval", "--run", result["dir"], "--features", path, "--split", "test", "--json").stdout)
        self.assertAlmostEqual(ev["metrics"]["accuracy"], result["metrics"]["test"]["accuracy"])

    def test_bad_input_exits_2_naming_the_file(self):
        bad = os.path.join(self.dir, "bad.jsonl")
        with open(bad, "w") as f:
            f.write('{"func": "int a;", "target": 0}\n{"func": "int b;"\n')
        proc = run("extract", "--dataset", bad, "--out", os.path.join(self.dir, "x.h5"), expect=2)
        self.assertIn(f"{bad}:2:18: not valid JSON: syntax error", proc.stderr)  # file:line:column
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x.h5")))

        noth5 = os.path.join(self.dir, "text.h5")
        with open(noth5, "w") as f:
            f.write("hello")
        proc = run("train", "--features", noth5, "--workspace", self.dir, expect=2)
        self.assertIn(f"{noth5}: not an HDF5 file", proc.stderr)

        spec = os.path.join(self.dir, "head.json")
        with open(spec, "w") as f:
            json.dump({"hidden": [64], "dropout": 1.5}, f)
        proc = run("train", "--features", noth5, "--workspace", self.dir, "--head", spec, expect=2)
        self.assertIn(f"{spec}: dropout 1.5", proc.stderr)

        proc = run("train", "--features", noth5, "--workspace", self.dir, "--activation", "softplus", expect=2)
        self.assertIn("unknown activation 'softplus'", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "runs")))

    def test_more_bad_input_exits_2(self):
        # A feature file whose /text is not UTF-8.
        bad = os.path.join(self.dir, "latin1.h5")
        with h5py.File(bad, "w") as f:
            f.create_dataset("features", data=np.ones((4, 3), dtype=np.float32))
            f.create_dataset("labels", data=np.array([0, 1, 0, 1]))
            f.create_dataset("text", data=np.array([b"ok", b"caf\xe9", b"a", b"b"], dtype=object),
                             dtype=h5py.string_dtype(encoding="ascii"))
        proc = run("inspect", bad, expect=2)
        self.assertIn(f"{bad}: /text row 1 is not valid UTF-8", proc.stderr)
        # A JSONL whose label has the wrong type, and an empty file.
        wrong = os.path.join(self.dir, "wrong.jsonl")
        with open(wrong, "w") as f:
            f.write('{"func": "int a;", "target": 0}\n{"func": "int b;", "target": [1]}\n')
        self.assertIn(f"{wrong}:2: label field 'target' is array", run("extract", "--dataset", wrong, "--out",
                                                                           os.path.join(self.dir, "w.h5"), expect=2).stderr)
        empty = os.path.join(self.dir, "empty.jsonl")
        open(empty, "w").close()
        self.assertIn(f"{empty}: no samples", run("extract", "--dataset", empty, "--out",
                                                  os.path.join(self.dir, "e.h5"), expect=2).stderr)
        # A 10 MB single snippet imports and extracts.
        huge = os.path.join(self.dir, "huge.jsonl")
        with open(huge, "w") as f:
            f.write(json.dumps({"func": "int x = 1;\n" * (10 * 1024 * 1024 // 11), "target": 1}) + "\n")
            f.write(json.dumps({"func": "int y;", "target": 0}) + "\n")
        run("extract", "--dataset", huge, "--out", os.path.join(self.dir, "huge.h5"))
        self.assertEqual(json.loads(run("inspect", os.path.join(self.dir, "huge.h5"), "--json").stdout)["rows"], 2)
        # Random bytes as a run's head.
        ws = os.path.join(self.dir, "ws")
        feats = os.path.join(self.dir, "ok.h5")
        with h5py.File(feats, "w") as f:
            f.create_dataset("features", data=np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32))
            f.create_dataset("labels", data=np.arange(60) % 2)
        result = json.loads(run("train", "--features", feats, "--workspace", ws, "--epochs", "1", "--json").stdout)
        with open(os.path.join(result["dir"], "head.pt"), "wb") as f:
            f.write(os.urandom(4096))
        proc = run("eval", "--run", result["dir"], "--features", feats, expect=2)
        self.assertIn("head.pt: not a loadable TorchScript head", proc.stderr)

    def test_every_subcommand_has_help(self):
        for sub in ("demo", "extract", "merge", "inspect", "train", "runs", "eval", "sweep", "compare"):
            self.assertIn("--help", run(sub, "--help").stdout)


HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZERS = os.path.join(HERE, "data", "tokenizers")


class TorchScriptExtraction(unittest.TestCase):
    """Pretrained-style backbones from the command line: small TorchScript models with random
    weights (tools/make_test_backbones.py), their tokenizers, resume after SIGKILL, the cache,
    shards and merge, broken files."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        run("demo", "--out", cls.dir, "--n", "300")
        cls.dataset = os.path.join(cls.dir, "demo.jsonl")
        cls.models = os.path.join(cls.dir, "models")
        subprocess.run([sys.executable, os.path.join(HERE, "..", "tools", "make_test_backbones.py"), cls.models],
                       check=True, capture_output=True)
        cls.bert = ["--backbone", os.path.join(cls.models, "bert_like.pt"),
                    "--tokenizer", os.path.join(TOKENIZERS, "bpe", "tokenizer.json")]
        cls.decoder = ["--backbone", os.path.join(cls.models, "decoder_like.pt"),
                       "--tokenizer", os.path.join(TOKENIZERS, "sentencepiece", "tokenizer.model"), "--pooling", "last"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def extract(self, out, *args, expect=0):
        return run("extract", "--dataset", self.dataset, *args, "--out", out, "--json", expect=expect)

    def test_encoder_and_decoder_models_extract_and_train(self):
        for name, args, dim, pooling in (("bert", self.bert, 32, "mean"), ("decoder", self.decoder, 24, "last"),
                                         ("wordpiece", ["--backbone", os.path.join(self.models, "dict_output.pt"),
                                                        "--tokenizer", os.path.join(TOKENIZERS, "wordpiece", "tokenizer.json"),
                                                        "--pooling", "cls", "--max-length", "128"], 16, "cls")):
            out = os.path.join(self.dir, f"{name}.h5")
            result = json.loads(self.extract(out, *args).stdout)
            self.assertEqual((result["status"], result["rows"], result["dim"]), ("extracted", 300, dim))
            with h5py.File(out, "r") as f:
                self.assertEqual(f["features"].shape, (300, dim))
                self.assertEqual(f.attrs["pooling"], pooling)
                # The model's content hash is xxHash's XXH3, against the Python xxhash binding.
                model = args[args.index("--backbone") + 1]
                with open(model, "rb") as m:
                    self.assertEqual(f.attrs["backbone_hash"], "xxh3_64:" + xxhash.xxh3_64_hexdigest(m.read()))
                self.assertIn(f.attrs["max_length"], ("512", "128"))
                self.assertTrue(np.isfinite(f["features"][:]).all())
            trained = json.loads(run("train", "--features", out, "--workspace", os.path.join(self.dir, "ws"),
                                     "--epochs", "2", "--json").stdout)
            self.assertIn("run", trained)
            # The same extraction again is taken from the cache.
            self.assertEqual(json.loads(self.extract(out, *args).stdout)["status"], "reused")

    def test_killed_extraction_resumes_and_matches(self):
        import random
        rng = random.Random(5)
        # 1000 rows: 32 chunks of 32, so four kills after a chunk or two each never reach the end.
        big = os.path.join(self.dir, "big")
        run("demo", "--out", big, "--n", "1000", "--seed", "3")
        dataset = os.path.join(big, "demo.jsonl")
        reference = os.path.join(self.dir, "reference.h5")
        run("extract", "--dataset", dataset, *self.bert, "--batch-size", "2", "--out", reference)
        out = os.path.join(self.dir, "killed.h5")
        partial = out + ".partial"
        resumed_total = 0
        for trial in range(4):
            cmd = [CLI, "--threads", "2", "extract", "--dataset", dataset, *self.bert, "--batch-size", "2",
                   "--out", out]
            def chunk_count():
                return len([f for f in os.listdir(partial) if f.endswith(".f32")]) if os.path.isdir(partial) else 0
            before = chunk_count()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # Kill at a random moment after this run has finished at least one more chunk.
            deadline = time.time() + 120
            while proc.poll() is None and time.time() < deadline and chunk_count() <= before:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.1))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if os.path.exists(out):  # finished before the kill: it must be complete
                self.assertEqual(json.loads(run("inspect", out, "--json").stdout)["rows"], 1000)
                os.remove(out)
        self.assertFalse(os.path.exists(out))
        chunks = [f for f in os.listdir(partial) if f.endswith(".f32")] if os.path.isdir(partial) else []
        result = json.loads(run("extract", "--dataset", dataset, *self.bert, "--batch-size", "2", "--out", out,
                                "--json").stdout)
        resumed_total = result["resumed_rows"]
        self.assertEqual(resumed_total, len(chunks) * 32, "every finished chunk is reused, nothing else")
        self.assertGreater(resumed_total, 0)
        self.assertFalse(os.path.exists(partial))
        with h5py.File(out, "r") as a, h5py.File(reference, "r") as b:
            np.testing.assert_array_equal(a["features"][:], b["features"][:])
        print(f"\nextraction killed 4 times, resumed {resumed_total} of 1000 rows from {len(chunks)} chunks",
              file=sys.stderr)

    def test_shards_merge_into_the_single_extraction(self):
        single = os.path.join(self.dir, "single.h5")
        self.extract(single, *self.decoder)
        shards = []
        for i in range(3):
            shards.append(os.path.join(self.dir, f"shard-{i}.h5"))
            r = json.loads(self.extract(shards[-1], *self.decoder, "--shard", f"{i}/3").stdout)
            self.assertEqual(r["shard"], {"index": i, "count": 3})
        merged = os.path.join(self.dir, "merged.h5")
        self.assertEqual(json.loads(run("merge", *shards[::-1], "--out", merged, "--json").stdout)["rows"], 300)
        with h5py.File(merged, "r") as m, h5py.File(single, "r") as s:
            np.testing.assert_allclose(m["features"][:], s["features"][:], atol=1e-5)
            np.testing.assert_array_equal(m["labels"][:], s["labels"][:])
            self.assertEqual(list(m["text"][:]), list(s["text"][:]))
            self.assertEqual(m.attrs["cache_key"], s.attrs["cache_key"])
            self.assertNotIn("row_index", m)
        proc = run("merge", shards[0], shards[2], "--out", os.path.join(self.dir, "bad.h5"), expect=2)
        self.assertIn("1 of 3 shards missing (index 1)", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "bad.h5")))
        self.assertIn("--shard 3/3", self.extract(os.path.join(self.dir, "x.h5"), *self.decoder, "--shard", "3/3",
                                                  expect=2).stderr)

    def test_broken_backbones_exit_2_naming_the_file(self):
        tok = os.path.join(TOKENIZERS, "bpe", "tokenizer.json")
        for model, message in (("broken_random.pt", "not a TorchScript model"),
                               ("broken_signature.pt", "forward takes 1 inputs"),
                               ("broken_shape.pt", "expected the last hidden states"),
                               ("tiny_vocab.pt", "does not fit the embedding")):
            path = os.path.join(self.models, model)
            proc = self.extract(os.path.join(self.dir, "broken.h5"), "--backbone", path, "--tokenizer", tok, expect=2)
            self.assertIn(path, proc.stderr)
            self.assertIn(message, proc.stderr)
        proc = self.extract(os.path.join(self.dir, "broken.h5"), "--backbone", os.path.join(self.models, "bert_like.pt"),
                            expect=2)
        self.assertIn("--tokenizer", proc.stderr)
        garbage = os.path.join(self.dir, "garbage.json")
        with open(garbage, "w") as f:
            f.write('{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}')
        proc = self.extract(os.path.join(self.dir, "broken.h5"), "--backbone", os.path.join(self.models, "bert_like.pt"),
                            "--tokenizer", garbage, expect=2)
        self.assertIn(garbage, proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "broken.h5")))


if __name__ == "__main__":
    CLI, = clitest.arguments(1)
    unittest.main(verbosity=2)
