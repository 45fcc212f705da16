// A trained vocabulary as a vocab-only GGUF: reads back identically with our reader, and llama.cpp
// (through node-llama-cpp) loads it as gpt2/gpt-2 and tokenizes exactly as our reference encoder.
// The encoder itself is checked on llama.cpp's GPT-2 vocabulary against the upstream test cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { Tokenizer } from "../../src/tokenizer/index.js";
import { trainBpe } from "../../src/tokenizer/train.js";
import { ByteLevelBpeEncoder } from "../../src/tokenizer/train-encode.js";
import { readByteLevelBpeVocab, serializeTrainedBpeGguf, writeTrainedBpeGguf } from "../../src/tokenizer/train-gguf.js";
import { vectorPath } from "../helpers/vectors.js";
import { generateCorpus } from "./train-corpus.js";

const corpus = generateCorpus(60000, 11);
const held = generateCorpus(8000, 12);
const model = trainBpe([corpus], { vocabSize: 1000, specialTokens: ["<|endoftext|>", "<|pad|>"] });

test("the GGUF reads back with the same tokens, types, merges and ids", async () => {
  const bytes = serializeTrainedBpeGguf(model, { name: "t", addBos: true });
  const f = GgufFile.fromBytes(bytes);
  assert.equal(f.get("general.architecture"), "gpt2");
  assert.equal(f.get("tokenizer.ggml.model"), "gpt2");
  assert.equal(f.get("tokenizer.ggml.pre"), "gpt-2");
  assert.equal(f.get("tokenizer.ggml.add_bos_token"), true);
  assert.equal(f.tensors.length, 0);
  const back = readByteLevelBpeVocab(f);
  assert.deepEqual(back.tokens, model.tokens);
  assert.deepEqual(back.merges, model.merges);
  assert.deepEqual(back.tokenTypes, model.tokenTypes);
  assert.deepEqual(back.specialTokens, ["<|endoftext|>", "<|pad|>"]);
  assert.equal(back.bosTokenId, 0);
  assert.equal(back.eosTokenId, 0);
  const dir = mkdtempSync(join(tmpdir(), "glassbox-train-"));
  try {
    const p = join(dir, "tok.gguf");
    await writeTrainedBpeGguf(p, model, { name: "t", addBos: true });
    assert.deepEqual(new Uint8Array(readFileSync(p)), bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("reference encoder reproduces the upstream GPT-2 tokenizer cases (46) on llama.cpp's gpt-2 vocab", () => {
  const f = GgufFile.open(vectorPath("tokenizer", "ggml-vocab-gpt-2.gguf"));
  const v = readByteLevelBpeVocab(f);
  f.close();
  const e = new ByteLevelBpeEncoder(v.tokens, v.merges);
  const inputs = readFileSync(vectorPath("tokenizer", "ggml-vocab-gpt-2.gguf.inp"), "utf8").split("\n__ggml_vocab_test__\n");
  inputs.pop();
  const lines = readFileSync(vectorPath("tokenizer", "ggml-vocab-gpt-2.gguf.out"), "utf8").split("\n");
  let same = 0;
  inputs.forEach((text, i) => {
    const want = lines[i]!.trim() === "" ? [] : lines[i]!.trim().split(" ").map(Number);
    assert.deepEqual([...e.encode(text)], want, `case ${i}: ${JSON.stringify(text)}`);
    same++;
  });
  assert.equal(same, 46);
  console.log(`gpt-2 vocab: ${same}/46 cases identical to the upstream tokenizer output`);
});

test("the project's Tokenizer loads the trained GGUF and encodes as the reference encoder", () => {
  const t = Tokenizer.fromGguf(GgufFile.fromBytes(serializeTrainedBpeGguf(model)));
  assert.equal(t.model, "gpt2");
  assert.equal(t.vocabSize, model.tokens.length);
  const e = new ByteLevelBpeEncoder(model.tokens, model.merges);
  for (const text of [held, "ünïcödé 日本語 😀  x\u0085y", " 's 'RE\n\n\t "]) {
    assert.deepEqual(t.encode(text, { addSpecial: false }), e.encode(text));
  }
});

test("llama.cpp (node-llama-cpp) loads the trained vocab-only GGUF and tokenizes identically", async () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-train-"));
  const modelPath = join(dir, "tok.gguf");
  await writeTrainedBpeGguf(modelPath, model);
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const logs: string[] = [];
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.warn, logger: (_l, m) => { logs.push(m); } });
  try {
    const m = await llama.loadModel({ modelPath, vocabOnly: true });
    const e = new ByteLevelBpeEncoder(model.tokens, model.merges, model.specialTokens);
    const texts = [
      held, "", " ", "\n\n\n", "a  ", "'s'S'll 're", "Hello world!  It's   a test\n\n\tof  the tokenizer's 123456 numbers",
      "ünïcödé 日本語 😀 Ελλάδα — “quotes”", "x\u0085y\u00a0z\u2028w\ufeffv", "\u0000\u0001\u007f", "   leading and trailing   ",
    ];
    let tokens = 0;
    for (const t of texts) {
      const ours = [...e.encode(t)];
      const theirs = [...m.tokenize(t)];
      assert.deepEqual(ours, theirs, JSON.stringify(t.slice(0, 60)));
      // llama.cpp's detokenizer applies clean_up_tokenization_spaces for gpt-2 (" 're" -> "'re").
      if (!/ [.,!?']/.test(t)) assert.equal(m.detokenize(m.tokenize(t)), t);
      tokens += ours.length;
    }
    assert.deepEqual([...m.tokenize("<|endoftext|>hi<|pad|>", true)], [...e.encode("<|endoftext|>hi<|pad|>", { parseSpecial: true })]);
    assert.equal(m.tokens.bos, 0);
    assert.equal(m.tokens.eos, 0);
    console.log(`llama.cpp tokenized ${texts.length} texts (${tokens} tokens) exactly as the reference encoder; vocab ${model.tokens.length}`);
    await m.dispose();
  } finally {
    await llama.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
