#!/usr/bin/python3
"""Writes tiny Hugging Face model folders (config.json, safetensors weights, tokenizer) with seeded
random weights, for the tests of headbench-cli's folder backbones (tests/cli_hf_folders.py):

  bert/      BertModel names without prefix, F32, one model.safetensors; hidden 32, 2 layers,
             4 heads, gelu (erf); an I64 embeddings.position_ids buffer and a pooler (both unused);
             encoder layer 1's LayerNorms under the legacy names LayerNorm.gamma / LayerNorm.beta.
             Tokenizer: tests/data/tokenizers/wordpiece/tokenizer.json.
  roberta/   RobertaForMaskedLM (roberta.* plus an unused lm_head.*), BF16, sharded into
             model-0000{1,2}-of-00002.safetensors with model.safetensors.index.json; hidden 48,
             3 layers, gelu_new (tanh), pad_token_id 1. Tokenizer: tests/data/tokenizers/bpe.
  llama/     LlamaForCausalLM (model.* plus an unused lm_head.weight), F16, one model.safetensors;
             hidden 64, 2 layers, 4 heads over 2 key/value heads, silu, rope_theta 1e6, vocabulary
             the size of tests/data/tokenizers/sentencepiece/tokenizer.model (copied in).
  qwen2/     Qwen2ForCausalLM with tied embeddings (no lm_head), BF16; hidden 48, 2 layers, 6 heads
             over 2 key/value heads, biases on the q, k and v projections (none on o), silu;
             vocabulary 610, for tests/data/tokenizers/bpe.
  mistral/   MistralForCausalLM, F32; hidden 32, 3 layers, 4 heads over 1 key/value head,
             sliding_window 6 (shorter than the test texts, so that the window shows), for
             tests/data/tokenizers/sentencepiece.
  broken/X/  folders with one problem each: no_config, unsupported_type (gpt2), missing_tensor,
             misshaped_tensor, truncated_shard, missing_shard, huge_header, header_not_json.

The safetensors files are written here byte by byte (no safetensors package): an 8-byte
little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__"}
padded with spaces to a multiple of 8, then the raw little-endian tensor bytes (in the library's
order: widest dtype first, then by name; the header's keys sorted by name).
Run: /usr/bin/python3 tools/make_hf_fixtures.py OUT_DIR
"""
import json
import math
import os
import shutil
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZERS = os.path.join(HERE, "..", "tests", "data", "tokenizers")

# ------------------------------------------------------------------------------ safetensors ---

_ITEM_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}


def tensor_bytes(dtype, t):
    """The little-endian bytes of tensor t stored as dtype (floats rounded to nearest even)."""
    if dtype == "F32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.to(torch.float16).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    if dtype == "I64":
        return t.to(torch.int64).numpy().astype("<i8").tobytes()
    raise ValueError(dtype)


