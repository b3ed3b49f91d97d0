#!/usr/bin/python3
"""Many feature sets from one pass: `extract --layers LIST --pooling A,B` with a TorchScript
fixture returning all hidden states writes one version-2 file whose every (layer, pooling) set
equals a direct torch computation on the Hugging Face library's token ids; `inspect --json`
lists the sets; `train --feature-set` and a sweep over `feature_set` train on the chosen set;
shards merge; bad requests are refused with exit code 2.
Usage: cli_feature_sets.py PATH/TO/headbench-cli MODELS_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import clitest
from clitest import pool, run

import h5py
import numpy as np
import torch

CLI = None
MODELS = None
HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "data", "tokenizers", "wordpiece", "tokenizer.json")




def hf_cases():
    """Texts with the ids the real HF tokenizers library gave them (tests/data, made by
    tools/make_tokenizer_fixtures_hf.js): plain ASCII, untruncated."""
    with open(os.path.join(HERE, "data", "tokenizers", "wordpiece", "expected_hf.json")) as f:
        cases = json.load(f)["cases"]
    def plain(text):  # printable ASCII, tabs and newlines: no normaliser corner case
        return text.strip() and all(" " <= ch <= "~" or ch in "\t\n\r" for ch in text)

    out = [c for c in cases if c["max_length"] == 0 and plain(c["text"]) and len(c["ids"]) <= 200]
    # Each text four times (other ids, both labels), so that training has rows to split.
    return [c for _ in range(4) for c in out]




class FeatureSets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.cases = hf_cases()
        assert len(cls.cases) >= 20, f"only {len(cls.cases)} usable tokenizer cases"
        cls.data = os.path.join(cls.dir, "data.jsonl")
        with open(cls.data, "w") as f:
            for i, c in enumerate(cls.cases):
                f.write(json.dumps({"func": c["text"], "target": (i // 3) % 2, "idx": f"c{i}"}) + "\n")
        cls.model = os.path.join(MODELS, "all_hidden.pt")
        cls.out = os.path.join(cls.dir, "sets.h5")
        cls.extract = json.loads(run("extract", "--dataset", cls.data, "--backbone", cls.model, "--tokenizer", TOKENIZER,
                                     "--layers", "all", "--pooling", "mean,cls,last,max", "--batch-size", "3",
                                     "--out", cls.out, "--json").stdout)

    def reference(self, model_file):
        """Every hidden state of every text, one text at a time (no padding), by torch."""
        model = torch.jit.load(model_file)
        model.eval()
        out = []
        with torch.no_grad():
            for c in self.cases:
                ids = torch.tensor([c["ids"]], dtype=torch.long)
                result = model(ids, torch.ones_like(ids))
                states = result[2] if isinstance(result, tuple) else result
                out.append([s[0].double() for s in states])
        return out

    def test_every_set_equals_a_direct_computation(self):
        ref = self.reference(self.model)
        names = []
        with h5py.File(self.out, "r") as f:
            self.assertEqual(int(f.attrs["format_version"]), 2)
            default = f.attrs["default_feature_set"]
            self.assertEqual(default, "layer3.mean")  # the last layer with the first pooling
            for layer in range(4):
                for pooling in ("mean", "cls", "last", "max"):
                    name = f"layer{layer}.{pooling}"
                    names.append(name)
                    ds = f["feature_sets"][name]
                    self.assertEqual(int(ds.attrs["layer"]), layer)
                    self.assertEqual(ds.attrs["pooling"], pooling)
                    got = ds[()]
                    want = np.stack([pool(r[layer], pooling).numpy() for r in ref])
                    np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4, err_msg=name)
            # Version-1 readers find the default set where they always did.
            np.testing.assert_array_equal(f["features"][()], f["feature_sets"][default][()])
            self.assertEqual(list(f["feature_sets"].keys()).__len__(), 16)
        self.assertEqual([s["name"] for s in self.extract["feature_sets"]], names)
        self.assertEqual(self.extract["dim"], 16)

    def test_nested_tuple_output_and_a_layer_list(self):
        out = os.path.join(self.dir, "nested.h5")
        run("extract", "--dataset", self.data, "--backbone", os.path.join(MODELS, "all_hidden_nested.pt"),
            "--tokenizer", TOKENIZER, "--layers", "-1,1", "--pooling", "max", "--out", out)
        ref = self.reference(os.path.join(MODELS, "all_hidden_nested.pt"))
        info = json.loads(run("inspect", out, "--json").stdout)
        self.assertEqual([(s["name"], s["layer"], s["pooling"], s["dataset"]) for s in info["feature_sets"]],
                         [("layer3.max", 3, "max", "/feature_sets/layer3.max"),
                          ("layer1.max", 1, "max", "/feature_sets/layer1.max")])
        self.assertEqual(info["default_feature_set"], "layer3.max")
        with h5py.File(out, "r") as f:
            want = np.stack([pool(r[1], "max").numpy() for r in ref])
            np.testing.assert_allclose(f["feature_sets/layer1.max"][()], want, atol=1e-4, rtol=1e-4)

    def test_inspect_lists_sets_and_v1_files_have_none(self):
        info = json.loads(run("inspect", self.out, "--json").stdout)
        self.assertEqual(len(info["feature_sets"]), 16)
        self.assertEqual(info["feature_sets"][0], {"name": "layer0.mean", "layer": 0, "pooling": "mean",
                                                   "dataset": "/feature_sets/layer0.mean"})
        self.assertEqual(info["format_version"], 2)
        v1 = os.path.join(self.dir, "v1.h5")
        run("extract", "--dataset", self.data, "--backbone", os.path.join(MODELS, "bert_like.pt"), "--tokenizer", TOKENIZER,
            "--out", v1)
        info1 = json.loads(run("inspect", v1, "--json").stdout)
        self.assertEqual(info1["feature_sets"], [])
        self.assertEqual(info1["format_version"], 1)
        with h5py.File(v1, "r") as f:
            self.assertEqual(int(f.attrs["format_version"]), 1)
            self.assertNotIn("feature_sets", f)

    def test_train_and_sweep_on_a_chosen_set(self):
        ws = os.path.join(self.dir, "ws")
        res = json.loads(run("train", "--features", self.out, "--feature-set", "layer1.cls", "--workspace", ws,
                             "--depth", "0", "--json").stdout)
        run_dir = res.get("dir") or os.path.join(ws, "runs", res["run"])
        with open(os.path.join(run_dir, "run.json")) as f:
            self.assertEqual(json.load(f)["features"]["feature_set"], "layer1.cls")
        proc = run("train", "--features", self.out, "--feature-set", "layer9.mean", "--workspace", ws, expect=2)
        self.assertIn("no feature set 'layer9.mean'", proc.stderr)
        grid = os.path.join(self.dir, "grid.json")
        with open(grid, "w") as f:
            json.dump({"base": {"hidden": [], "epochs": 2}, "grid": {"feature_set": ["layer0.mean", "layer2.max"]}}, f)
        sweep = json.loads(run("sweep", "--features", self.out, "--workspace", ws, "--grid", grid, "--json").stdout)
        got = []
        for r in sweep["runs"]:
            with open(os.path.join(r["dir"], "run.json")) as f:
                got.append(json.load(f)["features"]["feature_set"])
        self.assertEqual(got, ["layer0.mean", "layer2.max"])
        with open(grid, "w") as f:
            json.dump({"base": {"hidden": []}, "grid": {"feature_set": ["layer0.mean", "nope"]}}, f)
        self.assertIn("feature_set 'nope'", run("sweep", "--features", self.out, "--workspace", ws, "--grid", grid,
                                                 expect=2).stderr)

    def test_shards_merge_every_set(self):
        shards = []
        for i in range(2):
            s = os.path.join(self.dir, f"shard{i}.h5")
            run("extract", "--dataset", self.data, "--backbone", self.model, "--tokenizer", TOKENIZER, "--layers", "all",
                "--pooling", "mean,cls,last,max", "--shard", f"{i}/2", "--out", s)
            shards.append(s)
        merged = os.path.join(self.dir, "merged.h5")
        run("merge", *shards, "--out", merged)
        with h5py.File(merged, "r") as m, h5py.File(self.out, "r") as f:
            self.assertEqual(m.attrs["cache_key"], f.attrs["cache_key"])
            self.assertEqual(list(m["feature_sets"].keys()), list(f["feature_sets"].keys()))
            for name in f["feature_sets"]:
                np.testing.assert_allclose(m["feature_sets"][name][()], f["feature_sets"][name][()], atol=1e-5, err_msg=name)

    def test_bad_requests_are_refused(self):
        bad = os.path.join(self.dir, "bad.h5")
        proc = run("extract", "--dataset", self.data, "--backbone", os.path.join(MODELS, "bert_like.pt"), "--tokenizer",
                   TOKENIZER, "--layers", "all", "--out", bad, expect=2)
        self.assertIn("--all-hidden-states", proc.stderr)
        proc = run("extract", "--dataset", self.data, "--backbone", self.model, "--tokenizer", TOKENIZER, "--layers", "7",
                   "--out", bad, expect=2)
        self.assertIn("out of range", proc.stderr)
        proc = run("extract", "--dataset", self.data, "--backbone", self.model, "--tokenizer", TOKENIZER, "--layers", "x",
                   "--out", bad, expect=2)
        self.assertIn("not a layer number", proc.stderr)
        run("extract", "--dataset", self.data, "--pooling", "mean,bogus", "--out", bad, expect=2)
        proc = run("extract", "--dataset", self.data, "--layers", "all", "--out", bad, expect=2)
        self.assertIn("TorchScript", proc.stderr)
        self.assertFalse(os.path.exists(bad))


if __name__ == "__main__":
    CLI, MODELS = clitest.arguments(2)
    unittest.main(verbosity=2)
