#!/usr/bin/python3
"""Texts longer than the window: `extract --long head|tail|windows` with TorchScript fixtures against
a direct torch computation. Each text's full ids come from `headbench-cli tokenize --max-length 0`
(the tokenizer has its own test against Hugging Face's library); the template's special tokens
(`before` + body + `after`) are read off two short texts; the reference cuts the body
(head: the start, tail: the end, windows: L = max_length - specials body tokens from 0, S, 2S, ...
while start + L < n, and a last window ending at the text's end), runs every sequence through the
model on its own, pools it per (layer, pooling) feature set and takes the mean or max over a row's
windows. Also: head equals the output without --long, the file's attributes (long, window_stride,
window_pool, truncated_rows, /n_tokens), `extract --json` (long, windows, truncated_rows) and bad
values (exit code 2).
Usage: cli_long_windows.py PATH/TO/headbench-cli MODELS_DIR
"""
import json
import os
import tempfile
import unittest

import clitest
from clitest import pool, run

import h5py
import numpy as np
import torch

CLI = MODELS = None
HERE = os.path.dirname(os.path.abspath(__file__))
MAX_LENGTH = 16

# Prefixes of this code (at word boundaries) are the candidate texts; rows are picked by body length.
CODE = ("static int parse_header(const char *buf, size_t len, struct header *out) { if (len < 8) return -1; "
        "out->magic = read_u32(buf); out->version = buf[4]; out->flags = buf[5]; "
        "for (size_t i = 6; i < len; i++) { if (buf[i] == 0) break; out->name[i - 6] = buf[i]; } "
        "memcpy(out->payload, buf + 8, len - 8); return out->magic == 0xCAFEBABE ? 0 : -2; } "
        "int main(void) { struct header h; char data[64] = {0}; return parse_header(data, sizeof data, &h); }")

# What each configuration asks for (the two tokenizers share the model returning all hidden states).
CONFIGS = {
    "wordpiece": {"layers": "all", "pooling": "mean,cls",
                  "windows": [("mean", None), ("max", 5)]},   # (--window-pool, --window-stride or default)
    "bpe": {"layers": "1,-1", "pooling": "last,max",
            "windows": [("max", None), ("mean", 3)]},
}


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def attr(f, name):
    """An attribute as a string (the writer stores strings, some ints)."""
    value = f.attrs[name]
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return text(value)


def tokenize_rows(tokenizer, dataset):
    out = json.loads(run("tokenize", "--tokenizer", tokenizer, "--max-length", "0", "--dataset", dataset,
                         "--json").stdout)
    return {text(r["id"]): r["ids"] for r in out["rows"]}


def template(a, b):
    """(before, after): the special ids the template puts around every text's body, read off the
    full ids of two short texts that differ in their first and last tokens."""
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    return a[:p], a[len(a) - s:]


def window_starts(n, length, stride):
    starts = list(range(0, n, stride))
    starts = [s for s in starts if s + length < n]
    if n - length not in starts:
        starts.append(n - length)
    return starts


def sequences(ids, before, after, long, stride=None):
    """The sequences the model sees for one text with full ids `ids` under --long `long`."""
    assert ids[:len(before)] == before and ids[len(ids) - len(after):] == after, ids
    body = ids[len(before):len(ids) - len(after)]
    n, length = len(body), MAX_LENGTH - len(before) - len(after)
    if n <= length:
        return [before + body + after]
    if long == "head":
        return [before + body[:length] + after]
    if long == "tail":
        return [before + body[n - length:] + after]
    return [before + body[s:s + length] + after for s in window_starts(n, length, stride)]




class Model:
    """A fixture model run one sequence at a time (attention mask all ones, no padding), cached."""

    def __init__(self, path):
        self.module = torch.jit.load(path)
        self.module.eval()
        self.cache = {}

    def states(self, seq):
        key = tuple(seq)
        if key not in self.cache:
            with torch.no_grad():
                ids = torch.tensor([seq], dtype=torch.long)
                result = self.module(ids, torch.ones_like(ids))
            if isinstance(result, dict):
                result = result["last_hidden_state"]
            if isinstance(result, tuple):
                result = result[-1] if isinstance(result[-1], list) else result[0]
            states = result if isinstance(result, list) else [result]
            self.cache[key] = [s[0].double() for s in states]
        return self.cache[key]


def layer_list(spec, count):
    if spec == "last":
        return [count - 1]
    if spec == "all":
        return list(range(count))
    return [int(x) % count for x in spec.split(",")]


