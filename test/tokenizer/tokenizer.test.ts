// Behaviour of the Tokenizer API beyond the llama.cpp vectors: special tokens, flags, errors,
// byte fallback, clean-up, and the streaming decoder on characters split across tokens.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { isGlassboxError } from "../../src/errors.js";
import { Tokenizer, TokenAttr, cleanUpSpaces } from "../../src/tokenizer/index.js";
import { vectorPath } from "../helpers/vectors.js";

function load(name: string): Tokenizer {
  const f = GgufFile.open(vectorPath("tokenizer", `ggml-vocab-${name}.gguf`));
  try {
    return Tokenizer.fromGguf(f);
  } finally {
    f.close();
  }
}

const spm = load("llama-spm");
const gpt2 = load("gpt-2");
const bert = load("bert-bge");
const phi3 = load("phi-3");

test("special token ids and add flags come from the GGUF metadata and llama.cpp defaults", () => {
  assert.equal(spm.model, "llama");
  assert.equal(spm.vocabSize, 32000);
  assert.deepEqual([spm.bos, spm.eos, spm.unk, spm.addBos, spm.addEos], [1, 2, 0, true, false]);
  assert.equal(spm.nl, 13); // <0x0A>
  assert.equal(gpt2.model, "gpt2");
  assert.equal(gpt2.preTokenizer, "gpt2");
  assert.deepEqual([gpt2.bos, gpt2.eos, gpt2.addBos, gpt2.addEos, gpt2.cleanSpaces], [50256, 50256, false, false, true]);
  assert.equal(gpt2.nl, 198);
  assert.deepEqual([bert.cls, bert.sep, bert.unk, bert.pad, bert.mask], [101, 102, 100, 0, 103]);
  assert.equal(phi3.eos, 32000);
  assert.ok(spm.isEog(2) && !spm.isEog(1));
  assert.ok(gpt2.isEog(50256));
  assert.ok(phi3.isEog(32000) && phi3.isEog(32007)); // <|endoftext|>, <|end|>
  assert.ok(spm.isControl(1) && !spm.isControl(100));
});

test("parseSpecial: control-token text is one token only when asked", () => {
  const off = Array.from(spm.encode("<s>Hi", { addSpecial: false }));
  const on = Array.from(spm.encode("<s>Hi", { addSpecial: false, parseSpecial: true }));
  assert.ok(!off.includes(1));
  assert.equal(on[0], 1);
  assert.deepEqual(on.slice(1), Array.from(spm.encode("Hi", { addSpecial: false })));
  assert.deepEqual(Array.from(gpt2.encode("a<|endoftext|>b", { parseSpecial: true })), [64, 50256, 65]);
  assert.ok(!Array.from(gpt2.encode("a<|endoftext|>b")).includes(50256));
});

test("user-defined tokens are always matched; Phi-3's RSTRIP eats the spaces after </s>", () => {
  // </s> is USER_DEFINED in this vocabulary and llama.cpp gives it RSTRIP for Phi-3 models
  const ids = Array.from(phi3.encode("a</s>   b", { addSpecial: false }));
  assert.ok(ids.includes(2));
  assert.deepEqual(ids.slice(ids.indexOf(2) + 1), Array.from(phi3.encode("b", { addSpecial: false })).slice(0));
  assert.ok(phi3.tokenAttr(2) & TokenAttr.RSTRIP);
});

test("addSpecial adds BOS for SPM and [CLS] ... [SEP] for WordPiece", () => {
  assert.deepEqual(Array.from(spm.encode("")), [1]);
  assert.deepEqual(Array.from(spm.encode("", { addSpecial: false })), []);
  assert.deepEqual(Array.from(bert.encode("")), [101, 102]);
  assert.deepEqual(Array.from(gpt2.encode("")), []);
});

test("byte fallback: a character outside the SPM vocabulary becomes its UTF-8 bytes", () => {
  const ids = Array.from(spm.encode("𝄞", { addSpecial: false }));
  const bytes = ids.map((id) => Array.from(spm.tokenToPiece(id)));
  assert.deepEqual(bytes.flat().slice(-4), [0xf0, 0x9d, 0x84, 0x9e]);
  assert.equal(spm.tokenText(ids[ids.length - 1]!), "<0x9E>");
  assert.equal(spm.decode(ids), "𝄞");
});

