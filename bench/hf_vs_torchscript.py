#!/usr/bin/python3
"""A Hugging Face folder against the same model exported to TorchScript, both run by
`headbench-cli extract --layers all` on the same texts and threads: wall time, the ratio, peak
memory, and how far the two agree.

    /usr/bin/python3 bench/hf_vs_torchscript.py [--build build] [--threads 2] [--n 400]

Speed: a BERT the size of MiniLM-L12 (hidden 384, 12 layers, 12 heads, feed-forward 1536,
random weights, the WordPiece test tokenizer), F32 safetensors vs torch.jit.trace of a batched
module with the same weights, on --n texts (the Juliet functions of ../shared/data when present,
else the built-in demo), --max-length 256, batches of 16.
Memory: a BERT-base-sized folder (hidden 768, 12 layers; 85 M parameters, 340 MB in float32)
stored as F32 and as BF16: peak resident memory of an extraction of 8 short texts, less the
peak of the same extraction with a 2-layer, 32-wide folder (the process without the weights),
over the float32 weights' size.
"""
import argparse
import json
import lzma
import math
import os
import re
import subprocess
import sys
import time

import h5py
import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from make_hf_fixtures import write_safetensors  # noqa: E402

TOKENIZER = os.path.join(HERE, "..", "tests", "data", "tokenizers", "wordpiece", "tokenizer.json")
VOCAB = 240


def bert_weights(hidden, layers, ff, seed):
    g = torch.Generator().manual_seed(seed)
    def r(*shape, scale=0.05):
        return torch.randn(*shape, generator=g) * scale
    w = {"embeddings.word_embeddings.weight": r(VOCAB, hidden), "embeddings.position_embeddings.weight": r(512, hidden),
         "embeddings.token_type_embeddings.weight": r(2, hidden),
         "embeddings.LayerNorm.weight": 1 + r(hidden), "embeddings.LayerNorm.bias": r(hidden)}
    for l in range(layers):
        p = f"encoder.layer.{l}."
        for n in ("query", "key", "value"):
            w[p + f"attention.self.{n}.weight"] = r(hidden, hidden)
            w[p + f"attention.self.{n}.bias"] = r(hidden)
        w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"] = r(hidden, hidden), r(hidden)
        w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"] = 1 + r(hidden), r(hidden)
        w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"] = r(ff, hidden), r(ff)
        w[p + "output.dense.weight"], w[p + "output.dense.bias"] = r(hidden, ff), r(hidden)
        w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"] = 1 + r(hidden), r(hidden)
    return w


def write_folder(folder, hidden, layers, heads, ff, dtype, seed=0):
    os.makedirs(folder, exist_ok=True)
    w = bert_weights(hidden, layers, ff, seed)
    config = {"model_type": "bert", "architectures": ["BertModel"], "hidden_size": hidden, "num_hidden_layers": layers,
              "num_attention_heads": heads, "intermediate_size": ff, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
              "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": VOCAB, "pad_token_id": 0}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)
    write_safetensors(os.path.join(folder, "model.safetensors"), {n: (dtype, t) for n, t in w.items()})
    return w, config


class BatchedBert(nn.Module):
    """BERT with every hidden state for padded batches, for the TorchScript side."""

    def __init__(self, w, config):
        super().__init__()
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]
        self.layers = config["num_hidden_layers"]
        self.hidden = config["hidden_size"]
        for n, t in w.items():
            self.register_buffer(n.replace(".", "_"), t.clone())

    def t(self, name: str) -> torch.Tensor:
        return getattr(self, name.replace(".", "_"))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor):
        b, n = ids.shape
        h, d = self.hidden, self.hidden // self.heads
        x = (self.t("embeddings.word_embeddings.weight")[ids] + self.t("embeddings.position_embeddings.weight")[:n]
             + self.t("embeddings.token_type_embeddings.weight")[0])
        x = nn.functional.layer_norm(x, (h,), self.t("embeddings.LayerNorm.weight"), self.t("embeddings.LayerNorm.bias"), self.eps)
        add = (1.0 - mask.to(x.dtype)).view(b, 1, 1, n) * torch.finfo(x.dtype).min
        states = [x]
        for l in range(self.layers):
            p = f"encoder.layer.{l}."
            def lin(v, name):
                return nn.functional.linear(v, self.t(p + name + ".weight"), self.t(p + name + ".bias"))
            q = lin(x, "attention.self.query").view(b, n, self.heads, d).transpose(1, 2)
            k = lin(x, "attention.self.key").view(b, n, self.heads, d).transpose(1, 2)
            v = lin(x, "attention.self.value").view(b, n, self.heads, d).transpose(1, 2)
            a = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d) + add, -1) @ v
            a = a.transpose(1, 2).reshape(b, n, h)
            x = nn.functional.layer_norm(lin(a, "attention.output.dense") + x, (h,), self.t(p + "attention.output.LayerNorm.weight"),
                                         self.t(p + "attention.output.LayerNorm.bias"), self.eps)
            i = nn.functional.gelu(lin(x, "intermediate.dense"))
            x = nn.functional.layer_norm(lin(i, "output.dense") + x, (h,), self.t(p + "output.LayerNorm.weight"),
                                         self.t(p + "output.LayerNorm.bias"), self.eps)
            states.append(x)
        return tuple(states)


