// The byte-level BPE trainer: same merges as a naive trainer that recounts every pair each step,
// deterministic, full byte alphabet (any text encodes and decodes back), special tokens, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BpeWordCounter, DEFAULT_SPECIAL_TOKEN, TOKEN_TYPE_CONTROL, TOKEN_TYPE_NORMAL, trainBpe, trainBpeFromCounts,
} from "../../src/tokenizer/train.js";
import { ByteLevelBpeEncoder } from "../../src/tokenizer/train-encode.js";
import { byteToUnicodeChar, bytesToGpt2Text, gpt2TextToBytes } from "../../src/tokenizer/train-bytes.js";
import { gpt2Pretokenize } from "../../src/tokenizer/train-pretokenize.js";
import { chunkAtLineStarts, splitHoldOut } from "../../src/tokenizer/train-files.js";
import { isGlassboxError } from "../../src/errors.js";
import { generateCorpus } from "./train-corpus.js";

const enc = new TextEncoder();

function cmpBytes(x: Uint8Array, y: Uint8Array): number {
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Textbook BPE: recount all pairs after every merge; same tie rule and stop rules as train.ts. */
function naiveTrain(counts: Map<string, number>, specials: string[], vocabSize: number, minFrequency: number) {
  const tokens = [...specials];
  const bytes: Uint8Array[] = specials.map((s) => enc.encode(s));
  for (let b = 0; b < 256; b++) { tokens.push(byteToUnicodeChar(b)); bytes.push(Uint8Array.of(b)); }
  const words = [...counts].map(([w, c]) => ({ syms: [...enc.encode(w)].map((b) => specials.length + b), c }));
  const merges: string[] = [];
  while (tokens.length < vocabSize) {
    const pc = new Map<string, { a: number; b: number; c: number }>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.syms.length; i++) {
        const k = `${w.syms[i]},${w.syms[i + 1]}`;
        const e = pc.get(k);
        if (e) e.c += w.c; else pc.set(k, { a: w.syms[i]!, b: w.syms[i + 1]!, c: w.c });
      }
    }
    let best: { a: number; b: number; c: number } | undefined;
    for (const e of pc.values()) {
      if (e.c < minFrequency || specials.includes(tokens[e.a]! + tokens[e.b]!)) continue;
      if (!best || e.c > best.c || (e.c === best.c &&
        (cmpBytes(bytes[e.a]!, bytes[best.a]!) || cmpBytes(bytes[e.b]!, bytes[best.b]!)) < 0)) best = e;
    }
    if (!best) break;
    const text = tokens[best.a]! + tokens[best.b]!;
    let t = tokens.indexOf(text);
    if (t < 0) {
      t = tokens.length;
      tokens.push(text);
      const nb = new Uint8Array(bytes[best.a]!.length + bytes[best.b]!.length);
      nb.set(bytes[best.a]!); nb.set(bytes[best.b]!, bytes[best.a]!.length);
      bytes.push(nb);
    }
    merges.push(`${tokens[best.a]} ${tokens[best.b]}`);
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.syms.length;) {
        if (i + 1 < w.syms.length && w.syms[i] === best.a && w.syms[i + 1] === best.b) { out.push(t); i += 2; }
        else out.push(w.syms[i++]!);
      }
      w.syms = out;
    }
  }
  return { tokens, merges };
}

test("incremental trainer gives exactly the naive trainer's merges and vocabulary", () => {
  for (const [seed, size, vocab, minFreq] of [[1, 20000, 700, 2], [7, 8000, 400, 1], [3, 3000, 2000, 1]] as const) {
    const counter = new BpeWordCounter();
    counter.addText(generateCorpus(size, seed));
    const fast = trainBpeFromCounts(counter, [DEFAULT_SPECIAL_TOKEN], { vocabSize: vocab, minFrequency: minFreq });
    const slow = naiveTrain(counter.counts, [DEFAULT_SPECIAL_TOKEN], vocab, minFreq);
    assert.deepEqual(fast.merges, slow.merges, `seed ${seed}`);
    assert.deepEqual(fast.tokens, slow.tokens, `seed ${seed}`);
    console.log(`seed ${seed}: ${fast.merges.length} merges identical to the naive trainer (vocab ${fast.tokens.length}, stopped: ${fast.stoppedBecause})`);
  }
});

test("a repeated-symbol word merges left to right, as the naive trainer does", () => {
  const counter = new BpeWordCounter();
  counter.addText("aaaaaaa aaaaaaa aaaaa aaaa b bb bbb");
  const fast = trainBpeFromCounts(counter, [], { vocabSize: 270, minFrequency: 1 });
  const slow = naiveTrain(counter.counts, [], 270, 1);
  assert.deepEqual(fast.merges, slow.merges);
  assert.deepEqual(fast.merges.slice(0, 2), ["a a", "aa aa"]);
});

