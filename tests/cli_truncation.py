#!/usr/bin/python3
"""What the model saw: `extract` with a TorchScript backbone records each row's token count before
truncation (/n_tokens) and counts the rows cut by --max-length (truncated_rows: the file's attribute,
`extract --json`, the human line). The reference is the real Hugging Face `tokenizers` library: the
untruncated token counts (n_tokens) it gives for the fixture tokenizers (tests/data/tokenizers/*/expected_hf.json, made by
tools/make_tokenizer_fixtures_hf.js). The built-in backbone has no token window: null, no /n_tokens.
Usage: cli_truncation.py PATH/TO/headbench-cli MODELS_DIR TOKENIZERS_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import clitest
from clitest import run

import h5py

CLI = MODELS = TOKENIZERS = None




class Truncation(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def dataset(self, kind):
        with open(os.path.join(TOKENIZERS, kind, "expected_hf.json"), encoding="utf-8") as f:
            cases = [c for c in json.load(f)["cases"] if c["text"]]
        path = os.path.join(self.dir, kind + ".jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for i, c in enumerate(cases):
                f.write(json.dumps({"idx": c["name"], "func": c["text"], "target": i % 2}) + "\n")
        return path, {c["name"]: c["n_tokens"] for c in cases}  # HF's untruncated counts, special tokens included

    def check(self, kind, max_length):
        data, hf = self.dataset(kind)
        out = os.path.join(self.dir, f"{kind}_{max_length}.h5")
        common = ["extract", "--dataset", data, "--backbone", os.path.join(MODELS, "bert_like.pt"),
                  "--tokenizer", os.path.join(TOKENIZERS, kind, "tokenizer.json"), "--max-length", max_length,
                  "--out", out]
        result = json.loads(run(*common, "--json").stdout)
        with h5py.File(out, "r") as f:
            ids = [x.decode() if isinstance(x, bytes) else str(x) for x in f["ids"][:]]
            counts = dict(zip(ids, f["n_tokens"][:].tolist()))
            attr = f.attrs["truncated_rows"]
            attr = int(attr.decode() if isinstance(attr, bytes) else attr)
        self.assertEqual(counts, hf, kind)
        expected = sum(n > max_length for n in hf.values())
        self.assertGreater(expected, 0)
        self.assertLess(expected, len(hf))
        self.assertEqual(result["truncated_rows"], expected)
        self.assertEqual(attr, expected)
        # The human output says it too (a changed --max-length is a new extraction).
        os.remove(out)
        text = run(*common).stdout
        self.assertIn(f"truncated {expected} of {len(hf)} rows at --max-length {max_length}", text)

    def test_bpe_counts_match_hf(self):
        self.check("bpe", 12)

    def test_wordpiece_counts_match_hf(self):
        self.check("wordpiece", 10)

    def test_builtin_backbone_has_no_window(self):
        data, _ = self.dataset("bpe")
        out = os.path.join(self.dir, "ngram.h5")
        result = json.loads(run("extract", "--dataset", data, "--out", out, "--json").stdout)
        self.assertIsNone(result["truncated_rows"])
        with h5py.File(out, "r") as f:
            self.assertNotIn("n_tokens", f)
            self.assertNotIn("truncated_rows", f.attrs)


if __name__ == "__main__":
    CLI, MODELS, TOKENIZERS = clitest.arguments(3)
    unittest.main()