def safetensors_blob(tensors):
    """The bytes of a .safetensors file holding tensors {name: (dtype, tensor)}."""
    order = sorted(tensors, key=lambda n: (-_ITEM_SIZE[tensors[n][0]], n))
    header, chunks, offset = {}, [], 0
    for name in order:
        dtype, t = tensors[name]
        raw = tensor_bytes(dtype, t)
        shape = list(t.shape)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    ordered = {"__metadata__": {"format": "pt"}}
    ordered.update((name, header[name]) for name in sorted(header))
    text = json.dumps(ordered, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_safetensors(path, tensors):
    with open(path, "wb") as f:
        f.write(safetensors_blob(tensors))


def data_bytes(tensors):
    return sum(len(tensor_bytes(d, t)) for d, t in tensors.values())

# --------------------------------------------------------------------------------- weights ---


class Random:
    """Seeded weights: a linear layer's weight with std gain / sqrt(fan_in), so that its output has
    about `gain` times its input's scale; norms near 1; small biases."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, std=1.0):
        return torch.randn(*shape, generator=self.g) * std

    def linear(self, out, inp, gain=1.0):
        return self.normal(out, inp, std=gain / math.sqrt(inp))

    def bias(self, n):
        return self.normal(n, std=0.1)

    def norm_weight(self, n):
        return 1.0 + self.normal(n, std=0.1)


def sentencepiece_size(path):
    """Pieces in a SentencePiece model: sentencepiece's own count when it is installed, else the
    number of top-level field-1 (repeated SentencePiece) records of the ModelProto protobuf."""
    try:
        import sentencepiece
        return sentencepiece.SentencePieceProcessor(model_file=path).get_piece_size()
    except ImportError:
        pass
    with open(path, "rb") as f:
        blob = f.read()

    def varint(i):
        value = shift = 0
        while True:
            byte = blob[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, i

    i = count = 0
    while i < len(blob):
        key, i = varint(i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            length, i = varint(i)
            i += length
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"{path}: wire type {wire} in a SentencePiece model")
        count += field == 1
    return count


def bert_config(kind):
    if kind == "bert":
        return {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 32, "num_hidden_layers": 2,
                "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
                "max_position_embeddings": 128, "type_vocab_size": 2, "vocab_size": 240, "pad_token_id": 0,
                "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
                "position_embedding_type": "absolute", "torch_dtype": "float32", "transformers_version": "4.40.0"}
    return {"architectures": ["RobertaForMaskedLM"], "model_type": "roberta", "hidden_size": 48, "num_hidden_layers": 3,
            "num_attention_heads": 4, "intermediate_size": 96, "hidden_act": "gelu_new", "layer_norm_eps": 1e-5,
            "max_position_embeddings": 130, "type_vocab_size": 1, "vocab_size": 610, "pad_token_id": 1,
            "bos_token_id": 0, "eos_token_id": 2, "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02, "position_embedding_type": "absolute", "torch_dtype": "bfloat16",
            "transformers_version": "4.40.0"}


def bert_tensors(config, seed, legacy_layer=None):
    """{name: tensor} of a BertModel/RobertaModel without prefix; legacy_layer's LayerNorms are
    named gamma/beta."""
    r = Random(seed)
    h, f = config["hidden_size"], config["intermediate_size"]
    t = {
        "embeddings.word_embeddings.weight": r.normal(config["vocab_size"], h, std=0.7),
        "embeddings.position_embeddings.weight": r.normal(config["max_position_embeddings"], h, std=0.7),
        "embeddings.token_type_embeddings.weight": r.normal(config["type_vocab_size"], h, std=0.7),
        "embeddings.LayerNorm.weight": r.norm_weight(h),
        "embeddings.LayerNorm.bias": r.bias(h),
    }
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name, gain in (("query", 2.0), ("key", 2.0), ("value", 1.0)):
            t[p + f"attention.self.{name}.weight"] = r.linear(h, h, gain)
            t[p + f"attention.self.{name}.bias"] = r.bias(h)
        t[p + "attention.output.dense.weight"] = r.linear(h, h)
        t[p + "attention.output.dense.bias"] = r.bias(h)
        # The feed-forward's inputs mostly lie in [-4, 0], where erf GELU and its tanh approximation
        # differ most relative to their values (up to 5e-4), and a strong output projection carries
        # that into the hidden states: with the wrong GELU they move by more than 1e-2, not 1e-4.
        t[p + "intermediate.dense.weight"] = r.linear(f, h, 1.5)
        t[p + "intermediate.dense.bias"] = r.normal(f, std=0.5) - 2.0
        t[p + "output.dense.weight"] = r.linear(h, f, 5.0)
        t[p + "output.dense.bias"] = r.bias(h)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            w, b = ("gamma", "beta") if i == legacy_layer else ("weight", "bias")
            t[p + f"{norm}.{w}"] = r.norm_weight(h)
            t[p + f"{norm}.{b}"] = r.bias(h)
    return t


def bert_files(seed=1):
    """config and {name: (dtype, tensor)} of the bert folder."""
    config = bert_config("bert")
    t = {n: ("F32", v) for n, v in bert_tensors(config, seed, legacy_layer=1).items()}
    r = Random(seed + 100)
    t["embeddings.position_ids"] = ("I64", torch.arange(config["max_position_embeddings"]).unsqueeze(0))
    t["pooler.dense.weight"] = ("F32", r.linear(32, 32))
    t["pooler.dense.bias"] = ("F32", r.bias(32))
    return config, t


def roberta_files(seed=2):
    config = bert_config("roberta")
    t = {"roberta." + n: ("BF16", v) for n, v in bert_tensors(config, seed).items()}
    r = Random(seed + 100)
    h = config["hidden_size"]
    t["lm_head.dense.weight"] = ("BF16", r.linear(h, h))
    t["lm_head.dense.bias"] = ("BF16", r.bias(h))
    t["lm_head.layer_norm.weight"] = ("BF16", r.norm_weight(h))
    t["lm_head.layer_norm.bias"] = ("BF16", r.bias(h))
    t["lm_head.bias"] = ("BF16", r.bias(config["vocab_size"]))
    return config, t


def llama_files(seed=3):
    vocab = sentencepiece_size(os.path.join(TOKENIZERS, "sentencepiece", "tokenizer.model"))
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 96, "hidden_act": "silu",
              "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None, "attention_bias": False,
              "attention_dropout": 0.0, "mlp_bias": False, "max_position_embeddings": 512, "vocab_size": vocab,
              "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": False, "pretraining_tp": 1,
              "initializer_range": 0.02, "use_cache": True, "torch_dtype": "float16", "transformers_version": "4.40.0"}
    return config, decoder_files(config, seed, "F16")


def decoder_files(config, seed, dtype, prefix="model.", qkv_bias=False, lm_head=True):
    """A llama-family decoder's tensors (llama, mistral, qwen2 share their names)."""
    r = Random(seed)
    h, f, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    d = h // heads
    t = {prefix + "embed_tokens.weight": r.normal(vocab, h, std=1.0)}
    for i in range(config["num_hidden_layers"]):
        p = f"{prefix}layers.{i}."
        t[p + "input_layernorm.weight"] = r.norm_weight(h)
        t[p + "self_attn.q_proj.weight"] = r.linear(heads * d, h, 1.5)
        t[p + "self_attn.k_proj.weight"] = r.linear(kv * d, h, 1.5)
        t[p + "self_attn.v_proj.weight"] = r.linear(kv * d, h)
        if qkv_bias:  # large enough to matter next to the products
            t[p + "self_attn.q_proj.bias"] = r.normal(heads * d, std=0.5)
            t[p + "self_attn.k_proj.bias"] = r.normal(kv * d, std=0.5)
            t[p + "self_attn.v_proj.bias"] = r.normal(kv * d, std=0.5)
        t[p + "self_attn.o_proj.weight"] = r.linear(h, heads * d)
        t[p + "post_attention_layernorm.weight"] = r.norm_weight(h)
        t[p + "mlp.gate_proj.weight"] = r.linear(f, h, 1.5)
        t[p + "mlp.up_proj.weight"] = r.linear(f, h)
        t[p + "mlp.down_proj.weight"] = r.linear(h, f)
    t[prefix + "norm.weight"] = r.norm_weight(h)
    if lm_head:
        t["lm_head.weight"] = r.linear(vocab, h)
    return {n: (dtype, v) for n, v in t.items()}


def qwen2_files(seed=4):
    config = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 48, "num_hidden_layers": 2,
              "num_attention_heads": 6, "num_key_value_heads": 2, "intermediate_size": 80, "hidden_act": "silu",
              "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_scaling": None, "attention_dropout": 0.0,
              "max_position_embeddings": 32768, "max_window_layers": 2, "use_sliding_window": False,
              "sliding_window": 32768, "vocab_size": 610, "bos_token_id": 0, "eos_token_id": 2,
              "tie_word_embeddings": True, "torch_dtype": "bfloat16", "transformers_version": "4.43.1"}
    return config, decoder_files(config, seed, "BF16", qkv_bias=True, lm_head=False)


