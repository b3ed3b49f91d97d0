#!/usr/bin/python3
"""Hugging Face model folders as backbones: `extract --backbone FOLDER` on the tiny bert (F32),
roberta (BF16, two shards), llama (F16, grouped-query attention), qwen2 (BF16, biased q/k/v,
tied embeddings) and mistral (F32, sliding window) folders that
tools/make_hf_fixtures.py writes gives, for every layer and pooling, what tests/hf_reference.py (a
safetensors reader and a plain-PyTorch forward of its own, written from transformers' modeling
code) computes on each text alone from the HF tokenizers' ids; the same with --batch-size 1;
--tokenizer overrides the folder's; `inspect FOLDER --json` reports the model; broken folders are
refused with exit code 2 and a message naming the problem; with tokenizer.json replaced by the slow
files (vocab.json + merges.txt, vocab.txt) the features are the same. The reference checks itself against
torch.nn.TransformerEncoderLayer, Meta's complex-number RoPE and causality, and shows that each
wrong variant (GELU kind, RoBERTa's position offset, interleaved RoPE, no final norm) would fail.
Usage: cli_hf_folders.py PATH/TO/headbench-cli FIXTURES_OUT_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import clitest
from clitest import pool, run

import h5py
import numpy as np
import torch

import hf_reference as ref

CLI = None
FIXTURES = None
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOKENIZERS = os.path.join(HERE, "data", "tokenizers")
POOLINGS = ("mean", "cls", "last")
# folder -> its tokenizer fixture
KINDS = {"bert": "wordpiece", "roberta": "bpe", "llama": "sentencepiece", "qwen2": "bpe", "mistral": "sentencepiece"}
TOLERANCE = 1e-4


def make_fixtures():
    """Writes the folders once per process (FIXTURES, or a temporary directory) and returns the path."""
    global FIXTURES
    if FIXTURES is None:
        make_fixtures.tmp = tempfile.TemporaryDirectory()
        FIXTURES = make_fixtures.tmp.name
    if not getattr(make_fixtures, "done", False):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_hf_fixtures.py"), FIXTURES], check=True)
        make_fixtures.done = True
    return FIXTURES


def folder(name):
    return os.path.join(make_fixtures(), name)


def cases(tokenizer):
    """Texts with the ids the real tokenizer library gave them: HF tokenizers for tokenizer.json
    (expected_hf.json), the sentencepiece library for tokenizer.model (expected.json). Printable
    ASCII, untruncated, at most 100 ids; their lengths differ, so batches are padded."""
    name = "expected.json" if tokenizer == "sentencepiece" else "expected_hf.json"
    with open(os.path.join(TOKENIZERS, tokenizer, name), encoding="utf-8") as f:
        all_cases = json.load(f)["cases"]

    def plain(text):
        return text.strip() and all(" " <= ch <= "~" or ch in "\t\n\r" for ch in text)

    return [c for c in all_cases if c["max_length"] == 0 and plain(c["text"]) and len(c["ids"]) <= 100]


def write_dataset(path, texts):
    """Each text three times with both labels; rows c0, c1, ... Returns the row texts in order."""
    rows = []
    with open(path, "w", encoding="utf-8") as f:
        for rep in range(3):
            for j, c in enumerate(texts):
                f.write(json.dumps({"func": c["text"], "target": (j + rep) % 2, "idx": f"c{len(rows)}"}) + "\n")
                rows.append(c)
    return rows


def features_by_row(path):
    """{set name: [rows, H] float64} of a feature file, rows in the order c0, c1, ... (by /ids)."""
    with h5py.File(path, "r") as f:
        ids = [i.decode() if isinstance(i, bytes) else i for i in f["ids"][()]]
        order = np.argsort([int(i[1:]) for i in ids])
        return {name: f["feature_sets"][name][()][order].astype(np.float64) for name in f["feature_sets"]}, dict(f.attrs)


def reference_sets(model, rows, layers, **variant):
    """{layer{L}.{pooling}: [rows, H]} of the reference run on each row's ids alone."""
    memo = {}
    out = {}
    for c in rows:
        key = tuple(c["ids"])
        if key not in memo:
            memo[key] = ref.hidden_states(model, c["ids"], **variant)
    for layer in range(layers + 1):
        for p in POOLINGS:
            out[f"layer{layer}.{p}"] = np.stack([pool(memo[tuple(c["ids"])][layer], p).numpy() for c in rows])
    return out


