"""An independent reference for Hugging Face model folders (config.json + safetensors weights):
a safetensors reader of its own (plain Python + numpy, no safetensors package) and a forward
pass in plain PyTorch for model_type bert, roberta, llama, mistral and qwen2, written from the structure of
transformers' BertModel, RobertaModel and LlamaModel. It shares no code with the C++ reader.

    hidden_states(folder, ids, ...) -> list of [T, H] tensors (float64 by default)

gives, for ONE unpadded sequence of token ids, what transformers returns with
output_hidden_states=True: the embeddings output first, then one entry per layer; for Llama the
last entry is taken after the final RMSNorm. Encoders attend over all tokens, Llama is causal.
Weights stored as BF16/F16 are used as their rounded values widened to float32, then to the
computing dtype.

Keyword switches give deliberately wrong variants, so that a test can show it would notice them:
  swap_gelu=True         erf GELU <-> tanh-approximated GELU
  roberta_offset=False   RoBERTa positions counted from 0 instead of padding_idx + 1
  rope="interleaved"     Llama RoPE rotating pairs (2i, 2i+1) instead of halves (i, i + d/2)
  final_norm=False       Llama's last hidden state without the final RMSNorm
"""
import json
import math
import os
import struct

import numpy as np
import torch

# ------------------------------------------------------------------------ safetensors reading ---

_DTYPES = {  # safetensors dtype -> (numpy dtype of the raw little-endian items, bytes per item)
    "F64": ("<f8", 8), "F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2),
    "I64": ("<i8", 8), "I32": ("<i4", 4), "I16": ("<i2", 2), "I8": ("i1", 1), "U8": ("u1", 1), "BOOL": ("u1", 1),
}


class SafetensorsError(ValueError):
    pass


def read_safetensors(path):
    """{name: (dtype string, numpy array)} of one .safetensors file. Floating tensors come back as
    float32 (BF16 widened by shifting its 16 bits into the top of a float32), integers as int64.
    Checks what a careful reader must: header length within the file, JSON header, every tensor's
    byte range inside the data area and as long as its shape and dtype say."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SafetensorsError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise SafetensorsError(f"{path}: header of {n} bytes in a file of {len(blob)}")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not JSON ({e})")
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        if dtype not in _DTYPES:
            raise SafetensorsError(f"{path}: {name} has unsupported dtype {dtype}")
        np_dtype, size = _DTYPES[dtype]
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(v) for v in info["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        if not (0 <= begin <= end <= len(data)) or end - begin != count * size:
            raise SafetensorsError(f"{path}: {name} bytes [{begin}, {end}) do not fit its shape {shape} "
                                   f"{dtype} in {len(data)} data bytes")
        raw = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(shape)
        if dtype == "BF16":
            arr = (raw.astype(np.uint32) << 16).view(np.float32)
        elif dtype in ("F64", "F32", "F16"):
            arr = raw.astype(np.float32)
        else:
            arr = raw.astype(np.int64)
        out[name] = (dtype, arr)
    return out


def read_folder_weights(folder):
    """{name: (dtype, array)} of every tensor of a model folder: model.safetensors, or the shards a
    model.safetensors.index.json names (each shard read once)."""
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        out = {}
        for shard in sorted(set(weight_map.values())):
            tensors = read_safetensors(os.path.join(folder, shard))
            for name, value in tensors.items():
                if weight_map.get(name) == shard:
                    out[name] = value
        missing = set(weight_map) - set(out)
        if missing:
            raise SafetensorsError(f"{folder}: index names tensors its shards lack: {sorted(missing)[:3]}")
        return out
    return read_safetensors(os.path.join(folder, "model.safetensors"))


def _legacy_name(name):
    """Old TF-converted checkpoints call LayerNorm's parameters gamma/beta; transformers renames them."""
    if name.endswith(".gamma"):
        return name[:-len(".gamma")] + ".weight"
    if name.endswith(".beta"):
        return name[:-len(".beta")] + ".bias"
    return name


class Weights:
    """The model's tensors under the names of the bare model (bert: embeddings.*, encoder.*; llama:
    embed_tokens.*, layers.*, norm.*), the task-head prefix (roberta., bert., model.) taken off,
    legacy gamma/beta renamed. Remembers which tensors the forward read (`used`)."""

    def __init__(self, folder, prefix, dtype):
        self.dtypes = {}
        self.tensors = {}
        for name, (st_dtype, arr) in read_folder_weights(folder).items():
            name = _legacy_name(name)
            if prefix and name.startswith(prefix):
                name = name[len(prefix):]
            self.tensors[name] = arr
            self.dtypes[name] = st_dtype
        self.dtype = dtype
        self.used = set()

    def __getitem__(self, name):
        if name not in self.tensors:
            raise KeyError(f"missing tensor {name}")
        self.used.add(name)
        return torch.from_numpy(np.array(self.tensors[name], dtype=np.float32)).to(self.dtype)