def mistral_files(seed=5):
    vocab = sentencepiece_size(os.path.join(TOKENIZERS, "sentencepiece", "tokenizer.model"))
    config = {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 32, "num_hidden_layers": 3,
              "num_attention_heads": 4, "num_key_value_heads": 1, "intermediate_size": 64, "hidden_act": "silu",
              "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "sliding_window": 6, "attention_dropout": 0.0,
              "max_position_embeddings": 4096, "vocab_size": vocab, "bos_token_id": 1, "eos_token_id": 2,
              "tie_word_embeddings": False, "torch_dtype": "float32", "transformers_version": "4.40.0"}
    return config, decoder_files(config, seed, "F32")

# ---------------------------------------------------------------------------------- folders ---


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def copy_tokenizer(kind, folder):
    name = "tokenizer.model" if kind == "sentencepiece" else "tokenizer.json"
    shutil.copy(os.path.join(TOKENIZERS, kind, name), os.path.join(folder, name))


def single_folder(folder, config, tensors, tokenizer):
    os.makedirs(folder, exist_ok=True)
    if config is not None:
        write_json(os.path.join(folder, "config.json"), config)
    write_safetensors(os.path.join(folder, "model.safetensors"), tensors)
    copy_tokenizer(tokenizer, folder)


def sharded_folder(folder, config, tensors, tokenizer):
    """Two shards split about half-way by bytes (names in order), and their index."""
    os.makedirs(folder, exist_ok=True)
    write_json(os.path.join(folder, "config.json"), config)
    names = sorted(tensors)
    total = data_bytes(tensors)
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    shards, weight_map, running = ({}, {}), {}, 0
    for name in names:
        k = 0 if running < total / 2 else 1
        shards[k][name] = tensors[name]
        weight_map[name] = files[k]
        running += data_bytes({name: tensors[name]})
    for k in range(2):
        write_safetensors(os.path.join(folder, files[k]), shards[k])
    write_json(os.path.join(folder, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": weight_map})
    copy_tokenizer(tokenizer, folder)


def broken_folders(root):
    config, tensors = bert_files()
    single_folder(os.path.join(root, "no_config"), None, tensors, "wordpiece")

    gpt2 = {"architectures": ["GPT2Model"], "model_type": "gpt2", "n_embd": 32, "n_layer": 1, "n_head": 4,
            "n_positions": 64, "vocab_size": 610}
    r = Random(9)
    single_folder(os.path.join(root, "unsupported_type"), gpt2,
                  {"wte.weight": ("F32", r.normal(610, 32)), "wpe.weight": ("F32", r.normal(64, 32))}, "bpe")

    missing = dict(tensors)
    del missing["encoder.layer.1.output.dense.weight"]
    single_folder(os.path.join(root, "missing_tensor"), config, missing, "wordpiece")

    misshaped = dict(tensors)
    misshaped["encoder.layer.0.attention.self.query.weight"] = ("F32", Random(10).linear(32, 16))
    single_folder(os.path.join(root, "misshaped_tensor"), config, misshaped, "wordpiece")

    rconfig, rtensors = roberta_files()
    folder = os.path.join(root, "truncated_shard")
    sharded_folder(folder, rconfig, rtensors, "bpe")
    shard = os.path.join(folder, "model-00002-of-00002.safetensors")
    with open(shard, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    with open(shard, "wb") as f:  # the header whole, half the data bytes
        f.write(blob[:8 + n + (len(blob) - 8 - n) // 2])

    folder = os.path.join(root, "missing_shard")
    sharded_folder(folder, rconfig, rtensors, "bpe")
    os.remove(os.path.join(folder, "model-00002-of-00002.safetensors"))

    folder = os.path.join(root, "huge_header")
    single_folder(folder, config, tensors, "wordpiece")
    with open(os.path.join(folder, "model.safetensors"), "r+b") as f:
        f.write(struct.pack("<Q", 1 << 40))

    folder = os.path.join(root, "header_not_json")
    single_folder(folder, config, tensors, "wordpiece")
    path = os.path.join(folder, "model.safetensors")
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    text = b"this header is not JSON at all: {["
    text += b"#" * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + blob[8 + n:])


def main(out):
    for name in ("bert", "roberta", "llama", "qwen2", "mistral", "broken"):  # a rerun leaves nothing of the last one behind
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    config, tensors = bert_files()
    single_folder(os.path.join(out, "bert"), config, tensors, "wordpiece")
    config, tensors = roberta_files()
    sharded_folder(os.path.join(out, "roberta"), config, tensors, "bpe")
    config, tensors = llama_files()
    single_folder(os.path.join(out, "llama"), config, tensors, "sentencepiece")
    config, tensors = qwen2_files()
    single_folder(os.path.join(out, "qwen2"), config, tensors, "bpe")
    config, tensors = mistral_files()
    single_folder(os.path.join(out, "mistral"), config, tensors, "sentencepiece")
    broken_folders(os.path.join(out, "broken"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    main(sys.argv[1])
