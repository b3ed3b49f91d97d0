#!/usr/bin/env python3
"""Exports a Hugging Face model as a HeadBench backbone: a TorchScript file whose forward takes
(input_ids, attention_mask) and returns the last hidden states [B, T, H], plus the tokenizer file
HeadBench reads (tokenizer.json, or tokenizer.model for SentencePiece models such as CodeLlama).

Needs Python with torch and transformers (and network access or a local model folder):

    python3 tools/export_backbone.py microsoft/codebert-base --out backbones/codebert
    python3 tools/export_backbone.py ./my-local-unixcoder --out backbones/unixcoder --max-length 512
    python3 tools/export_backbone.py codellama/CodeLlama-7b-hf --out backbones/codellama --dtype bfloat16

then:

    headbench-cli extract --dataset data.jsonl --backbone backbones/codebert/model.pt \\
        --tokenizer backbones/codebert/tokenizer.json --pooling mean --out features.h5

Use --pooling last for decoder-only models (CodeLlama, StarCoder): their last token has seen the
whole text. Encoder-decoder models (CodeT5) export their encoder.

With --all-hidden-states the model returns every hidden state (a tuple of [B, T, H], the
embeddings first, as transformers' output_hidden_states gives them), and one extraction can
pool any layers at once:

    headbench-cli extract ... --layers all --pooling mean,cls --out features.h5
"""
import argparse
import os
import shutil
import sys
import tempfile

import torch

DECODER_TYPES = {"llama", "code_llama", "mistral", "gpt2", "gpt_bigcode", "gpt_neox", "codegen", "qwen2", "starcoder2"}


class LastHiddenState(torch.nn.Module):
    """Wraps a transformers model so forward returns a plain tensor, which TorchScript traces."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
        return out.last_hidden_state


class AllHiddenStates(torch.nn.Module):
    """Wraps a transformers model so forward returns the tuple of all hidden states."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True, return_dict=True)
        return tuple(out.hidden_states)


def same(expected, got):
    """Whether a trace's output (a tensor or a tuple of them) equals the original's."""
    if isinstance(expected, torch.Tensor):
        expected, got = (expected,), (got,)
    if len(expected) != len(got):
        return False
    return all(e.shape == g.shape and torch.allclose(e.float(), g.float(), atol=1e-3) for e, g in zip(expected, got))


def batch(tokenizer, texts, max_length):
    """input_ids and attention_mask for texts, right-padded by hand: Llama's tokenizers have no
    padding token, and HeadBench pads on the right whatever the tokenizer would do."""
    rows = [tokenizer(t, truncation=True, max_length=max_length)["input_ids"] for t in texts]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], dtype=torch.long)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], dtype=torch.long)
    return ids, mask


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="Hugging Face model id or local folder")
    parser.add_argument("--out", required=True, help="folder to write model.pt and the tokenizer file into")
    parser.add_argument("--max-length", type=int, default=512, help="length of the example input used for tracing")
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                        help="weights' type (HeadBench runs on the CPU and converts the hidden states to float32)")
    parser.add_argument("--all-hidden-states", action="store_true",
                        help="return every hidden state (embeddings first), for extract --layers")
    args = parser.parse_args()

    from transformers import AutoConfig, AutoModel, AutoTokenizer

    config = AutoConfig.from_pretrained(args.model)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, torch_dtype=getattr(torch, args.dtype), torchscript=False)
    if getattr(config, "is_encoder_decoder", False):
        model = model.get_encoder()
    model.eval()

    os.makedirs(args.out, exist_ok=True)
    # Everything is written to a hidden folder first and moved into place only once the trace
    # has been checked: a failed export leaves no model.pt or tokenizer file behind.
    work = tempfile.mkdtemp(prefix=".export-", dir=args.out)
    try:
        # The tokenizer's files exactly as the hub ships them: tokenizer.json for fast tokenizers
        # (BPE, WordPiece), the SentencePiece model for Llama's.
        tokenizer.save_pretrained(os.path.join(work, "tokenizer"))
        written = [n for n in ("tokenizer.json", "tokenizer.model") if os.path.exists(os.path.join(work, "tokenizer", n))]
        if not written:
            sys.exit("the tokenizer has neither tokenizer.json nor tokenizer.model; HeadBench cannot read it")

        # Two texts of different lengths, padded: the trace must not bake in a batch size or length.
        sample = batch(tokenizer, ["int main(void) { return 0; }", "x"], args.max_length)
        wrapped = (AllHiddenStates(model) if args.all_hidden_states else LastHiddenState(model)).eval()
        with torch.no_grad():
            traced = torch.jit.trace(wrapped, sample, strict=False, check_trace=False)
            # Check on another batch size and length that the trace generalises.
            other = batch(tokenizer, ["static int f(int a) { return a * 2; }"] * 3, args.max_length)
            expected = wrapped(*other)
            got = traced(*other)
            if not same(expected, got):
                sys.exit("the traced model does not reproduce the original on a new input shape; nothing written")
        traced.save(os.path.join(work, "model.pt"))
        for name in written:
            os.replace(os.path.join(work, "tokenizer", name), os.path.join(args.out, name))
        model_path = os.path.join(args.out, "model.pt")
        os.replace(os.path.join(work, "model.pt"), model_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # For Llama-style models both exist; SentencePiece's model is the one HeadBench prefers.
    decoder = config.model_type in DECODER_TYPES or getattr(config, "is_decoder", False)
    chosen = "tokenizer.model" if "tokenizer.model" in written and config.model_type in ("llama", "code_llama") else written[0]
    last = got[-1] if isinstance(got, tuple) else got
    states = f", {len(got)} hidden states" if isinstance(got, tuple) else ""
    print(f"wrote {model_path} (hidden size {last.shape[-1]}{states}) and {os.path.join(args.out, chosen)}")
    layers = "--layers all " if args.all_hidden_states else ""
    print(f"headbench-cli extract --dataset DATA.jsonl --backbone {model_path} "
          f"--tokenizer {os.path.join(args.out, chosen)} {layers}--pooling {'last' if decoder else 'mean'} --out features.h5")


if __name__ == "__main__":
    main()