def load_config(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def model_prefix(config, names):
    """The prefix in front of the bare model's tensor names in this folder ('' for a bare model)."""
    kind = config["model_type"]
    marker = {"bert": "embeddings.word_embeddings.weight", "roberta": "embeddings.word_embeddings.weight",
              "llama": "embed_tokens.weight", "mistral": "embed_tokens.weight", "qwen2": "embed_tokens.weight"}[kind]
    for prefix in ("", kind + ".", "model."):
        if prefix + marker in names:
            return prefix
    raise KeyError(f"no {marker} in the weights")


def load_weights(folder, config, dtype=torch.float64):
    raw_names = {_legacy_name(n) for n in read_folder_weights(folder)}
    return Weights(folder, model_prefix(config, raw_names), dtype)

# ------------------------------------------------------------------------------ activations ---


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def activation(name, swap_gelu=False):
    erf = {"gelu": True, "gelu_new": False, "gelu_pytorch_tanh": False, "gelu_fast": False}
    if name in erf:
        use_erf = erf[name] != swap_gelu
        return gelu_erf if use_erf else gelu_tanh
    if name in ("silu", "swish"):
        return lambda x: x * torch.sigmoid(x)
    if name == "relu":
        return torch.relu
    raise ValueError(f"activation {name} not in the reference")

# ------------------------------------------------------------------------------ BERT/RoBERTa ---


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased, as nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def linear(x, w, b=None):
    y = x @ w.t()
    return y if b is None else y + b


def bert_layer(x, W, p, heads, eps, act):
    """One post-LN encoder block of BertLayer on [T, H] (no mask: every token is real)."""
    t, h = x.shape
    d = h // heads

    def split(y):  # [T, H] -> [heads, T, d]
        return y.view(t, heads, d).transpose(0, 1)

    q = split(linear(x, W[p + "attention.self.query.weight"], W[p + "attention.self.query.bias"]))
    k = split(linear(x, W[p + "attention.self.key.weight"], W[p + "attention.self.key.bias"]))
    v = split(linear(x, W[p + "attention.self.value.weight"], W[p + "attention.self.value.bias"]))
    probs = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1)
    context = (probs @ v).transpose(0, 1).reshape(t, h)
    attn = linear(context, W[p + "attention.output.dense.weight"], W[p + "attention.output.dense.bias"])
    x = layer_norm(attn + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"], eps)
    inner = act(linear(x, W[p + "intermediate.dense.weight"], W[p + "intermediate.dense.bias"]))
    out = linear(inner, W[p + "output.dense.weight"], W[p + "output.dense.bias"])
    return layer_norm(out + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)


def roberta_positions(ids, padding_idx, offset=True):
    """create_position_ids_from_input_ids: non-padding tokens numbered from padding_idx + 1, padding
    tokens get padding_idx. With offset=False (the wrong variant) plain 0, 1, 2, ..."""
    if not offset:
        return torch.arange(len(ids))
    mask = (ids != padding_idx).long()
    return torch.cumsum(mask, 0) * mask + padding_idx


def encoder_states(config, W, ids, swap_gelu=False, roberta_offset=True):
    eps = config.get("layer_norm_eps", 1e-12)
    if config["model_type"] == "roberta":
        positions = roberta_positions(ids, config["pad_token_id"], roberta_offset)
    else:
        positions = torch.arange(len(ids))
    x = (W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][positions]
         + W["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)])
    x = layer_norm(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    act = activation(config["hidden_act"], swap_gelu)
    states = [x]
    for i in range(config["num_hidden_layers"]):
        x = bert_layer(x, W, f"encoder.layer.{i}.", config["num_attention_heads"], eps, act)
        states.append(x)
    return states

# ------------------------------------------------------------------------------------- Llama ---


def rms_norm(x, weight, eps):
    """LlamaRMSNorm: x / sqrt(mean(x^2) + eps), computed at least in float32, times the weight."""
    work = x.to(torch.float64) if x.dtype == torch.float64 else x.to(torch.float32)
    normed = work * torch.rsqrt(work.pow(2).mean(-1, keepdim=True) + eps)
    return weight * normed.to(x.dtype)


def rope_cos_sin(t, dim, theta):
    """cos and sin [T, dim] of LlamaRotaryEmbedding: inv_freq and the angles in float32 as there,
    each frequency written twice (cat(freqs, freqs))."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    freqs = torch.outer(torch.arange(t, dtype=torch.float32), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x, cos, sin, rope="half"):
    """x [heads, T, d]. 'half' as transformers (rotate_half); 'interleaved' rotates the pairs
    (2i, 2i+1) by frequency i instead (the wrong variant for HF Llama weights)."""
    cos = cos.to(x.dtype)
    sin = sin.to(x.dtype)
    if rope == "half":
        return x * cos + rotate_half(x) * sin
    if rope != "interleaved":
        raise ValueError(rope)
    d = x.shape[-1]
    c = cos[:, : d // 2]
    s = sin[:, : d // 2]
    even, odd = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = even * c - odd * s
    out[..., 1::2] = even * s + odd * c
    return out


def llama_attention(x, W, p, config, cos, sin, rope, qkv_bias=True, sliding_window=True):
    t, h = x.shape
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    d = config.get("head_dim") or h // heads
    # Qwen2Attention builds q_proj, k_proj and v_proj with bias=True and o_proj with bias=False;
    # Mistral's and (without attention_bias) Llama's have none.
    biased = qkv_bias and config["model_type"] == "qwen2"

    def project(name, n):
        b = W[p + f"self_attn.{name}.bias"] if biased else None
        return linear(x, W[p + f"self_attn.{name}.weight"], b).view(t, n, d).transpose(0, 1)

    q, k, v = project("q_proj", heads), project("k_proj", kv_heads), project("v_proj", kv_heads)
    q = apply_rope(q, cos, sin, rope)
    k = apply_rope(k, cos, sin, rope)
    # repeat_kv: query head j reads key/value head j // (heads / kv_heads)
    rep = heads // kv_heads
    k = k.repeat_interleave(rep, dim=0)
    v = v.repeat_interleave(rep, dim=0)
    scores = q @ k.transpose(1, 2) / math.sqrt(d)
    future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    window = config.get("sliding_window") if config["model_type"] == "mistral" and sliding_window else None
    if window:  # Mistral: query i sees keys j with i - window < j <= i
        i = torch.arange(t).view(t, 1)
        j = torch.arange(t).view(1, t)
        future = future | (j <= i - window)
    scores = scores.masked_fill(future, float("-inf"))
    context = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(t, heads * d)
    return linear(context, W[p + "self_attn.o_proj.weight"])


def llama_states(config, W, ids, rope="half", final_norm=True, qkv_bias=True, sliding_window=True):
    eps = config.get("rms_norm_eps", 1e-6)
    if config["model_type"] == "llama" and (config.get("attention_bias") or config.get("mlp_bias")):
        raise ValueError("the reference has no Llama biases")
    if config["model_type"] == "qwen2" and config.get("use_sliding_window"):
        raise ValueError("the reference has no Qwen2 sliding window")
    heads = config["num_attention_heads"]
    d = config.get("head_dim") or config["hidden_size"] // heads
    cos, sin = rope_cos_sin(len(ids), d, float(config.get("rope_theta", 10000.0)))
    act = activation(config["hidden_act"])
    x = W["embed_tokens.weight"][ids]
    states = [x]
    for i in range(config["num_hidden_layers"]):
        p = f"layers.{i}."
        x = x + llama_attention(rms_norm(x, W[p + "input_layernorm.weight"], eps), W, p, config, cos, sin, rope,
                                qkv_bias=qkv_bias, sliding_window=sliding_window)
        y = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        x = x + linear(act(linear(y, W[p + "mlp.gate_proj.weight"])) * linear(y, W[p + "mlp.up_proj.weight"]),
                       W[p + "mlp.down_proj.weight"])
        states.append(x)
    if final_norm:
        states[-1] = rms_norm(x, W["norm.weight"], eps)
    else:
        W["norm.weight"]  # read all the same, so `used` counts it
    return states

# -------------------------------------------------------------------------------------- API ---


_CACHE = {}


def _model(folder, dtype):
    key = (os.path.abspath(folder), dtype)
    if key not in _CACHE:
        config = load_config(folder)
        _CACHE[key] = (config, load_weights(folder, config, dtype))
    return _CACHE[key]


def hidden_states(folder, ids, swap_gelu=False, roberta_offset=True, rope="half", final_norm=True,
                  qkv_bias=True, sliding_window=True, dtype=torch.float64):
    """All hidden states [T, H] of one unpadded sequence `ids` (list or 1-D tensor), embeddings first."""
    config, W = _model(folder, dtype)
    ids = torch.as_tensor(ids, dtype=torch.long)
    with torch.no_grad():
        kind = config["model_type"]
        if kind in ("bert", "roberta"):
            return encoder_states(config, W, ids, swap_gelu=swap_gelu, roberta_offset=roberta_offset)
        if kind in ("llama", "mistral", "qwen2"):
            return llama_states(config, W, ids, rope=rope, final_norm=final_norm, qkv_bias=qkv_bias,
                                sliding_window=sliding_window)
    raise ValueError(f"model_type {kind} not in the reference")


def summary(folder):
    """What `inspect FOLDER` should say: model_type, layers, hidden_size, the parameters of the
    tensors the forward reads (no task heads, no integer buffers) and the stored float dtype."""
    config, W = _model(folder, torch.float32)
    hidden_states(folder, [0, 1, 2], dtype=torch.float32)  # marks the tensors the forward reads
    dtypes = {W.dtypes[n] for n in W.used}
    assert len(dtypes) == 1, dtypes
    return {"model_type": config["model_type"], "layers": config["num_hidden_layers"],
            "hidden_size": config["hidden_size"], "parameters": int(sum(W.tensors[n].size for n in W.used)),
            "dtype": dtypes.pop()}