def reference(model, rows, before, after, layers, poolings, long, stride=None, window_pool="mean"):
    """{set name: [rows, H]} for the rows in order, and the number of sequences encoded."""
    count = len(model.states(before + after))
    sets = {f"layer{l}.{p}": [] for l in layer_list(layers, count) for p in poolings.split(",")}
    encoded = 0
    for ids in rows:
        seqs = sequences(ids, before, after, long, stride)
        encoded += len(seqs)
        states = [model.states(s) for s in seqs]
        for name, out in sets.items():
            layer, pooling = name[len("layer"):].split(".")
            vectors = torch.stack([pool(s[int(layer)], pooling) for s in states])
            out.append(vectors.mean(0) if window_pool == "mean" else vectors.max(0).values)
    return {name: torch.stack(v).numpy() for name, v in sets.items()}, encoded


def read_sets(path):
    """{set name: matrix} (a version-1 file: its /features under the default set's name), ids, file."""
    with h5py.File(path, "r") as f:
        ids = [text(x) for x in f["ids"][:]]
        if "feature_sets" in f:
            sets = {name: f["feature_sets"][name][()] for name in f["feature_sets"]}
            np.testing.assert_array_equal(f["features"][()], sets[attr(f, "default_feature_set")])
        else:
            sets = {None: f["features"][()]}
        n_tokens = f["n_tokens"][:].tolist()
        attrs = {k: attr(f, k) for k in f.attrs}
    return sets, ids, n_tokens, attrs