test("stream decoder holds back partial characters until complete", () => {
  const ids = Array.from(spm.encode("€𝄞", { addSpecial: false }));
  const s = spm.createStreamDecoder();
  const chunks = ids.map((id) => s.push(id));
  chunks.push(s.flush());
  assert.equal(chunks.join(""), "€𝄞");
  for (const c of chunks) assert.ok(!c.includes("\ufffd"));
  assert.ok(chunks.filter((c) => c === "").length >= 3, "the byte tokens of 𝄞 emit nothing until the last one");
  // a stream cut mid-character ends with one U+FFFD, like decode()
  const cut = spm.createStreamDecoder();
  assert.equal(cut.pushAll(ids.slice(0, -1)) + cut.flush(), spm.decode(ids.slice(0, -1)));
});

test("decode: removeSpecial, unparseSpecial and llama.cpp's space clean-up", () => {
  const ids = spm.encode("Hello");
  assert.equal(spm.decode(ids), " Hello".slice(0)); // llama.cpp keeps the space after a leading BOS
  assert.equal(spm.decode(ids, { unparseSpecial: true }), "<s> Hello");
  assert.equal(spm.decode(ids.subarray(1)), "Hello");
  const g = gpt2.encode("Hello , world . It 's");
  assert.equal(gpt2.decode(g), "Hello , world . It 's");
  assert.equal(gpt2.decode(g, { cleanSpaces: true }), "Hello, world. It's");
  assert.equal(new TextDecoder().decode(cleanUpSpaces(new TextEncoder().encode("a ' b 'll c 're"))), "a'b 'll c're");
});

test("errors: unsupported tokenizer models and pre-tokenizers, bad ids", () => {
  const tokens = ["a", "b", "ab"];
  assert.throws(() => new Tokenizer({ model: "t5", tokens }), (e) => isGlassboxError(e, "TOKENIZER_UNSUPPORTED") && /t5/.test(e.message));
  assert.throws(() => new Tokenizer({ model: "gpt2", pre: "no-such-pre", tokens, merges: ["a b"] }), (e) => isGlassboxError(e, "TOKENIZER_UNSUPPORTED"));
  assert.throws(() => new Tokenizer({ model: "gpt2", tokens }), (e) => isGlassboxError(e, "TOKENIZER_BAD_VOCAB"));
  assert.throws(() => spm.tokenToPiece(32000), (e) => isGlassboxError(e, "TOKEN_OUT_OF_RANGE"));
  assert.throws(() => spm.decode([-1]), (e) => isGlassboxError(e, "TOKEN_OUT_OF_RANGE"));
  // a gpt2 vocabulary without tokenizer.ggml.pre uses llama.cpp's "default" pre-tokenizer
  assert.equal(new Tokenizer({ model: "gpt2", tokens, merges: ["a b"] }).preTokenizer, "default");
});

test("a tiny BPE vocabulary built from a spec merges by rank", () => {
  const tokens = ["a", "b", "c", "ab", "bc", "abc"];
  const tok = new Tokenizer({ model: "gpt2", pre: "gpt-2", tokens, merges: ["b c", "a b", "a bc"] });
  assert.deepEqual(Array.from(tok.encode("abc")), [5]); // b c first, then a bc
  assert.deepEqual(Array.from(tok.encode("ab")), [3]);
  assert.equal(tok.decode([5, 3]), "abcab");
});

test("lone surrogates in input are encoded as U+FFFD", () => {
  assert.deepEqual(Array.from(gpt2.encode("a\ud800b")), Array.from(gpt2.encode("a\ufffdb")));
});

test("a byte-order mark is an ordinary character (token 30143 of llama-spm)", () => {
  assert.deepEqual(Array.from(spm.tokenToPiece(30143)), [0xef, 0xbb, 0xbf]);
  const ids = spm.encode("\ufeffHi", { addSpecial: false });
  assert.ok(Array.from(ids).includes(30143));
  assert.equal(spm.decode(ids), "\ufeffHi");
  const s = spm.createStreamDecoder();
  assert.equal(s.pushAll(ids) + s.flush(), "\ufeffHi");
});
