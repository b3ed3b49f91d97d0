#!/usr/bin/python3
"""tools/export_backbone.py, run against a stand-in for the part of transformers' API it uses
(AutoConfig, AutoModel, AutoTokenizer: from_pretrained, a tokenizer call, save_pretrained,
get_encoder), since transformers and the model hubs are not on this machine. The stand-in's
models are small random transformers; its tokenizers ship the fixture files of
tests/data/tokenizers. What is checked is what a user of the script meets: the files it writes,
the extract command it prints (which is then run with headbench-cli), that the traced model
equals the original on new batch sizes and lengths, and that a failed export writes nothing.

Run: /usr/bin/python3 tests/export_backbone_test.py path/to/headbench-cli
"""
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "tools", "export_backbone.py")
TOKENIZERS = os.path.join(HERE, "data", "tokenizers")
CLI = None

# The stand-in package. Models are built from config.json with a fixed seed, so a test can
# rebuild the original and compare it with the exported trace.
STAND_IN = textwrap.dedent('''
    import json, os, shutil, types
    import torch
    from torch import nn

    def _config(folder):
        with open(os.path.join(folder, "config.json")) as f:
            return json.load(f)

    class AutoConfig:
        @staticmethod
        def from_pretrained(folder):
            c = _config(folder)
            return types.SimpleNamespace(model_type=c["model_type"], is_encoder_decoder=c.get("is_encoder_decoder", False),
                                         is_decoder=False)

    class Encoder(nn.Module):
        def __init__(self, c):
            super().__init__()
            torch.manual_seed(c.get("seed", 0))
            h = c["hidden"]
            self.embed = nn.Embedding(1000, h)
            self.pos = nn.Embedding(512, h)
            self.layer = nn.TransformerEncoderLayer(h, nhead=2, dim_feedforward=2 * h, dropout=0.0, batch_first=True)
            self.causal = c["model_type"] in ("llama", "gpt2")
            self.bakes_length = c.get("bakes_length", False)

        def forward(self, input_ids=None, attention_mask=None, return_dict=False, output_hidden_states=False):
            t = input_ids.size(1)
            x = self.embed(input_ids) + self.pos(torch.arange(t).unsqueeze(0))
            mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1) if self.causal else None
            h = self.layer(x, src_mask=mask, src_key_padding_mask=attention_mask == 0)
            if self.bakes_length:  # a Python number taken from a shape: the trace keeps it as a constant
                h = h * float(input_ids.shape[1])
            return types.SimpleNamespace(last_hidden_state=h, hidden_states=(x, h) if output_hidden_states else None)

    class EncoderDecoder(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.encoder = Encoder(c)

        def get_encoder(self):
            return self.encoder

        def forward(self, input_ids=None, attention_mask=None, decoder_input_ids=None, return_dict=False):
            if decoder_input_ids is None:
                raise ValueError("You have to specify either decoder_input_ids or decoder_inputs_embeds")
            return self.encoder(input_ids, attention_mask)

    class AutoModel:
        @staticmethod
        def from_pretrained(folder, torch_dtype=torch.float32, torchscript=False):
            c = _config(folder)
            model = EncoderDecoder(c) if c.get("is_encoder_decoder") else Encoder(c)
            return model.to(torch_dtype)

    class Tokenizer:
        def __init__(self, folder, c):
            self.folder = folder
            self.files = c["tokenizer_files"]
            self.pad_token_id = c.get("pad_token_id")
            self.bos = c.get("bos_token_id", 0)

        def _ids(self, text, max_length):
            ids = [self.bos] + [50 + ord(ch) % 900 for ch in text]
            return ids[:max_length] if max_length else ids

        def __call__(self, text, padding=False, truncation=False, max_length=None, return_tensors=None):
            if padding and self.pad_token_id is None:
                raise ValueError("Asking to pad but the tokenizer does not have a padding token.")
            if isinstance(text, str):
                return {"input_ids": self._ids(text, max_length if truncation else None)}
            rows = [self._ids(t, max_length if truncation else None) for t in text]
            if len({len(r) for r in rows}) > 1 and not padding:
                raise ValueError("Unable to create tensor, you should probably activate padding")
            width = max(len(r) for r in rows)
            ids = [r + [self.pad_token_id] * (width - len(r)) for r in rows]
            mask = [[1] * len(r) + [0] * (width - len(r)) for r in rows]
            return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}

        def save_pretrained(self, out):
            os.makedirs(out, exist_ok=True)
            for name in self.files:
                shutil.copy(os.path.join(self.folder, name), os.path.join(out, name))
            with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
                f.write("{}")

    class AutoTokenizer:
        @staticmethod
        def from_pretrained(folder):
            return Tokenizer(folder, _config(folder))
''')