class LongTexts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.model_file = os.path.join(MODELS, "all_hidden.pt")
        cls.model = Model(cls.model_file)
        cls.kinds = {}
        words = CODE.split(" ")
        for kind in CONFIGS:
            tok = os.path.join(HERE, "data", "tokenizers", kind, "tokenizer.json")
            # Candidates: every prefix of CODE, and two short texts for the template; one tokenize call.
            cand = os.path.join(cls.dir, f"{kind}_candidates.jsonl")
            with open(cand, "w") as f:
                f.write(json.dumps({"idx": "t0", "func": "hello world", "target": 0}) + "\n")
                f.write(json.dumps({"idx": "t1", "func": "int x = 1 ;", "target": 1}) + "\n")
                for i in range(1, len(words) + 1):
                    f.write(json.dumps({"idx": f"p{i}", "func": " ".join(words[:i]), "target": i % 2}) + "\n")
            ids = tokenize_rows(tok, cand)
            before, after = template(ids["t0"], ids["t1"])
            assert before and after, (kind, before, after)
            length = MAX_LENGTH - len(before) - len(after)
            body = {i: len(ids[f"p{i}"]) - len(before) - len(after) for i in range(1, len(words) + 1)}
            # Short (n < L, n == L), just over (L + 1, L + 2) and long ones (3+ windows at any stride used).
            targets = [2, length // 2, length - 1, length, length + 1, length + 2, length + 5, 2 * length - 1,
                       2 * length + 3, 3 * length, 4 * length + 1, max(body.values())]
            picked = []
            for t in targets:
                best = min((i for i in body if i not in picked), key=lambda i: (abs(body[i] - t), i))
                picked.append(best)
            data = os.path.join(cls.dir, f"{kind}.jsonl")
            rows = []
            with open(data, "w") as f:
                for r, i in enumerate(picked):
                    f.write(json.dumps({"idx": f"{kind}{r}", "func": " ".join(words[:i]), "target": r % 2}) + "\n")
                    rows.append((f"{kind}{r}", ids[f"p{i}"]))
            ns = [body[i] for i in picked]
            assert any(n < length for n in ns) and any(n == length for n in ns), (kind, length, ns)
            assert any(length < n <= length + 2 for n in ns), (kind, length, ns)
            assert sum(len(window_starts(n, length, length // 2)) >= 3 for n in ns if n > length) >= 3, (kind, ns)
            cls.kinds[kind] = {"tokenizer": tok, "before": before, "after": after, "length": length,
                               "data": data, "rows": rows}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def extract(self, kind, name, *flags, layers=None, pooling=None):
        k, c = self.kinds[kind], CONFIGS[kind]
        out = os.path.join(self.dir, f"{kind}_{name}.h5")
        result = json.loads(run("extract", "--dataset", k["data"], "--backbone", self.model_file,
                                "--tokenizer", k["tokenizer"], "--max-length", MAX_LENGTH,
                                "--layers", layers or c["layers"], "--pooling", pooling or c["pooling"],
                                "--batch-size", 5, *flags, "--out", out, "--json").stdout)
        sets, ids, n_tokens, attrs = read_sets(out)
        self.assertEqual(ids, [r[0] for r in k["rows"]])
        self.assertEqual(n_tokens, [len(r[1]) for r in k["rows"]], "/n_tokens is the full count")
        return result, sets, attrs

    def compare(self, kind, sets, long, stride=None, window_pool="mean", msg=""):
        k, c = self.kinds[kind], CONFIGS[kind]
        want, encoded = reference(self.model, [r[1] for r in k["rows"]], k["before"], k["after"], c["layers"],
                                  c["pooling"], long, stride, window_pool)
        self.assertEqual(sorted(sets), sorted(want), msg)
        for name, w in want.items():
            scale = max(1.0, float(np.abs(w).max()))
            np.testing.assert_allclose(sets[name], w, rtol=1e-5, atol=1e-5 * scale, err_msg=f"{kind} {msg} {name}")
        return encoded

    def truncated(self, kind):
        return sum(len(r[1]) > MAX_LENGTH for r in self.kinds[kind]["rows"])

    def check_head_tail(self, kind):
        """Runs first in each kind's test: validates the reference against the behaviour --long head keeps."""
        plain, plain_sets, plain_attrs = self.extract(kind, "plain")
        expected = self.truncated(kind)
        self.assertGreater(expected, 0)
        self.assertEqual(plain["truncated_rows"], expected)
        self.compare(kind, plain_sets, "head", msg="no --long")
        head, head_sets, head_attrs = self.extract(kind, "head", "--long", "head")
        self.assertEqual(sorted(head_sets), sorted(plain_sets))
        for name in plain_sets:
            np.testing.assert_array_equal(head_sets[name], plain_sets[name], err_msg=f"{kind} head {name}")
        self.assertEqual(head["long"], "head")
        self.assertEqual(head_attrs["long"], "head")
        self.assertEqual(head["truncated_rows"], expected)
        self.assertEqual(int(head_attrs["truncated_rows"]), expected)
        self.assertEqual(plain.get("long"), "head")  # the default
        self.assertEqual(plain_attrs.get("long"), "head")
        tail, tail_sets, tail_attrs = self.extract(kind, "tail", "--long", "tail")
        self.compare(kind, tail_sets, "tail", msg="tail")
        self.assertEqual(tail["long"], "tail")
        self.assertEqual(tail_attrs["long"], "tail")
        self.assertEqual(tail["truncated_rows"], expected)
        self.assertEqual(int(tail_attrs["truncated_rows"]), expected)
        # The tail really differs from the head on the cut rows (the fixture is not position-blind).
        name = sorted(tail_sets)[-1]
        self.assertFalse(np.allclose(tail_sets[name], head_sets[name]))

    def check_windows(self, kind):
        k = self.kinds[kind]
        for window_pool, stride in CONFIGS[kind]["windows"]:
            flags = ["--long", "windows", "--window-pool", window_pool]
            if stride is not None:
                flags += ["--window-stride", stride]
            used = stride if stride is not None else max(1, k["length"] // 2)
            label = f"windows {window_pool} stride {stride or 'default'}"
            result, sets, attrs = self.extract(kind, f"windows_{window_pool}_{stride}", *flags)
            encoded = self.compare(kind, sets, "windows", used, window_pool, msg=label)
            self.assertEqual(result["long"], "windows", label)
            self.assertEqual(result["windows"], encoded, label)
            self.assertGreater(encoded, len(k["rows"]) + 5, label)
            self.assertEqual(result["truncated_rows"], 0, label)
            self.assertEqual(attrs["long"], "windows", label)
            self.assertEqual(int(attrs["window_stride"]), used, label)
            self.assertEqual(attrs["window_pool"], window_pool, label)
            self.assertEqual(int(attrs["truncated_rows"]), 0, label)

    def test_wordpiece(self):
        self.check_head_tail("wordpiece")
        self.check_windows("wordpiece")

    def test_bpe(self):
        self.check_head_tail("bpe")
        self.check_windows("bpe")

    def test_reference_windows(self):
        """The reference's own window layout (no binary): starts, coverage, no repeat."""
        self.assertEqual(window_starts(30, 14, 7), [0, 7, 14, 16])
        self.assertEqual(window_starts(15, 14, 7), [0, 1])
        self.assertEqual(window_starts(28, 14, 7), [0, 7, 14])
        self.assertEqual(window_starts(40, 14, 20), [0, 20, 26])
        for n in range(15, 60):
            for s in (1, 3, 7, 14, 20):
                starts = window_starts(n, 14, s)
                self.assertEqual(len(starts), len(set(starts)))
                self.assertEqual(starts[-1] + 14, n)

    def test_bad_values(self):
        k = self.kinds["wordpiece"]
        bad = os.path.join(self.dir, "bad.h5")
        common = ["extract", "--dataset", k["data"], "--backbone", self.model_file, "--tokenizer", k["tokenizer"],
                  "--max-length", MAX_LENGTH, "--out", bad]
        proc = run(*common, "--long", "middle", expect=2)
        self.assertIn("--long", proc.stderr)
        proc = run(*common, "--long", "windows", "--window-stride", 0, expect=2)
        self.assertIn("--window-stride", proc.stderr)
        proc = run("extract", "--dataset", k["data"], "--long", "windows", "--out", bad, expect=2)
        self.assertIn("windows", proc.stderr)
        self.assertFalse(os.path.exists(bad))


if __name__ == "__main__":
    CLI, MODELS = clitest.arguments(2)
    unittest.main(verbosity=2)
