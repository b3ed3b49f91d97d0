#!/usr/bin/python3
"""Makes the tokenizer fixtures of tests/data/tokenizers: three small tokenizers trained on C
code written here (a byte-level BPE tokenizer.json in the RoBERTa/CodeBERT layout, a WordPiece
tokenizer.json in the BERT-uncased layout, a SentencePiece BPE model with byte fallback as in
Llama), and for each the ids expected for tricky inputs.

The expected ids are worked out by the rules written out below, independently of HeadBench's
C++: GPT-2's regex (python3-regex) and its merge loop for BPE, unicodedata for BERT's
normaliser, greedy longest-match for WordPiece, and the sentencepiece library itself.

Its BERT normaliser is not exact: it turns U+000B, U+000C and U+0085 into spaces, deletes
unassigned code points and uses Python's context-aware lower(); none of the cases below touch
those rules. The reference for them is the real Hugging Face library:
tools/make_tokenizer_fixtures_hf.js writes expected_hf.json beside expected.json.

Needs Debian's python3-regex and python3-sentencepiece. Run: /usr/bin/python3 tools/make_tokenizer_fixtures.py
"""
import collections
import json
import os
import unicodedata

import regex

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "tokenizers")

CORPUS = [
    "int copy_name(char *dst, const char *src) {\n    char buf[16];\n    strcpy(buf, src);\n    return 0;\n}",
    "static int parse_header(const unsigned char *data, size_t len)\n{\n\tif (data == NULL)\n\t\treturn -1;\n\tfor (size_t i = 0; i <= len; i++)\n\t\tsum += data[i];\n\treturn sum;\n}",
    "void log_message(const char *msg) {\n  printf(msg);\n  fprintf(stderr, \"%s\\n\", msg);\n}",
    "struct node *node = malloc(sizeof(*node));\nif (!node) return NULL;\nfree(node);\nnode->next = head;",
    "size_t total = count * sizeof(struct item);\nitems = (struct item *)malloc(total);\nmemcpy(items, src, total);",
    "// don't read past the end: it's the caller's buffer\nwhile (n-- > 0) { *out++ = *in++; }",
    "#include <stdio.h>\n#include <string.h>\n\nint main(int argc, char **argv) {\n    char buffer[256];\n    snprintf(buffer, sizeof buffer, \"%s\", argv[1]);\n    puts(buffer);\n    return 0;\n}",
    "uint32_t hash = 2166136261u;\nfor (int k = 0; k < 64; ++k) hash = (hash ^ key[k]) * 16777619u;",
    "if (ptr != NULL && length > 0) {\n        result = process_packet(ptr, length, &state);\n    } else {\n        result = ERR_INVALID_ARGUMENT;\n    }",
    "/* Résumé: naïve café code, ünïcödé comments — 日本語 */\nchar *s = \"héllo wörld\";",
]
CORPUS = CORPUS * 3 + [c.replace("    ", "\t") for c in CORPUS]

CASES = [
    ("empty", "", 0),
    ("simple", "int main(void) { return 0; }", 0),
    ("unicode", "printf(\"h\u00e9llo w\u00f6rld \u2013 \u00fcn\u00efc\u00f6d\u00e9 \u2713 \u65e5\u672c\u8a9e\");", 0),
    ("whitespace_runs", "a    =  b;\n\n\n    return   x ;   ", 0),
    ("tabs_newlines", "if (x)\n\t{\n\t\tfree(p);\n\t}\r\n", 0),
    ("long_identifier", "this_is_a_very_long_identifier_" * 12 + "end = 1;", 0),
    ("contractions", "// don't use it, it's 'broken' we'll see, they've I'm", 0),
    ("numbers", "x = 0x7fffffff + 12345678901234567890;", 0),
    ("emoji", "// \U0001F642 done \u00a0 nbsp", 0),
    ("control_chars", "a\u0000b\u0007c\u200bd", 0),
    ("combining_accents", "cafe\u0301 Cafe\u0301 \u00c9COLE", 0),
    ("leading_space", "   leading and trailing   ", 0),
    ("truncated", "static int parse_header(const unsigned char *data, size_t len) { return len; }", 8),
    ("truncated_tiny", "while (n-- > 0) { *out++ = *in++; }", 3),
]