def rebuild(folder):
    """The stand-in's original (eager) model for a model folder."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(folder)))
    try:
        import transformers
        return transformers.AutoModel.from_pretrained(folder)
    finally:
        sys.path.pop(0)


class ExportBackbone(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        cls.site = os.path.join(cls.dir, "site")
        os.makedirs(os.path.join(cls.site, "transformers"))
        with open(os.path.join(cls.site, "transformers", "__init__.py"), "w") as f:
            f.write(STAND_IN)
        cls.dataset = os.path.join(cls.dir, "data.jsonl")
        with open(cls.dataset, "w") as f:
            for i in range(24):
                body = "strcpy(buf, s);" if i % 2 else "strncpy(buf, s, sizeof buf - 1);"
                f.write(json.dumps({"idx": i, "func": f"void f{i}(const char *s) {{\n\tchar buf[{8 + i}];\n\t{body}\n}}",
                                    "target": i % 2}) + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def model_folder(self, name, config, tokenizer_files):
        folder = os.path.join(self.site, "models", name)
        os.makedirs(folder)
        for kind, file in tokenizer_files:
            shutil.copy(os.path.join(TOKENIZERS, kind, file), os.path.join(folder, file))
        config["tokenizer_files"] = [file for _, file in tokenizer_files]
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f)
        return folder

    def export(self, folder, out, *extra, expect=0):
        env = dict(os.environ, PYTHONPATH=self.site)
        proc = subprocess.run([sys.executable, SCRIPT, folder, "--out", out, *extra], capture_output=True, text=True,
                              env=env)
        self.assertEqual(proc.returncode, expect, proc.stdout + proc.stderr)
        return proc

    def run_printed_command(self, stdout, features):
        """Runs the extract command the script printed, with headbench-cli, on a small dataset."""
        line = [l for l in stdout.splitlines() if l.startswith("headbench-cli extract")][0]
        args = shlex.split(line)[1:]
        args[args.index("DATA.jsonl")] = self.dataset
        args[args.index("features.h5")] = features
        proc = subprocess.run([CLI, "--threads", "2", *args], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return args

    def assert_trace_matches_original(self, folder, model_path, dtype=torch.float32):
        original = rebuild(folder).to(dtype).eval()
        if hasattr(original, "get_encoder"):
            original = original.get_encoder()
        traced = torch.jit.load(model_path)
        gen = torch.Generator().manual_seed(3)
        for batch, length in ((1, 1), (5, 37), (2, 130)):
            ids = torch.randint(2, 1000, (batch, length), generator=gen)
            mask = torch.ones(batch, length, dtype=torch.long)
            mask[0, length // 2 + 1:] = 0  # one padded row
            with torch.no_grad():
                want = original(input_ids=ids, attention_mask=mask).last_hidden_state
                got = traced(ids, mask)
            self.assertEqual(tuple(got.shape), (batch, length, want.shape[-1]))
            keep = mask.bool()
            torch.testing.assert_close(got[keep].float(), want[keep].float(), rtol=1e-3, atol=1e-3)

    def test_encoder_with_bpe_tokenizer(self):
        folder = self.model_folder("codebert-like", {"model_type": "roberta", "hidden": 48, "pad_token_id": 1},
                                   [("bpe", "tokenizer.json")])
        out = os.path.join(self.dir, "out-encoder")
        proc = self.export(folder, out)
        self.assertEqual(sorted(os.listdir(out)), ["model.pt", "tokenizer.json"])
        with open(os.path.join(TOKENIZERS, "bpe", "tokenizer.json"), "rb") as a, \
                open(os.path.join(out, "tokenizer.json"), "rb") as b:
            self.assertEqual(a.read(), b.read(), "the tokenizer file is written as the hub ships it")
        self.assertIn("hidden size 48", proc.stdout)
        self.assert_trace_matches_original(folder, os.path.join(out, "model.pt"))
        features = os.path.join(self.dir, "encoder.h5")
        args = self.run_printed_command(proc.stdout, features)
        self.assertEqual(args[args.index("--pooling") + 1], "mean")
        with h5py.File(features, "r") as f:
            x = f["features"][:]
            self.assertEqual(x.shape, (24, 48))
            self.assertTrue(np.isfinite(x).all())
            self.assertEqual(f.attrs["pooling"], "mean")
            self.assertEqual(f.attrs["tokenizer_kind"], "bpe")

    def test_llama_like_decoder_without_a_padding_token(self):
        # Llama's tokenizers have no padding token, and ship tokenizer.json and tokenizer.model.
        folder = self.model_folder("codellama-like", {"model_type": "llama", "hidden": 32, "bos_token_id": 1},
                                   [("bpe", "tokenizer.json"), ("sentencepiece", "tokenizer.model")])
        out = os.path.join(self.dir, "out-decoder")
        proc = self.export(folder, out)
        self.assertEqual(sorted(os.listdir(out)), ["model.pt", "tokenizer.json", "tokenizer.model"])
        self.assert_trace_matches_original(folder, os.path.join(out, "model.pt"))
        features = os.path.join(self.dir, "decoder.h5")
        args = self.run_printed_command(proc.stdout, features)
        self.assertEqual(args[args.index("--pooling") + 1], "last")
        self.assertTrue(args[args.index("--tokenizer") + 1].endswith("tokenizer.model"))
        with h5py.File(features, "r") as f:
            self.assertEqual(f["features"].shape, (24, 32))
            self.assertEqual(f.attrs["tokenizer_kind"], "sentencepiece")

    def test_all_hidden_states(self):
        folder = self.model_folder("all-states", {"model_type": "roberta", "hidden": 16, "pad_token_id": 1},
                                   [("bpe", "tokenizer.json")])
        out = os.path.join(self.dir, "out-all")
        proc = self.export(folder, out, "--all-hidden-states")
        self.assertIn("2 hidden states", proc.stdout)
        original = rebuild(folder).eval()
        traced = torch.jit.load(os.path.join(out, "model.pt"))
        ids = torch.randint(2, 1000, (3, 21), generator=torch.Generator().manual_seed(5))
        mask = torch.ones(3, 21, dtype=torch.long)
        with torch.no_grad():
            want = original(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
            got = traced(ids, mask)
        self.assertEqual(len(got), 2)
        for w, g in zip(want, got):
            torch.testing.assert_close(g, w, rtol=1e-3, atol=1e-3)
        features = os.path.join(self.dir, "all.h5")
        args = self.run_printed_command(proc.stdout, features)
        self.assertEqual(args[args.index("--layers") + 1], "all")
        with h5py.File(features, "r") as f:
            self.assertEqual(sorted(f["feature_sets"].keys()), ["layer0.mean", "layer1.mean"])
            self.assertEqual(f.attrs["default_feature_set"], "layer1.mean")

    def test_encoder_decoder_exports_its_encoder(self):
        folder = self.model_folder("codet5-like", {"model_type": "t5", "hidden": 16, "is_encoder_decoder": True,
                                                   "pad_token_id": 0}, [("wordpiece", "tokenizer.json")])
        out = os.path.join(self.dir, "out-t5")
        proc = self.export(folder, out)
        self.assert_trace_matches_original(folder, os.path.join(out, "model.pt"))
        self.run_printed_command(proc.stdout, os.path.join(self.dir, "t5.h5"))

    def test_bfloat16_weights_give_float32_features(self):
        folder = self.model_folder("bf16", {"model_type": "roberta", "hidden": 16, "pad_token_id": 1},
                                   [("bpe", "tokenizer.json")])
        out = os.path.join(self.dir, "out-bf16")
        proc = self.export(folder, out, "--dtype", "bfloat16")
        features = os.path.join(self.dir, "bf16.h5")
        self.run_printed_command(proc.stdout, features)
        with h5py.File(features, "r") as f:
            self.assertEqual(f["features"].dtype, np.float32)
            self.assertTrue(np.isfinite(f["features"][:]).all())

    def test_a_trace_that_does_not_generalise_writes_nothing(self):
        folder = self.model_folder("bakes-length", {"model_type": "roberta", "hidden": 16, "pad_token_id": 1,
                                                    "bakes_length": True}, [("bpe", "tokenizer.json")])
        out = os.path.join(self.dir, "out-broken")
        proc = self.export(folder, out, expect=1)
        self.assertIn("does not reproduce the original", proc.stderr)
        self.assertEqual(os.listdir(out), [], "no model.pt, tokenizer or work folder is left behind")


if __name__ == "__main__":
    CLI = sys.argv.pop(1)
    unittest.main(verbosity=2)
