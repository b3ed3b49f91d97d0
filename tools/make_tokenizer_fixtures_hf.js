#!/usr/bin/env node
// Makes tests/data/tokenizers/{bpe,wordpiece}/expected_hf.json: the ids the real Hugging Face
// `tokenizers` library (its Rust core, through the npm binding @anush008/tokenizers) gives for
// the fixture tokenizer.json files on texts chosen to probe the normaliser and pre-tokenizers:
// the texts of expected.json plus characters where BERT's rules are easy to get wrong. Each case
// also holds n_tokens, the token count without truncation (tests of tokenize and extract's /n_tokens).
//
// Node is needed only to remake the fixtures, never at test time (the JSON output is committed).
// Run:  (cd /tmp/hf && npm install @anush008/tokenizers)
//       NODE_PATH=/tmp/hf/node_modules node tools/make_tokenizer_fixtures_hf.js
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('@anush008/tokenizers');

const DATA = path.join(__dirname, '..', 'tests', 'data', 'tokenizers');

const EXTRA = [
    ['vertical_tab', 'a\u000Bb c'],
    ['form_feed', 'x\u000Cy = 1;'],
    ['next_line', 'foo\u0085bar'],
    ['file_separators', 'a\u001Cb\u001Dc\u001Ed\u001Fe'],
    ['unassigned', 'a\u0378b \u0378'],
    ['noncharacter', 'x\uFFFEy \uFFFF'],
    ['unassigned_supplementary', 'z\u{E0080} \u{3FFFE}'],
    ['private_use', 'p\uE000q \u{F0000}'],
    ['replacement_char', 'a\uFFFDb'],
    ['format_chars', 'zero\u200Bwidth soft\u00ADhyphen \u2060join \uFEFFbom'],
    ['format_newer_than_hf_tables', 'a\u0890b \u08E2 c\u{110CD}d \u{13430}'],
    ['cjk_ext_e_first', 'x\u{2B920}y'],
    ['cjk_ext_d_last', 'x\u{2B81F}y'],
    ['cjk_gap_before_ext_e', 'x\u{2B820}y\u{2B91F}z'],
    ['cjk_ext_f_and_compat', 'a\u{2CEAF}\u{2CEB0}b\uF900c\u{2F800}d'],
    ['cjk_plain', '\u4E2D\u6587 mixed\u4E2Dtext \u3400'],
    ['unicode_spaces', 'a\u00A0b\u2003c\u3000d\u2028e\u2029f\u202Fg\u205Fh\u1680i'],
    ['accented', 'R\u00E9sum\u00E9 na\u00EFve caf\u00E9 \u00C5ngstr\u00F6m \u0141\u00F3d\u017A'],
    ['greek_final_sigma', '\u039F\u0394\u039F\u03A3 \u03A3\u0399\u03A3\u03A5\u03A6\u039F\u03A3'],
    ['dotted_capital_i', '\u0130stanbul \u0130'],
    ['ligatures_and_compat', '\uFB01le \u2460 \u00BD \u212B'],
    ['lowercase_special', 'ABC \u0130 \u1E9E \u01C5 \u2126 \u212A'],
    ['mixed_code', 'int f(const char *s) { /* d\u00E9j\u00E0 vu \u2014 \u65E5\u672C */ return s[0]\u000C; }\u0085'],
    ['emoji_and_zwj', 'ok \u{1F468}\u200D\u{1F469}\u200D\u{1F467} \u{1F44D}\u{1F3FD}'],
];

async function makeFor(kind) {
    const tok = Tokenizer.fromFile(path.join(DATA, kind, 'tokenizer.json'));
    const old = JSON.parse(fs.readFileSync(path.join(DATA, kind, 'expected.json'), 'utf8'));
    // max_length counts the special tokens too, as HF's truncation does.
    const texts = old.cases.map((c) => [c.name, c.text, c.max_length]).concat(EXTRA.map(([n, t]) => [n, t, 0]));
    const normalizer = tok.getNormalizer();
    const cases = [];
    for (const [name, text, maxLength] of texts) {
        if (maxLength > 0)
            tok.setTruncation(maxLength);
        else
            tok.disableTruncation();
        const enc = await tok.encode(text);
        // n_tokens: the length before truncation (special tokens included), what extract stores
        // as /n_tokens; a case with max_length was cut when n_tokens > max_length.
        tok.disableTruncation();
        const full = await tok.encode(text);
        const c = { name, text, max_length: maxLength, ids: enc.getIds(), tokens: enc.getTokens(),
                    n_tokens: full.getIds().length };
        if (normalizer)
            c.normalized = normalizer.normalizeString(text);
        cases.push(c);
    }
    const out = {
        source: 'Hugging Face tokenizers (Rust core) via npm @anush008/tokenizers; tools/make_tokenizer_fixtures_hf.js',
        cases,
    };
    fs.writeFileSync(path.join(DATA, kind, 'expected_hf.json'), JSON.stringify(out, null, 1) + '\n');
    console.log(kind + ': ' + cases.length + ' cases');
}

(async () => {
    for (const kind of ['wordpiece', 'bpe'])
        await makeFor(kind);
})();