# ---------------------------------------------------------------- byte-level BPE (RoBERTa) ---

GPT2_PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table, n = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


BYTE_CHARS = bytes_to_unicode()


def byte_words(text):
    return ["".join(BYTE_CHARS[b] for b in w.encode("utf-8")) for w in GPT2_PATTERN.findall(text)]


def train_bpe(n_merges):
    counts = collections.Counter()
    for text in CORPUS:
        counts.update(byte_words(text))
    words = {w: list(w) for w in counts}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in counts.items():
            s = words[w]
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])
        merges.append(best)
        for w in words:
            words[w] = merge_pair(words[w], best)
    return merges


def merge_pair(parts, pair):
    """Every occurrence of `pair`, left to right, becomes one symbol."""
    out, i = [], 0
    while i < len(parts):
        if i + 1 < len(parts) and (parts[i], parts[i + 1]) == pair:
            out.append(parts[i] + parts[i + 1])
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return out


def gpt2_bpe(word, ranks):
    """The merge loop of GPT-2's encoder: merge every occurrence of the lowest-ranked pair."""
    parts = list(word)
    while len(parts) > 1:
        pairs = {(a, b) for a, b in zip(parts, parts[1:])}
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        parts = merge_pair(parts, best)
    return parts


def make_bpe():
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {t: i for i, t in enumerate(specials)}
    for b in range(256):
        vocab[BYTE_CHARS[b]] = len(vocab)
    merges = train_bpe(400)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    mask_id = len(vocab)
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, t in enumerate(specials)]
    added.append({"id": mask_id, "content": "<mask>", "single_word": False, "lstrip": True, "rstrip": False,
                  "normalized": False, "special": True})
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }
    ranks = {m: i for i, m in enumerate(merges)}
    added_ids = {t["content"]: t for t in added}

    def encode(text, max_length):
        body = []
        # Added tokens written in the text are matched first (longest first); <mask> also
        # swallows the whitespace before it (lstrip).
        pattern = regex.compile("|".join(regex.escape(t) for t in sorted(added_ids, key=len, reverse=True)))
        pos = 0
        segments = []
        for m in pattern.finditer(text):
            seg = text[pos:m.start()]
            if added_ids[m.group()]["lstrip"]:
                seg = seg.rstrip()
            segments.append(seg)
            segments.append(added_ids[m.group()]["id"])
            pos = m.end()
        segments.append(text[pos:])
        for seg in segments:
            if isinstance(seg, int):
                body.append(seg)
                continue
            for w in byte_words(seg):
                body.extend(vocab[p] for p in gpt2_bpe(w, ranks))
        if max_length:
            body = body[: max_length - 2]
        return [0] + body + [2]

    cases = CASES + [("added_tokens_in_text", "a <mask> b </s><s>c", 0)]
    return doc, [{"name": n, "text": t, "max_length": m, "ids": encode(t, m)} for n, t, m in cases]

# ------------------------------------------------------------------ WordPiece (BERT uncased) ---


def bert_normalize(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        if ch in "\t\n\r" or ch.isspace() or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch).startswith("C"):
            continue
        else:
            out.append(ch)
    text = "".join(out)
    text = "".join(" " + ch + " " if 0x4E00 <= ord(ch) <= 0x9FFF or 0x3400 <= ord(ch) <= 0x4DBF else ch for ch in text)
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return text.lower()


def is_bert_punct(ch):
    cp = ord(ch)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or unicodedata.category(ch).startswith("P")


def bert_pretokenize(text):
    words, cur = [], ""
    for ch in text:
        if ch.isspace():
            if cur:
                words.append(cur)
            cur = ""
        elif is_bert_punct(ch):
            if cur:
                words.append(cur)
            words.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    return words


