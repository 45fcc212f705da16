// Property tests: decode(encode(x)) === x and the streaming decoder, on arbitrary Unicode text,
// for an SPM vocabulary with byte fallback (llama-spm) and a byte-level BPE one (gpt-2).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { Tokenizer } from "../../src/tokenizer/index.js";
import { vectorPath } from "../helpers/vectors.js";

function load(name: string): Tokenizer {
  const f = GgufFile.open(vectorPath("tokenizer", `ggml-vocab-${name}.gguf`));
  try {
    return Tokenizer.fromGguf(f);
  } finally {
    f.close();
  }
}

// Text pieces that stress tokenizers: astral characters, combining marks, whitespace runs,
// CJK, digits, contractions, punctuation; mixed with fully arbitrary code points.
const PIECES = [
  " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\u3000", "\u00a0", "\u2028", "\u0085",
  "a", "Hello", "world", "I'm", "'ll", "'S", "don't", "x1", "123", "4567", "3.14",
  "é", "e\u0301", "\u0308", "a\u0301\u0302", "Führer", "ß", "İ", "ﬁ",
  "😀", "🚀", "👩‍👩‍👧", "🦙🦙", "𝄞", "𐍈", "\u{10FFFD}", "\u{E0001}",
  "中文", "我想在", "日本語", "한국어", "ภาษาไทย", "कान्ति", "عربى", "нещо",
  "!", "?", "...", "—", "«»", "$", "<", ">", "<<", "|", "\\", "\"", "`", "~",
  "\u0000", "\u0001", "\u007f", "\u200d", "\ufeff", "\ufffd",
];
const text = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((a) => a.join("")),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.tuple(fc.string({ unit: "binary", maxLength: 12 }), fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }))
    .map(([s, a]) => a.join(s)),
);

const RUNS = 400;

for (const name of ["llama-spm", "gpt-2"]) {
  const tok = load(name);
  // SPM turns spaces into U+2581 before encoding, so a literal U+2581 decodes as a space.
  const representable = (x: string): boolean => name !== "llama-spm" || !x.includes("\u2581");

  test(`${name}: decode(encode(x, {addSpecial:false})) === x for arbitrary Unicode`, () => {
    let checked = 0;
    fc.assert(
      fc.property(text, (x) => {
        fc.pre(representable(x));
        checked++;
        assert.equal(tok.decode(tok.encode(x, { addSpecial: false })), x);
      }),
      { numRuns: RUNS, seed: 20250220 },
    );
    console.log(`${name}: round trip held on ${checked} generated strings`);
  });

  test(`${name}: stream decoder output concatenated === decode(ids), no U+FFFD for valid text`, () => {
    let checked = 0;
    fc.assert(
      fc.property(text, fc.boolean(), (x, addSpecial) => {
        const ids = tok.encode(x, { addSpecial });
        const s = tok.createStreamDecoder();
        let out = "";
        for (const id of ids) {
          const chunk = s.push(id);
          if (!x.includes("\ufffd")) assert.ok(!chunk.includes("\ufffd"), `U+FFFD in chunk for ${JSON.stringify(x)}`);
          out += chunk;
        }
        out += s.flush();
        assert.equal(out, tok.decode(ids));
        checked++;
      }),
      { numRuns: RUNS, seed: 7 },
    );
    console.log(`${name}: stream == decode on ${checked} generated strings`);
  });

  test(`${name}: stream decoder equals decode on arbitrary id sequences (invalid UTF-8 included)`, () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: tok.vocabSize - 1 }), { maxLength: 30 }), (ids) => {
        const s = tok.createStreamDecoder({ unparseSpecial: true });
        const out = s.pushAll(ids) + s.flush();
        assert.equal(out, tok.decode(ids, { unparseSpecial: true }));
      }),
      { numRuns: RUNS, seed: 11 },
    );
  });
}
