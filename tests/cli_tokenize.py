#!/usr/bin/python3
"""`headbench-cli tokenize` against the real Hugging Face `tokenizers` library: for every case of
tests/data/tokenizers/{bpe,wordpiece}/expected_hf.json (made by tools/make_tokenizer_fixtures_hf.js with
the library's Rust core), the ids and tokens it prints, with the case's --max-length, are HF's, and
n_tokens / truncated say whether the cut removed tokens. Also --dataset/--row, the table output and
bad input (exit code 2).
Usage: cli_tokenize.py PATH/TO/headbench-cli TOKENIZERS_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

CLI = TOKENIZERS = None


def run(*args, expect=0):
    proc = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, encoding="utf-8")
    if proc.returncode != expect:
        raise AssertionError(f"{args}: exit {proc.returncode}, expected {expect}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def cases(kind):
    with open(os.path.join(TOKENIZERS, kind, "expected_hf.json"), encoding="utf-8") as f:
        return json.load(f)["cases"]


class Tokenize(unittest.TestCase):
    def check_kind(self, kind):
        tok = os.path.join(TOKENIZERS, kind, "tokenizer.json")
        truncated = 0
        for c in cases(kind):
            if "\0" in c["text"]:
                continue  # a command-line argument cannot hold NUL
            with self.subTest(kind=kind, case=c["name"]):
                got = json.loads(run("tokenize", "--tokenizer", tok, "--text", c["text"], "--max-length",
                                     c["max_length"], "--json").stdout)
                self.assertEqual(got["ids"], c["ids"])
                # HF gives an added token with lstrip/rstrip as the span it matched (" <mask>"); the
                # vocabulary spelling is "<mask>".
                self.assertEqual([t.strip() or t for t in got["tokens"]], [t.strip() or t for t in c["tokens"]])
                self.assertEqual(got["n_tokens"], c["n_tokens"])
                self.assertEqual(got["truncated"], c["n_tokens"] > len(c["ids"]))
                truncated += got["truncated"]
        self.assertGreaterEqual(truncated, 2)  # the fixture has cut cases

    def test_bpe_matches_hf(self):
        self.check_kind("bpe")

    def test_wordpiece_matches_hf(self):
        self.check_kind("wordpiece")

    def test_dataset_row_and_table(self):
        c = [c for c in cases("bpe") if c["name"] == "truncated"][0]
        tok = os.path.join(TOKENIZERS, "bpe", "tokenizer.json")
        with tempfile.TemporaryDirectory() as d:
            data = os.path.join(d, "d.jsonl")
            with open(data, "w", encoding="utf-8") as f:
                f.write(json.dumps({"idx": "a", "func": "x = 1;", "target": 0}) + "\n")
                f.write(json.dumps({"idx": "b", "func": c["text"], "target": 1}) + "\n")
            got = json.loads(run("tokenize", "--tokenizer", tok, "--dataset", data, "--row", "b", "--max-length",
                                 c["max_length"], "--json").stdout)
            self.assertEqual(got["ids"], c["ids"])
            table = run("tokenize", "--tokenizer", tok, "--dataset", data, "--row", "b", "--max-length",
                        c["max_length"]).stdout
            self.assertIn(f"{len(c['ids'])} of {c['n_tokens']} tokens kept", table)
            self.assertIn(json.dumps(c["tokens"][1]), table)
            err = run("tokenize", "--tokenizer", tok, "--dataset", data, "--row", "zzz", expect=2).stderr
            self.assertIn("d.jsonl", err)
            self.assertIn("zzz", err)
        err = run("tokenize", "--tokenizer", "/nonexistent/tokenizer.json", "--text", "x", expect=2).stderr
        self.assertIn("/nonexistent/tokenizer.json", err)
        run("tokenize", "--tokenizer", tok, expect=2)  # neither --text nor --dataset


if __name__ == "__main__":
    CLI, TOKENIZERS = sys.argv[1:3]
    del sys.argv[1:3]
    unittest.main()