def make_wordpiece():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {t: i for i, t in enumerate(specials)}
    words = collections.Counter()
    for text in CORPUS:
        words.update(bert_pretokenize(bert_normalize(text)))
    chars = sorted({ch for w in words for ch in w})
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    for ch in chars:
        vocab.setdefault("##" + ch, len(vocab))
    for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:150]:
        vocab.setdefault(w, len(vocab))
    for piece in ["##s", "##ing", "##er", "##ed", "##_", "##name", "##len", "##ptr", "##ode", "##ult", "##ize", "is", "long", "very", "##ident", "##ifier"]:
        vocab.setdefault(piece, len(vocab))
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in specials]
    doc = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [vocab["[CLS]"]], "tokens": ["[CLS]"]},
                                              "[SEP]": {"id": "[SEP]", "ids": [vocab["[SEP]"]], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }

    def wordpiece(word):
        if len(word) > 100:
            return [vocab["[UNK]"]]
        out, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while end > start:
                piece = ("##" if start else "") + word[start:end]
                if piece in vocab:
                    found = vocab[piece]
                    break
                end -= 1
            if found is None:
                return [vocab["[UNK]"]]
            out.append(found)
            start = end
        return out

    def encode(text, max_length):
        body = []
        pattern = regex.compile("|".join(regex.escape(t) for t in specials))
        pos = 0
        for m in list(pattern.finditer(text)) + [None]:
            seg = text[pos:m.start()] if m else text[pos:]
            for w in bert_pretokenize(bert_normalize(seg)):
                body.extend(wordpiece(w))
            if m:
                body.append(vocab[m.group()])
                pos = m.end()
        if max_length:
            body = body[: max_length - 2]
        return [vocab["[CLS]"]] + body + [vocab["[SEP]"]]

    cases = CASES + [("added_tokens_in_text", "x [MASK] y[SEP]", 0), ("unknown_chars", "\u0416\u0417 \u03bb", 0)]
    return doc, [{"name": n, "text": t, "max_length": m, "ids": encode(t, m)} for n, t, m in cases]

# ------------------------------------------------------------- SentencePiece (Llama style) ---


def make_sentencepiece(folder):
    import sentencepiece as spm
    corpus_path = os.path.join(folder, "corpus.txt.tmp")
    with open(corpus_path, "w", encoding="utf-8") as f:
        for text in CORPUS:
            for line in text.split("\n"):
                if line.strip():
                    f.write(line + "\n")
    prefix = os.path.join(folder, "tokenizer")
    spm.SentencePieceTrainer.train(input=corpus_path, model_prefix=prefix, vocab_size=420, model_type="bpe",
                                   byte_fallback=True, character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2,
                                   pad_id=-1, split_digits=True, allow_whitespace_only_pieces=True,
                                   remove_extra_whitespaces=False, normalization_rule_name="identity",
                                   minloglevel=2)
    os.remove(corpus_path)
    os.remove(prefix + ".vocab")
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")

    def encode(text, max_length):
        ids = [sp.bos_id()] + sp.encode(text)
        return ids[:max_length] if max_length else ids

    return [{"name": n, "text": t, "max_length": m, "ids": encode(t, m)} for n, t, m in CASES]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    for name in ("bpe", "wordpiece", "sentencepiece"):
        os.makedirs(os.path.join(OUT, name), exist_ok=True)
    doc, cases = make_bpe()
    write_json(os.path.join(OUT, "bpe", "tokenizer.json"), doc)
    write_json(os.path.join(OUT, "bpe", "expected.json"), {"cases": cases})
    doc, cases = make_wordpiece()
    write_json(os.path.join(OUT, "wordpiece", "tokenizer.json"), doc)
    write_json(os.path.join(OUT, "wordpiece", "expected.json"), {"cases": cases})
    cases = make_sentencepiece(os.path.join(OUT, "sentencepiece"))
    write_json(os.path.join(OUT, "sentencepiece", "expected.json"), {"cases": cases})
    print("wrote", OUT)


if __name__ == "__main__":
    main()
