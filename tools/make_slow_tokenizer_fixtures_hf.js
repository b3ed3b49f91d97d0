#!/usr/bin/env node
// Makes tests/data/tokenizers/{bpe_slow,wordpiece_slow}/: the "slow" tokenizer files Hugging Face
// folders ship without a tokenizer.json, cut from the fixture tokenizer.json files, and the ids
// the real Hugging Face `tokenizers` library (its Rust core, through the npm binding
// @anush008/tokenizers) gives when it reads those slow files itself:
//
//   bpe_slow/        vocab.json, merges.txt ("#version: 0.2" header), special_tokens_map.json,
//                    tokenizer_config.json of tests/data/tokenizers/bpe/tokenizer.json (RoBERTa's
//                    layout; <mask> is left out of vocab.json, so it gets the next id, 604).
//                    Reference: BPE.fromFile(vocab.json, merges.txt) with the ByteLevel
//                    pre-tokenizer (add_prefix_space of tokenizer_config.json), RobertaProcessing
//                    and the special tokens added as RobertaTokenizerFast adds them.
//   wordpiece_slow/  vocab.txt (one token a line, the line number its id), tokenizer_config.json
//                    of tests/data/tokenizers/wordpiece/tokenizer.json. Reference:
//                    WordPiece.fromFile(vocab.txt) with BertNormalizer (do_lower_case,
//                    strip_accents, tokenize_chinese_chars), BertPreTokenizer, BertProcessing.
//
// expected_hf.json in each holds `cases` (the texts and max_length of ../{bpe,wordpiece}/
// expected_hf.json, with the library's ids, tokens and n_tokens under the stored
// tokenizer_config.json) and `variants`: other tokenizer_config.json contents (add_prefix_space;
// cased, accents kept, Chinese characters not split) with their own cases, for a test to write
// over a copy of the folder. The script checks that the stored configuration gives exactly the
// ids of ../{bpe,wordpiece}/expected_hf.json (the fast tokenizer.json the files came from).
//
// Node is needed only to remake the fixtures, never at test time (the output is committed).
// Run:  (cd /tmp/hf && npm install @anush008/tokenizers)
//       NODE_PATH=/tmp/hf/node_modules node tools/make_slow_tokenizer_fixtures_hf.js
'use strict';
const fs = require('fs');
const path = require('path');
const hf = require('@anush008/tokenizers');

const DATA = path.join(__dirname, '..', 'tests', 'data', 'tokenizers');

// Indented JSON with arrays of numbers kept on one line (the id lists).
function writeJson(file, value, indent) {
    const text = JSON.stringify(value, null, indent).replace(/\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]/g,
                                                             (_, list) => '[' + list.split(/,\s*/).join(',') + ']');
    fs.writeFileSync(file, text + '\n');
}

function byId(vocab) {
    return Object.entries(vocab).sort((a, b) => a[1] - b[1]);
}

// --- the slow files ---------------------------------------------------------------------------

const ROBERTA_SPECIALS = {
    bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', sep_token: '</s>', pad_token: '<pad>', cls_token: '<s>',
    mask_token: { content: '<mask>', lstrip: true, normalized: false, rstrip: false, single_word: false },
};
const ROBERTA_CONFIG = { add_prefix_space: false, errors: 'replace', model_max_length: 512,
                         tokenizer_class: 'RobertaTokenizer' };
const BERT_CONFIG = { do_lower_case: true, model_max_length: 512, tokenizer_class: 'BertTokenizer' };

function writeBpeSlow(dir) {
    const tj = JSON.parse(fs.readFileSync(path.join(DATA, 'bpe', 'tokenizer.json'), 'utf8'));
    const added = new Set(tj.added_tokens.map((t) => t.content));
    const vocab = {};
    for (const [token, id] of byId(tj.model.vocab))
        vocab[token] = id;
    // The fixture's <mask> (604) is an added token beyond the vocabulary: vocab.json leaves it out.
    if ('<mask>' in vocab || !added.has('<mask>'))
        throw new Error('bpe/tokenizer.json: expected <mask> as an added token only');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(vocab) + '\n');
    const merges = tj.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
    fs.writeFileSync(path.join(dir, 'merges.txt'), '#version: 0.2\n' + merges.join('\n') + '\n');
    writeJson(path.join(dir, 'special_tokens_map.json'), ROBERTA_SPECIALS, 2);
    writeJson(path.join(dir, 'tokenizer_config.json'), ROBERTA_CONFIG, 2);
}

function writeWordPieceSlow(dir) {
    const tj = JSON.parse(fs.readFileSync(path.join(DATA, 'wordpiece', 'tokenizer.json'), 'utf8'));
    const tokens = byId(tj.model.vocab);
    tokens.forEach(([token, id], i) => {
        if (id !== i)
            throw new Error('wordpiece/tokenizer.json: vocabulary ids are not 0..n-1');
    });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'vocab.txt'), tokens.map(([t]) => t).join('\n') + '\n');
    writeJson(path.join(dir, 'tokenizer_config.json'), BERT_CONFIG, 2);
}

// --- the references, built by the library from the slow files ---------------------------------

function specialOf(value, lstripIfString) {
    if (typeof value === 'string')
        return { content: value, lstrip: lstripIfString, rstrip: false };
    return { content: value.content, lstrip: !!value.lstrip, rstrip: !!value.rstrip };
}