def texts(n):
    juliet = os.path.join(HERE, "..", "..", "shared", "data", "juliet_sample_10k.jsonl.xz")
    if os.path.exists(juliet):
        with lzma.open(juliet, "rt") as f:
            rows = [json.loads(line) for _, line in zip(range(n), f)]
        return [r["func"] for r in rows], "Juliet functions"
    return None, "demo functions"


def run(cmd):
    """Wall time and peak resident memory (MB) of a command that must succeed. The peak is
    /usr/bin/time's: a child forked from this (large) Python process would inherit its high-water
    mark."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return seconds, kb / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--workdir", default="/tmp/headbench-hf-bench")
    a = ap.parse_args()
    cli = os.path.join(a.build, "app", "cli", "headbench-cli")
    os.makedirs(a.workdir, exist_ok=True)
    data = os.path.join(a.workdir, "data.jsonl")
    funcs, source = texts(a.n)
    if funcs is None:
        subprocess.run([cli, "demo", "--out", a.workdir, "--n", str(a.n)], check=True, capture_output=True)
        os.replace(os.path.join(a.workdir, "demo.jsonl"), data)
    else:
        with open(data, "w") as f:
            for i, t in enumerate(funcs):
                f.write(json.dumps({"func": t, "target": i % 2, "idx": str(i)}) + "\n")

    # Speed: the same MiniLM-L12-sized weights both ways.
    folder = os.path.join(a.workdir, "minilm")
    w, config = write_folder(folder, 384, 12, 12, 1536, "F32")
    with open(os.path.join(folder, "tokenizer.json"), "wb") as f, open(TOKENIZER, "rb") as src:
        f.write(src.read())
    ts = os.path.join(a.workdir, "minilm.pt")
    module = BatchedBert(w, config).eval()
    ids = torch.randint(0, VOCAB, (2, 7))
    with torch.no_grad():
        torch.jit.save(torch.jit.trace(module, (ids, torch.ones_like(ids))), ts)
    common = ["--dataset", data, "--layers", "all", "--pooling", "mean", "--max-length", "256", "--batch-size", "16"]
    rows = []
    for label, backbone in (("HF folder", ["--backbone", folder]), ("TorchScript", ["--backbone", ts, "--tokenizer", TOKENIZER])):
        out = os.path.join(a.workdir, label.replace(" ", "_") + ".h5")
        best = None
        for _ in range(2):
            if os.path.exists(out):
                os.remove(out)
            seconds, rss = run([cli, "--threads", str(a.threads), "extract", *common, *backbone, "--out", out])
            best = min(best or (seconds, rss), (seconds, rss))
        rows.append((label, *best, out))
    with h5py.File(rows[0][3]) as f, h5py.File(rows[1][3]) as g:
        diff = max(float(np.abs(f["feature_sets"][k][()] - g["feature_sets"][k][()]).max()) for k in f["feature_sets"])
    print(f"speed: {a.n} {source}, --max-length 256, batches of 16, {a.threads} threads, MiniLM-L12-sized BERT (21 M parameters)")
    for label, seconds, rss, _ in rows:
        print(f"  {label:12} {seconds:7.1f} s   peak {rss:7.0f} MB")
    print(f"  TorchScript / HF folder time: {rows[1][1] / rows[0][1]:.2f}x; largest difference between their features {diff:.2e}")

    # Memory: BERT-base-sized weights, F32 and BF16, against a tiny folder's baseline.
    few = os.path.join(a.workdir, "few.jsonl")
    with open(data) as src, open(few, "w") as f:
        for _, line in zip(range(8), src):
            f.write(line)
    tiny = os.path.join(a.workdir, "tiny")
    write_folder(tiny, 32, 2, 4, 64, "F32")
    base = os.path.join(a.workdir, "base_f32")
    w, _ = write_folder(base, 768, 12, 12, 3072, "F32")
    weights_mb = sum(t.numel() for t in w.values()) * 4 / 2**20
    del w
    base16 = os.path.join(a.workdir, "base_bf16")
    write_folder(base16, 768, 12, 12, 3072, "BF16")
    mem = ["extract", "--dataset", few, "--tokenizer", TOKENIZER, "--max-length", "64", "--layers", "all"]
    _, tiny_rss = run([cli, "--threads", str(a.threads), *mem, "--backbone", tiny, "--out", os.path.join(a.workdir, "m0.h5")])
    print(f"memory: BERT-base-sized folder, float32 weights {weights_mb:.0f} MB; process without them (tiny folder) {tiny_rss:.0f} MB")
    for label, path in (("F32", base), ("BF16", base16)):
        out = os.path.join(a.workdir, f"m_{label}.h5")
        if os.path.exists(out):
            os.remove(out)
        _, rss = run([cli, "--threads", str(a.threads), *mem, "--backbone", path, "--out", out])
        print(f"  {label:5} stored: peak {rss:6.0f} MB, {rss - tiny_rss:6.0f} MB above the baseline = "
              f"{(rss - tiny_rss) / weights_mb:.2f}x the float32 weights")


if __name__ == "__main__":
    main()