test("vocabulary layout, token types and determinism", () => {
  const text = generateCorpus(30000, 2);
  const opts = { vocabSize: 800, specialTokens: [DEFAULT_SPECIAL_TOKEN, "<|pad|>"] };
  const m = trainBpe([text], opts);
  assert.equal(m.tokens.length, 800);
  assert.equal(m.stoppedBecause, "vocab-size");
  assert.deepEqual(m.tokens.slice(0, 2), [DEFAULT_SPECIAL_TOKEN, "<|pad|>"]);
  assert.equal(m.bosTokenId, 0);
  assert.equal(m.eosTokenId, 0);
  for (let b = 0; b < 256; b++) assert.equal(m.tokens[2 + b], byteToUnicodeChar(b));
  assert.deepEqual([...m.tokenTypes.slice(0, 3)], [TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL, TOKEN_TYPE_NORMAL]);
  assert.equal(new Set(m.tokens).size, m.tokens.length, "token texts are unique");
  for (const merge of m.merges) {
    const [l, r] = merge.split(" ");
    assert.ok(m.tokens.includes(l! + r!), merge);
  }
  const again = trainBpe([text], opts);
  assert.deepEqual(again.merges, m.merges);
  assert.deepEqual(again.tokens, m.tokens);
  // Counting in pieces cut at line starts gives the same words, hence the same merges.
  const counter = new BpeWordCounter(opts.specialTokens);
  for (const c of chunkAtLineStarts(text, 1000)) counter.addText(c);
  assert.deepEqual(trainBpeFromCounts(counter, opts.specialTokens, opts).merges, m.merges);
});

test("special tokens in the corpus are cut out, never merged", () => {
  const text = "hello<|endoftext|>world ".repeat(50) + "<|endoftext|><|endoftext|>";
  const m = trainBpe([text], { vocabSize: 300, minFrequency: 1 });
  for (const merge of m.merges) assert.ok(!merge.includes("<|") && !merge.includes("|>"), merge);
  assert.ok(m.tokens.includes("hello") && m.tokens.includes("world"));
  // A special whose text a merge would produce is never produced by a merge.
  const m2 = trainBpe(["ab ab ab ab"], { vocabSize: 300, minFrequency: 1, specialTokens: ["ab"] });
  assert.ok(!m2.merges.includes("a b"));
});

test("full byte alphabet: any text encodes, and the token bytes give the text back", () => {
  const m = trainBpe([generateCorpus(20000, 5)], { vocabSize: 600 });
  const e = new ByteLevelBpeEncoder(m.tokens, m.merges, m.specialTokens);
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => {
    const ids = e.encode(s);
    const parts = [...ids].map((id) => gpt2TextToBytes(m.tokens[id]!)!);
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { bytes.set(p, o); o += p.length; }
    assert.deepEqual(bytes, enc.encode(s));
  }), { numRuns: 300, seed: 42 });
  assert.deepEqual([...e.encode("<|endoftext|>x", { parseSpecial: true })].slice(0, 1), [0]);
  assert.ok(e.encode("<|endoftext|>").length > 1);
});

test("GPT-2 byte mapping and pre-tokenizer facts", () => {
  assert.equal(byteToUnicodeChar(0x20), "Ġ");
  assert.equal(byteToUnicodeChar(0x0a), "Ċ");
  assert.equal(byteToUnicodeChar(0x21), "!");
  assert.equal(byteToUnicodeChar(0xad), "Ń");
  assert.deepEqual(gpt2TextToBytes(bytesToGpt2Text(Uint8Array.from({ length: 256 }, (_, i) => i))), Uint8Array.from({ length: 256 }, (_, i) => i));
  assert.deepEqual(gpt2Pretokenize("Hello world's  123 x!!\n\n  y "), ["Hello", " world", "'s", " ", " 123", " x", "!!", "\n\n ", " y", " "]);
  // U+0085 is whitespace for llama.cpp (not for JS \s); U+FEFF is not.
  assert.deepEqual(gpt2Pretokenize("a\u0085\u0085b\ufeffc"), ["a", "\u0085", "\u0085", "b", "\ufeff", "c"]);
});

test("hold-out split and errors", () => {
  const { train, heldOut } = splitHoldOut(["aaaa\nbbbb\n", "cccc\ndddd\neeee\n"], 0.3);
  assert.equal(train.join("") + heldOut, "aaaa\nbbbb\ncccc\ndddd\neeee\n");
  assert.equal(heldOut, "eeee\n");
  assert.deepEqual(splitHoldOut(["xy"], 0), { train: ["xy"], heldOut: "" });
  const bad = (f: () => unknown, code: string) => assert.throws(f, (e) => isGlassboxError(e, code));
  bad(() => trainBpe(["x"], { vocabSize: 200 }), "TOKENIZER_TRAIN_BAD_VOCAB_SIZE");
  bad(() => trainBpe(["x"], { vocabSize: 300, specialTokens: ["a", "<s>"] }), "TOKENIZER_TRAIN_BAD_SPECIAL");
  bad(() => trainBpe(["x"], { vocabSize: 300, specialTokens: ["Ġ"] }), "TOKENIZER_TRAIN_BAD_SPECIAL");
  bad(() => trainBpe(["x"], { vocabSize: 300, specialTokens: ["<s>", "<s>"] }), "TOKENIZER_TRAIN_BAD_SPECIAL");
  const small = trainBpe(["abc abd"], { vocabSize: 1000 });
  assert.equal(small.stoppedBecause, "min-frequency");
  assert.deepEqual(small.merges, ["a b"]);
});
