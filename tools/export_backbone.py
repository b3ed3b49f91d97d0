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
"""
import argparse
import os
import shutil
import sys

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="Hugging Face model id or local folder")
    parser.add_argument("--out", required=True, help="folder to write model.pt and the tokenizer file into")
    parser.add_argument("--max-length", type=int, default=512, help="length of the example input used for tracing")
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32",
                        help="weights' type (HeadBench converts the hidden states to float32)")
    args = parser.parse_args()

    from transformers import AutoConfig, AutoModel, AutoTokenizer

    config = AutoConfig.from_pretrained(args.model)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model, torch_dtype=getattr(torch, args.dtype), torchscript=False)
    if getattr(config, "is_encoder_decoder", False):
        model = model.get_encoder()
    model.eval()

    os.makedirs(args.out, exist_ok=True)
    # Two texts of different lengths, padded: the trace must not bake in a batch size or length.
    sample = tokenizer(["int main(void) { return 0; }", "x"], padding=True, truncation=True,
                       max_length=args.max_length, return_tensors="pt")
    wrapped = LastHiddenState(model).eval()
    with torch.no_grad():
        traced = torch.jit.trace(wrapped, (sample["input_ids"], sample["attention_mask"]), strict=False,
                                 check_trace=False)
        # Check on another shape that the trace generalises.
        other = tokenizer(["static int f(int a) { return a * 2; }"] * 3, return_tensors="pt")
        expected = wrapped(other["input_ids"], other["attention_mask"])
        got = traced(other["input_ids"], other["attention_mask"])
        if not torch.allclose(expected.float(), got.float(), atol=1e-3):
            sys.exit("the traced model does not reproduce the original on a new input shape; not saved")
    model_path = os.path.join(args.out, "model.pt")
    traced.save(model_path)

    # tokenizer.json for fast tokenizers (BPE, WordPiece); the SentencePiece model for Llama's.
    tmp = os.path.join(args.out, "tokenizer-files")
    tokenizer.save_pretrained(tmp)
    written = []
    for name in ("tokenizer.json", "tokenizer.model"):
        if os.path.exists(os.path.join(tmp, name)):
            shutil.copy(os.path.join(tmp, name), os.path.join(args.out, name))
            written.append(name)
    shutil.rmtree(tmp)
    if not written:
        sys.exit("the tokenizer has neither tokenizer.json nor tokenizer.model; HeadBench cannot read it")
    # For Llama-style models both exist; SentencePiece's model is the one HeadBench prefers.
    decoder = config.model_type in DECODER_TYPES or getattr(config, "is_decoder", False)
    chosen = "tokenizer.model" if "tokenizer.model" in written and config.model_type in ("llama", "code_llama") else written[0]
    print(f"wrote {model_path} (hidden size {got.shape[-1]}) and {os.path.join(args.out, chosen)}")
    print(f"headbench-cli extract --dataset DATA.jsonl --backbone {model_path} "
          f"--tokenizer {os.path.join(args.out, chosen)} --pooling {'last' if decoder else 'mean'} --out features.h5")


if __name__ == "__main__":
    main()
