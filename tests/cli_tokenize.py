#!/usr/bin/python3
"""`headbench-cli tokenize` against the real Hugging Face `tokenizers` library: for every case of
tests/data/tokenizers/{bpe,wordpiece}/expected_hf.json (made by tools/make_tokenizer_fixtures_hf.js with
the library's Rust core), the ids and tokens it prints, with the case's --max-length, are HF's, and
n_tokens / truncated say whether the cut removed tokens. The same for the "slow" files of
{bpe_slow,wordpiece_slow}/ (vocab.json + merges.txt, vocab.txt; tools/make_slow_tokenizer_fixtures_hf.js,
the library reading those files itself), under their stored tokenizer_config.json and under each
variant of it (add_prefix_space, cased, accents kept, ...) written over a copy. Also --dataset/--row,
the table output and bad input (exit code 2).
Usage: cli_tokenize.py PATH/TO/headbench-cli TOKENIZERS_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import clitest
from clitest import run

CLI = TOKENIZERS = None




def expected(kind):
    with open(os.path.join(TOKENIZERS, kind, "expected_hf.json"), encoding="utf-8") as f:
        return json.load(f)


def cases(kind):
    return expected(kind)["cases"]


SLOW = {"bpe_slow": ("vocab.json", "bpe"), "wordpiece_slow": ("vocab.txt", "wordpiece")}  # dir -> (file, kind)


class Tokenize(unittest.TestCase):
    def check_kind(self, kind, tok=None, case_list=None, want_kind=None, text_checks=3):
        """All cases of one max_length go through one `tokenize --dataset` call (every row), and
        `text_checks` of them (across lengths) also through --text, which must agree. Each call
        is a process start (LibTorch's initialisers: about 1 s, 4 s under ASan), so --text is
        checked a few times per tokenizer rather than per case."""
        tok = tok or os.path.join(TOKENIZERS, kind, "tokenizer.json")
        case_list = case_list if case_list is not None else cases(kind)
        truncated = 0
        by_length = {}
        blank = [c for c in case_list if not c["text"].strip()]  # a dataset refuses rows without code
        for c in case_list:
            if c["text"].strip():
                by_length.setdefault(c["max_length"], []).append(c)
        for c in blank:
            with self.subTest(kind=kind, case=c["name"]):
                self.check_case(json.loads(run("tokenize", "--tokenizer", tok, "--text", c["text"], "--max-length",
                                               c["max_length"], "--json").stdout), c)
        with tempfile.TemporaryDirectory() as d:
            for max_length, group in by_length.items():
                data = os.path.join(d, f"{kind}-{max_length}.jsonl")
                with open(data, "w", encoding="utf-8") as f:
                    for i, c in enumerate(group):
                        f.write(json.dumps({"idx": f"c{i}", "func": c["text"], "target": i % 2}) + "\n")
                    # a dataset has two classes: two filler rows after the cases
                    for k in range(2):
                        f.write(json.dumps({"idx": f"filler{k}", "func": "int filler;", "target": k}) + "\n")
                got = json.loads(run("tokenize", "--tokenizer", tok, "--dataset", data, "--max-length", max_length,
                                     "--json").stdout)
                if want_kind:
                    self.assertEqual(got["kind"], want_kind)
                self.assertEqual(len(got["rows"]), len(group) + 2)
                self.assertEqual([r["id"] for r in got["rows"][:len(group)]], [f"c{i}" for i in range(len(group))])
                for row, c in zip(got["rows"], group):
                    with self.subTest(kind=kind, case=c["name"]):
                        self.check_case(row, c)
                        truncated += row["truncated"]
                self.assertEqual(got["truncated_rows"], sum(r["truncated"] for r in got["rows"]))
                for c in [c for c in group if "\0" not in c["text"]][:text_checks]:  # an argument cannot hold NUL
                    text_checks -= 1
                    one = json.loads(run("tokenize", "--tokenizer", tok, "--text", c["text"], "--max-length", max_length,
                                         "--json").stdout)
                    self.check_case(one, c)
        self.assertGreaterEqual(truncated, 2)  # the fixture has cut cases

    def check_case(self, got, c):
        self.assertEqual(got["ids"], c["ids"])
        # HF gives an added token with lstrip/rstrip as the span it matched (" <mask>"); the
        # vocabulary spelling is "<mask>". (The variants of the slow files record ids only.)
        if "tokens" in c:
            self.assertEqual([t.strip() or t for t in got["tokens"]], [t.strip() or t for t in c["tokens"]])
        self.assertEqual(got["n_tokens"], c["n_tokens"])
        self.assertEqual(got["truncated"], c["n_tokens"] > len(c["ids"]))

    def test_bpe_matches_hf(self):
        self.check_kind("bpe")

    def test_wordpiece_matches_hf(self):
        self.check_kind("wordpiece")

    def test_slow_bpe_files_match_hf(self):
        """vocab.json (merges.txt beside it) as the library reads the slow files."""
        self.check_kind("bpe_slow", os.path.join(TOKENIZERS, "bpe_slow", "vocab.json"), want_kind="bpe")

    def test_slow_wordpiece_file_matches_hf(self):
        self.check_kind("wordpiece_slow", os.path.join(TOKENIZERS, "wordpiece_slow", "vocab.txt"), want_kind="wordpiece")

    def test_slow_files_follow_tokenizer_config(self):
        """Each variant's tokenizer_config.json written over a copy of the folder gives the ids the
        library gave under it (and differs from the stored configuration somewhere)."""
        for kind, (name, want_kind) in SLOW.items():
            fixture = expected(kind)
            self.assertGreaterEqual(len(fixture["variants"]), 1)
            for variant in fixture["variants"]:
                with self.subTest(kind=kind, variant=variant["name"]), tempfile.TemporaryDirectory() as d:
                    copy = os.path.join(d, kind)
                    shutil.copytree(os.path.join(TOKENIZERS, kind), copy)
                    with open(os.path.join(copy, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                        json.dump(variant["tokenizer_config"], f)
                    by_name = {c["name"]: c for c in fixture["cases"]}
                    merged = [dict(c, text=by_name[c["name"]]["text"], max_length=by_name[c["name"]]["max_length"])
                              for c in variant["cases"]]
                    self.assertNotEqual([c["ids"] for c in merged], [c["ids"] for c in fixture["cases"]])
                    # --text against --dataset is checked on the stored configuration (above).
                    self.check_kind(kind, os.path.join(copy, name), merged, want_kind, text_checks=0)

    def test_slow_files_refused_with_a_reason(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("vocab.json", "special_tokens_map.json", "tokenizer_config.json"):
                shutil.copy(os.path.join(TOKENIZERS, "bpe_slow", name), d)
            vocab = os.path.join(d, "vocab.json")
            err = run("tokenize", "--tokenizer", vocab, "--text", "x", expect=2).stderr
            self.assertIn("merges.txt", err)
            with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
                f.write("#version: 0.2\nĠ Ġ\ni n x\n")
            err = run("tokenize", "--tokenizer", vocab, "--text", "x", expect=2).stderr
            self.assertIn("merges.txt:3", err)
            shutil.copy(os.path.join(TOKENIZERS, "bpe_slow", "merges.txt"), d)
            run("tokenize", "--tokenizer", vocab, "--text", "x")
            with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
                json.dump({"tokenizer_class": "GPT2Tokenizer"}, f)  # no <s> ... </s> template: refused
            err = run("tokenize", "--tokenizer", vocab, "--text", "x", expect=2).stderr
            self.assertIn("GPT2Tokenizer", err)
            self.assertIn("tokenizer.json", err)

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
            table = run("tokenize", "--tokenizer", tok, "--dataset", data, "--max-length", c["max_length"]).stdout
            self.assertIn("1 of 2 rows cut", table)
            err = run("tokenize", "--tokenizer", tok, "--dataset", data, "--row", "zzz", expect=2).stderr
            self.assertIn("d.jsonl", err)
            self.assertIn("zzz", err)
        err = run("tokenize", "--tokenizer", "/nonexistent/tokenizer.json", "--text", "x", expect=2).stderr
        self.assertIn("/nonexistent/tokenizer.json", err)
        run("tokenize", "--tokenizer", tok, expect=2)  # neither --text nor --dataset


if __name__ == "__main__":
    CLI, TOKENIZERS = clitest.arguments(2)
    unittest.main()
