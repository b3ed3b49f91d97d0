#!/usr/bin/python3
"""Writes the small TorchScript backbones the tests load (random weights, CPU, a few KB each):

  bert_like.pt     encoder: token + position embeddings, 2 bidirectional transformer layers,
                   forward(input_ids, attention_mask) -> last hidden states [B, T, 32]
  decoder_like.pt  decoder: causal transformer layers, returns a tuple (hidden [B, T, 24], logits)
  dict_output.pt   returns {"last_hidden_state": [B, T, 16]} like a traced Hugging Face model
  lookup.pt        hidden = embedding(input_ids) only; lookup.f32 holds the table (1000 x 8,
                   row-major float32) so a test can compute each pooling directly
  broken_random.pt     random bytes
  broken_signature.pt  forward(input_ids) only
  broken_shape.pt      returns [B, H] instead of [B, T, H]
  tiny_vocab.pt        an embedding of 50 rows, too small for the test tokenizers
  all_hidden.pt        encoder returning all hidden states as a list [embeddings, layer 1, 2, 3]
                       of [B, T, 16] (transformers' output_hidden_states)
  all_hidden_nested.pt the same states inside a tuple (last [B, T, 16], pooled [B, 16], states)

Vocabularies hold 1000 ids, enough for the fixture tokenizers of tests/data/tokenizers.
Run: /usr/bin/python3 tools/make_test_backbones.py OUT_DIR

With --bench it writes only bench_encoder.pt, an encoder the size of MiniLM-L6 (hidden 384,
6 layers, 6 heads, feed-forward 1536; 11M parameters), for bench/run_benchmarks.py, and
bench_encoder_all.pt, the same size returning all 7 hidden states (extract --layers all).
"""
import math
import os
import sys
from typing import Dict, List, Tuple

import torch
from torch import nn

VOCAB = 1000


class Encoder(nn.Module):
    def __init__(self, vocab: int, hidden: int, layers: int, causal: bool, max_len: int = 1024, heads: int = 2,
                 ff: int = 0):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(max_len, hidden)
        self.norm = nn.LayerNorm(hidden)
        layer = nn.TransformerEncoderLayer(hidden, nhead=heads, dim_feedforward=ff or 2 * hidden, dropout=0.0,
                                           batch_first=True, activation="gelu")
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.causal = causal

    def hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        t = input_ids.size(1)
        positions = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.norm(self.word_embeddings(input_ids) + self.position_embeddings(positions))
        mask = torch.zeros(t, t)
        if self.causal:
            mask = torch.triu(torch.full((t, t), -math.inf), diagonal=1)
        return self.layers(x, mask=mask, src_key_padding_mask=attention_mask == 0)


class BertLike(Encoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.hidden(input_ids, attention_mask)


class DecoderLike(Encoder):
    def __init__(self):
        super().__init__(VOCAB, 24, 2, causal=True)
        self.lm_head = nn.Linear(24, VOCAB)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        h = self.hidden(input_ids, attention_mask)
        return h, self.lm_head(h)


class DictOutput(Encoder):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        return {"last_hidden_state": self.hidden(input_ids, attention_mask)}


class Lookup(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, 8)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.word_embeddings(input_ids)


class OneInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, 8)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.word_embeddings(input_ids)


class Pooled(Lookup):
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.word_embeddings(input_ids).mean(1)


class TinyVocab(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(50, 8)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.word_embeddings(input_ids)


class AllHidden(nn.Module):
    """Embeddings and three bidirectional layers; forward returns every hidden state."""

    def __init__(self, hidden: int = 16, layers: int = 3, heads: int = 2, ff: int = 0):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, hidden)
        self.position_embeddings = nn.Embedding(1024, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(hidden, nhead=heads, dim_feedforward=ff or 2 * hidden, dropout=0.0,
                                                                batch_first=True, activation="gelu")
                                     for _ in range(layers)])

    def states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> List[torch.Tensor]:
        positions = torch.arange(input_ids.size(1), device=input_ids.device).unsqueeze(0)
        x = self.norm(self.word_embeddings(input_ids) + self.position_embeddings(positions))
        out = [x]
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=attention_mask == 0)
            out.append(x)
        return out

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> List[torch.Tensor]:
        return self.states(input_ids, attention_mask)


class AllHiddenNested(AllHidden):
    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, List[torch.Tensor]]:
        s = self.states(input_ids, attention_mask)
        return s[-1], s[-1][:, 0], s


def save(module: nn.Module, path: str):
    module.eval()
    torch.jit.save(torch.jit.script(module), path)


def main():
    args = [a for a in sys.argv[1:] if a != "--bench"]
    out = args[0] if args else "."
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    if "--bench" in sys.argv:
        save(BertLike(VOCAB, 384, 6, causal=False, heads=6, ff=1536), os.path.join(out, "bench_encoder.pt"))
        print("wrote", os.path.join(out, "bench_encoder.pt"))
        save(AllHidden(384, 6, heads=6, ff=1536), os.path.join(out, "bench_encoder_all.pt"))
        print("wrote", os.path.join(out, "bench_encoder_all.pt"))
        return
    save(BertLike(VOCAB, 32, 2, causal=False), os.path.join(out, "bert_like.pt"))
    save(DecoderLike(), os.path.join(out, "decoder_like.pt"))
    save(DictOutput(VOCAB, 16, 1, causal=False), os.path.join(out, "dict_output.pt"))
    lookup = Lookup()
    with torch.no_grad():
        lookup.word_embeddings.weight.normal_()
        lookup.word_embeddings.weight[1] = 100.0  # the BPE pad id: pooling must never see it
        lookup.word_embeddings.weight[0] = torch.linspace(-3, 3, 8)  # [PAD] of WordPiece, <unk> of SentencePiece
    save(lookup, os.path.join(out, "lookup.pt"))
    lookup.word_embeddings.weight.detach().contiguous().numpy().astype("float32").tofile(os.path.join(out, "lookup.f32"))
    save(OneInput(), os.path.join(out, "broken_signature.pt"))
    save(Pooled(), os.path.join(out, "broken_shape.pt"))
    save(TinyVocab(), os.path.join(out, "tiny_vocab.pt"))
    save(AllHidden(), os.path.join(out, "all_hidden.pt"))
    save(AllHiddenNested(), os.path.join(out, "all_hidden_nested.pt"))
    with open(os.path.join(out, "broken_random.pt"), "wb") as f:
        f.write(os.urandom(4096))
    print("wrote test backbones to", out)


if __name__ == "__main__":
    main()