// The special tokens in transformers' order (bos, eos, unk, sep, pad, cls, mask), each once;
// the library gives a token missing from the vocabulary the next id.
function addSpecials(tok, specials) {
    const seen = new Set();
    const list = [];
    for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
        if (!(key in specials) || seen.has(specials[key].content))
            continue;
        seen.add(specials[key].content);
        const s = specials[key];
        list.push(new hf.AddedToken(s.content, true, { leftStrip: s.lstrip, rightStrip: s.rstrip, normalized: false }));
    }
    tok.addAddedTokens(list);
}

async function bpeReference(dir, config) {
    const model = await hf.BPE.fromFile(path.join(dir, 'vocab.json'), path.join(dir, 'merges.txt'));
    const tok = new hf.Tokenizer(model);
    const prefixSpace = !!config.add_prefix_space;
    tok.setPreTokenizer(hf.byteLevelPreTokenizer(prefixSpace, true));
    const map = JSON.parse(fs.readFileSync(path.join(dir, 'special_tokens_map.json'), 'utf8'));
    const specials = {};
    for (const [key, value] of Object.entries(map))
        specials[key] = specialOf(value, key === 'mask_token');
    addSpecials(tok, specials);
    const sep = specials.sep_token.content, cls = specials.cls_token.content;
    tok.setPostProcessor(hf.robertaProcessing([sep, tok.tokenToId(sep)], [cls, tok.tokenToId(cls)], true, prefixSpace));
    return tok;
}

async function wordPieceReference(dir, config) {
    const model = await hf.WordPiece.fromFile(path.join(dir, 'vocab.txt'),
                                              { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
    const tok = new hf.Tokenizer(model);
    const options = { cleanText: true, handleChineseChars: config.tokenize_chinese_chars !== false,
                      lowercase: config.do_lower_case !== false };
    if (typeof config.strip_accents === 'boolean')
        options.stripAccents = config.strip_accents; // else the library follows lowercase
    tok.setNormalizer(hf.bertNormalizer(options));
    tok.setPreTokenizer(hf.bertPreTokenizer());
    const specials = {};
    for (const [key, value] of Object.entries({ unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]',
                                                cls_token: '[CLS]', mask_token: '[MASK]' }))
        specials[key] = specialOf(value, false);
    addSpecials(tok, specials);
    tok.setPostProcessor(hf.bertProcessing(['[SEP]', tok.tokenToId('[SEP]')], ['[CLS]', tok.tokenToId('[CLS]')]));
    return tok;
}

async function encodeAll(tok, texts) {
    const cases = [];
    for (const { name, text, max_length: maxLength } of texts) {
        if (maxLength > 0)
            tok.setTruncation(maxLength);
        else
            tok.disableTruncation();
        const enc = await tok.encode(text);
        tok.disableTruncation();
        const full = await tok.encode(text);
        cases.push({ name, text, max_length: maxLength, ids: enc.getIds(), tokens: enc.getTokens(),
                     n_tokens: full.getIds().length });
    }
    return cases;
}

async function makeFor(fast, slow, write, reference, storedConfig, variants) {
    const dir = path.join(DATA, slow);
    write(dir);
    const fastCases = JSON.parse(fs.readFileSync(path.join(DATA, fast, 'expected_hf.json'), 'utf8')).cases;
    const texts = fastCases.map((c) => ({ name: c.name, text: c.text, max_length: c.max_length }));
    const cases = await encodeAll(await reference(dir, storedConfig), texts);
    // The slow files under their stored configuration are the fast tokenizer they came from.
    cases.forEach((c, i) => {
        if (JSON.stringify(c.ids) !== JSON.stringify(fastCases[i].ids))
            throw new Error(`${slow}: case ${c.name} gives ${c.ids}, the tokenizer.json gives ${fastCases[i].ids}`);
    });
    const out = {
        source: 'Hugging Face tokenizers (Rust core) via npm @anush008/tokenizers reading the slow files; ' +
                'tools/make_slow_tokenizer_fixtures_hf.js',
        cases,
        variants: [],
    };
    for (const [name, config] of variants) {
        const vc = await encodeAll(await reference(dir, config), texts);
        const changed = vc.filter((c, i) => JSON.stringify(c.ids) !== JSON.stringify(cases[i].ids)).length;
        if (changed === 0)
            throw new Error(`${slow}: variant ${name} changes no case`);
        // The texts are those of `cases`, in the same order.
        out.variants.push({ name, tokenizer_config: config,
                            cases: vc.map((c) => ({ name: c.name, ids: c.ids, n_tokens: c.n_tokens })) });
        console.log(`${slow} ${name}: ${changed} of ${vc.length} cases differ from the stored configuration`);
    }
    writeJson(path.join(dir, 'expected_hf.json'), out, 1);
    console.log(`${slow}: ${cases.length} cases, equal to ${fast}/expected_hf.json`);
}

(async () => {
    await makeFor('bpe', 'bpe_slow', writeBpeSlow, bpeReference, ROBERTA_CONFIG,
                  [['add_prefix_space', { ...ROBERTA_CONFIG, add_prefix_space: true }]]);
    await makeFor('wordpiece', 'wordpiece_slow', writeWordPieceSlow, wordPieceReference, BERT_CONFIG, [
        ['cased', { ...BERT_CONFIG, do_lower_case: false }],
        ['lowercase_keep_accents', { ...BERT_CONFIG, strip_accents: false }],
        ['cased_strip_accents', { ...BERT_CONFIG, do_lower_case: false, strip_accents: true }],
        ['no_chinese_split', { ...BERT_CONFIG, tokenize_chinese_chars: false }],
    ]);
})().catch((e) => {
    console.error(e);
    process.exit(1);
});