WRONG_VARIANTS = {
    "bert": [{"swap_gelu": True}],
    "roberta": [{"swap_gelu": True}, {"roberta_offset": False}],
    "llama": [{"rope": "interleaved"}, {"final_norm": False}],
    "qwen2": [{"qkv_bias": False}, {"rope": "interleaved"}],
    "mistral": [{"sliding_window": False}, {"final_norm": False}],
}


class Reference(unittest.TestCase):
    """The reference against other formulations, and the wrong variants against it (no CLI)."""

    def test_bert_block_equals_torch_encoder_layer(self):
        model = folder("bert")
        config = ref.load_config(model)
        W = ref.load_weights(model, config, torch.float64)
        h, heads = config["hidden_size"], config["num_attention_heads"]
        for i in range(config["num_hidden_layers"]):  # layer 1 has the legacy gamma/beta names
            p = f"encoder.layer.{i}."
            layer = torch.nn.TransformerEncoderLayer(h, heads, config["intermediate_size"], dropout=0.0,
                                                     activation="gelu", batch_first=True, norm_first=False,
                                                     layer_norm_eps=config["layer_norm_eps"]).double().eval()
            with torch.no_grad():
                sa = layer.self_attn
                sa.in_proj_weight.copy_(torch.cat([W[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]))
                sa.in_proj_bias.copy_(torch.cat([W[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]))
                sa.out_proj.weight.copy_(W[p + "attention.output.dense.weight"])
                sa.out_proj.bias.copy_(W[p + "attention.output.dense.bias"])
                layer.norm1.weight.copy_(W[p + "attention.output.LayerNorm.weight"])
                layer.norm1.bias.copy_(W[p + "attention.output.LayerNorm.bias"])
                layer.linear1.weight.copy_(W[p + "intermediate.dense.weight"])
                layer.linear1.bias.copy_(W[p + "intermediate.dense.bias"])
                layer.linear2.weight.copy_(W[p + "output.dense.weight"])
                layer.linear2.bias.copy_(W[p + "output.dense.bias"])
                layer.norm2.weight.copy_(W[p + "output.LayerNorm.weight"])
                layer.norm2.bias.copy_(W[p + "output.LayerNorm.bias"])
                x = torch.randn(7, h, generator=torch.Generator().manual_seed(i), dtype=torch.float64)
                want = layer(x.unsqueeze(0))[0]
                got = ref.bert_layer(x, W, p, heads, config["layer_norm_eps"], ref.gelu_erf)
            torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-10)
            # and the block is the step from one hidden state to the next
            ids = cases("wordpiece")[3]["ids"]
            states = ref.hidden_states(model, ids)
            with torch.no_grad():
                torch.testing.assert_close(layer(states[i].unsqueeze(0))[0], states[i + 1], atol=1e-10, rtol=1e-10)

    def test_rope_half_split_is_metas_complex_rope_on_permuted_rows(self):
        """transformers' rotate_half RoPE on rows permuted as its Llama conversion script permutes
        q/k (pair (2i, 2i+1) of Meta's layout -> (i, i + d/2)) equals Meta's original RoPE (complex
        multiplication of consecutive pairs); the 'interleaved' variant is Meta's on unpermuted rows."""
        heads, t, d, theta = 3, 11, 16, 1e6
        x = torch.randn(heads, t, d, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
        freqs = torch.outer(torch.arange(t, dtype=torch.float64),
                            1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
        meta = torch.view_as_real(torch.view_as_complex(x.reshape(heads, t, d // 2, 2).contiguous())
                                  * torch.polar(torch.ones_like(freqs), freqs)).reshape(heads, t, d)
        to_hf = [2 * i for i in range(d // 2)] + [2 * i + 1 for i in range(d // 2)]  # HF index j <- Meta index
        cos, sin = ref.rope_cos_sin(t, d, theta)
        torch.testing.assert_close(ref.apply_rope(x[..., to_hf], cos, sin, "half"), meta[..., to_hf], atol=1e-5, rtol=0)
        torch.testing.assert_close(ref.apply_rope(x, cos, sin, "interleaved"), meta, atol=1e-5, rtol=0)

    def test_llama_is_causal_and_encoders_are_not(self):
        ids = cases("sentencepiece")[0]["ids"]
        full = ref.hidden_states(folder("llama"), ids)
        prefix = ref.hidden_states(folder("llama"), ids[:5])
        for a, b in zip(full[:-1], prefix[:-1]):
            torch.testing.assert_close(a[:5], b, atol=1e-12, rtol=0)
        torch.testing.assert_close(full[-1][:5], prefix[-1], atol=1e-12, rtol=0)
        ids = cases("wordpiece")[3]["ids"]
        full = ref.hidden_states(folder("bert"), ids)
        prefix = ref.hidden_states(folder("bert"), ids[:5])
        self.assertGreater(float((full[1][:5] - prefix[1]).abs().max()), 1e-3)

    def test_reader_gives_the_rounded_weights_under_the_bare_names(self):
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import make_hf_fixtures as maker
        for kind, (config, tensors), prefix in (("bert", maker.bert_files(), ""),
                                                ("roberta", maker.roberta_files(), "roberta."),
                                                ("llama", maker.llama_files(), "model."),
                                                ("qwen2", maker.qwen2_files(), "model."),
                                                ("mistral", maker.mistral_files(), "model.")):
            with self.subTest(kind=kind):
                torch_dtype = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
                W = ref.load_weights(folder(kind), ref.load_config(folder(kind)), torch.float32)
                for name, (dtype, t) in tensors.items():
                    if dtype == "I64":
                        continue
                    bare = ref._legacy_name(name)[len(prefix):] if name.startswith(prefix) else ref._legacy_name(name)
                    self.assertIn(bare, W.tensors)
                    self.assertEqual(W.dtypes[bare], dtype)
                    want = t.to(torch_dtype[dtype]).float()
                    np.testing.assert_array_equal(W.tensors[bare], want.numpy(), err_msg=name)
                    if dtype != "F32":
                        self.assertTrue(bool((want != t).any()), f"{name}: rounding changed nothing")

    def test_each_wrong_variant_would_fail_the_comparison(self):
        for kind, tokenizer in KINDS.items():
            model = folder(kind)
            layers = ref.load_config(model)["num_hidden_layers"]
            rows = cases(tokenizer)
            right = reference_sets(model, rows, layers)
            for variant in WRONG_VARIANTS[kind]:
                with self.subTest(kind=kind, variant=variant):
                    wrong = reference_sets(model, rows, layers, **variant)
                    worst = max(float(np.abs(wrong[n] - right[n]).max()) for n in right)
                    self.assertGreater(worst, 1e-3)

    def test_hidden_states_are_of_order_one(self):
        for kind, tokenizer in KINDS.items():
            with self.subTest(kind=kind):
                states = ref.hidden_states(folder(kind), cases(tokenizer)[1]["ids"])
                self.assertEqual(len(states), ref.load_config(folder(kind))["num_hidden_layers"] + 1)
                for s in states:
                    self.assertLess(float(s.abs().max()), 10.0)
                    self.assertGreater(float(s.std()), 0.3)


class Folders(unittest.TestCase):
    """headbench-cli on the folders against the reference."""

    @classmethod
    def setUpClass(cls):
        make_fixtures()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.rows, cls.data, cls.out, cls.extract = {}, {}, {}, {}
        for kind, tokenizer in KINDS.items():
            texts = cases(tokenizer)
            assert len(texts) >= 5, f"only {len(texts)} usable {tokenizer} cases"
            assert len({len(c["ids"]) for c in texts}) >= 4, "the texts should differ in length"
            cls.data[kind] = os.path.join(cls.dir, f"{kind}.jsonl")
            cls.rows[kind] = write_dataset(cls.data[kind], texts)
            cls.out[kind] = os.path.join(cls.dir, f"{kind}.h5")
            # kept whatever its exit code: each kind's test reports its own failure
            cls.extract[kind] = subprocess.run(
                [clitest.CLI, "--threads", "2", "extract", "--dataset", cls.data[kind], "--backbone", folder(kind),
                 "--layers", "all", "--pooling", ",".join(POOLINGS), "--batch-size", "3", "--out", cls.out[kind],
                 "--json"], capture_output=True, text=True, encoding="utf-8")

    def extracted(self, kind):
        proc = self.extract[kind]
        if proc.returncode != 0:
            self.fail(f"extract --backbone {kind}: exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return json.loads(proc.stdout)

    def check_kind(self, kind):
        result = self.extracted(kind)
        model = folder(kind)
        config = ref.load_config(model)
        layers, hidden = config["num_hidden_layers"], config["hidden_size"]
        self.assertEqual(result["dim"], hidden)
        self.assertEqual(result["rows"], len(self.rows[kind]))
        got, attrs = features_by_row(self.out[kind])
        self.assertEqual(attrs["default_feature_set"], f"layer{layers}.mean")
        want = reference_sets(model, self.rows[kind], layers)
        self.assertEqual(sorted(got), sorted(want))
        for name in want:  # layer0.mean ... layer{n}.last
            with self.subTest(kind=kind, set=name):
                np.testing.assert_allclose(got[name], want[name], atol=TOLERANCE, rtol=TOLERANCE, err_msg=f"{kind} {name}")

    def test_bert_every_layer_and_pooling(self):
        self.check_kind("bert")

    def test_roberta_every_layer_and_pooling(self):
        self.check_kind("roberta")

    def test_llama_every_layer_and_pooling(self):
        self.check_kind("llama")

    def test_qwen2_every_layer_and_pooling(self):
        self.check_kind("qwen2")

    def test_mistral_every_layer_and_pooling(self):
        """Its sliding window (6) is shorter than the texts: tokens further back are not seen."""
        self.assertGreater(max(len(c["ids"]) for c in self.rows["mistral"]), 3 * 6)
        self.check_kind("mistral")

    def test_qwen2_with_a_sliding_window_is_refused_by_name(self):
        model = os.path.join(self.dir, "qwen2-sliding")
        shutil.copytree(folder("qwen2"), model)
        with open(os.path.join(model, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        config["use_sliding_window"] = True
        with open(os.path.join(model, "config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f)
        out = os.path.join(self.dir, "qwen2-sliding.h5")
        proc = run("extract", "--dataset", self.data["qwen2"], "--backbone", model, "--out", out, expect=2)
        self.assertIn("use_sliding_window", proc.stderr)
        self.assertIn(os.path.join(model, "config.json"), proc.stderr)
        self.assertFalse(os.path.exists(out))

    def test_tokenize_gives_the_fixture_ids(self):
        for kind, tokenizer in KINDS.items():
            with self.subTest(kind=kind):
                name = "tokenizer.model" if tokenizer == "sentencepiece" else "tokenizer.json"
                got = json.loads(run("tokenize", "--tokenizer", os.path.join(folder(kind), name), "--dataset",
                                     self.data[kind], "--json").stdout)
                self.assertEqual([r["ids"] for r in got["rows"]], [c["ids"] for c in self.rows[kind]])

    def test_batch_size_one_gives_the_same_features(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                self.extracted(kind)
                out = os.path.join(self.dir, f"{kind}-b1.h5")
                run("extract", "--dataset", self.data[kind], "--backbone", folder(kind), "--layers", "all",
                    "--pooling", ",".join(POOLINGS), "--batch-size", "1", "--out", out)
                one, _ = features_by_row(out)
                three, _ = features_by_row(self.out[kind])
                self.assertEqual(sorted(one), sorted(three))
                for name in three:
                    np.testing.assert_allclose(one[name], three[name], atol=1e-5, rtol=1e-5, err_msg=f"{kind} {name}")

    def test_explicit_tokenizer_overrides_the_folders(self):
        """The llama folder (SentencePiece, 420 ids) run with the WordPiece tokenizer.json (230 ids):
        the features are the reference's on WordPiece's ids."""
        rows = write_dataset(os.path.join(self.dir, "override.jsonl"), cases("wordpiece"))
        out = os.path.join(self.dir, "override.h5")
        run("extract", "--dataset", os.path.join(self.dir, "override.jsonl"), "--backbone", folder("llama"),
            "--tokenizer", os.path.join(TOKENIZERS, "wordpiece", "tokenizer.json"), "--layers", "all",
            "--pooling", ",".join(POOLINGS), "--batch-size", "3", "--out", out)
        got, _ = features_by_row(out)
        want = reference_sets(folder("llama"), rows, ref.load_config(folder("llama"))["num_hidden_layers"])
        for name in want:
            np.testing.assert_allclose(got[name], want[name], atol=TOLERANCE, rtol=TOLERANCE, err_msg=name)

    def test_slow_tokenizer_files_give_the_same_features(self):
        """The roberta and bert folders with tokenizer.json replaced by the slow files it was cut
        from (vocab.json + merges.txt + special_tokens_map.json + tokenizer_config.json; vocab.txt +
        tokenizer_config.json): the folder's tokenizer is found, and every feature set equals the
        tokenizer.json folder's. The recorded tokenizer_hash covers the config: changing it makes
        extract run again rather than reuse the file."""
        changes = {"roberta": ("bpe_slow", "vocab.json", {"add_prefix_space": True}),
                   "bert": ("wordpiece_slow", "vocab.txt", {"do_lower_case": False})}
        for kind, (slow, name, change) in changes.items():
            with self.subTest(kind=kind):
                fast = self.extracted(kind)
                model = os.path.join(self.dir, f"{kind}-slow")
                shutil.copytree(folder(kind), model)
                os.remove(os.path.join(model, "tokenizer.json"))
                for f in os.listdir(os.path.join(TOKENIZERS, slow)):
                    if f != "expected_hf.json":
                        shutil.copy(os.path.join(TOKENIZERS, slow, f), model)
                info = json.loads(run("inspect", model, "--json").stdout)
                self.assertEqual(os.path.basename(info["tokenizer"]), name)
                out = os.path.join(self.dir, f"{kind}-slow.h5")
                args = ["extract", "--dataset", self.data[kind], "--backbone", model, "--layers", "all", "--pooling",
                        ",".join(POOLINGS), "--batch-size", "3", "--out", out, "--json"]
                result = json.loads(run(*args).stdout)
                got, attrs = features_by_row(out)
                want, fast_attrs = features_by_row(self.out[kind])
                self.assertEqual(sorted(got), sorted(want))
                for set_name in want:
                    np.testing.assert_array_equal(got[set_name], want[set_name], err_msg=f"{kind} {set_name}")
                self.assertEqual(attrs["tokenizer_file"], name)
                self.assertEqual(attrs["tokenizer_kind"], fast_attrs["tokenizer_kind"])
                self.assertEqual(attrs["backbone_hash"], fast_attrs["backbone_hash"])
                self.assertTrue(result["attributes"]["tokenizer_hash"].startswith("files:"))
                self.assertNotEqual(result["attributes"]["tokenizer_hash"], fast["attributes"]["tokenizer_hash"])
                self.assertEqual(json.loads(run(*args).stdout)["status"], "reused")
                config_path = os.path.join(model, "tokenizer_config.json")
                with open(config_path, encoding="utf-8") as f:
                    config = json.load(f)
                config.update(change)
                with open(config_path, "w", encoding="utf-8") as f:
                    json.dump(config, f)
                again = json.loads(run(*args).stdout)
                self.assertEqual(again["status"], "extracted")
                self.assertNotEqual(again["attributes"]["tokenizer_hash"], result["attributes"]["tokenizer_hash"])
                changed, _ = features_by_row(out)
                self.assertGreater(max(float(np.abs(changed[n] - want[n]).max()) for n in want), 1e-3)

    def test_inspect_reports_the_model(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                info = json.loads(run("inspect", folder(kind), "--json").stdout)
                want = ref.summary(folder(kind))
                self.assertEqual({k: info.get(k) for k in want}, want)

    def test_broken_folders_are_refused(self):
        expected = {
            "no_config": ["config.json"],
            "unsupported_type": ["gpt2", "llama"],
            "missing_tensor": ["encoder.layer.1.output.dense.weight"],
            "misshaped_tensor": ["encoder.layer.0.attention.self.query.weight"],
            "truncated_shard": ["model-00002-of-00002.safetensors"],
            "missing_shard": ["model-00002-of-00002.safetensors"],
            "huge_header": ["model.safetensors", "header"],
            "header_not_json": ["model.safetensors", "JSON"],
        }
        broken = os.path.join(make_fixtures(), "broken")
        self.assertEqual(sorted(os.listdir(broken)), sorted(expected))
        data = self.data["bert"]
        for name, words in expected.items():
            with self.subTest(folder=name):
                out = os.path.join(self.dir, f"broken-{name}.h5")
                proc = run("extract", "--dataset", data, "--backbone", os.path.join(broken, name), "--out", out,
                           expect=2)
                for word in words:
                    self.assertIn(word, proc.stderr)
                for bad in ("Traceback", "terminate called", "std::", "what():"):
                    self.assertNotIn(bad, proc.stderr)
                self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    CLI, FIXTURES = clitest.arguments(2)
    FIXTURES = os.path.abspath(FIXTURES)
    unittest.main(verbosity=2)
