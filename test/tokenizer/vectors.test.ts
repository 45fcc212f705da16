// Tokenizer parity with llama.cpp on every vocabulary in ../shared/vectors/tokenizer that has a GGUF.
// For each case: encode(text, {addSpecial:false}) must equal the upstream .out line (HF tokenizers)
// and llama.cpp's `tokens`; encode(text) must equal `tokens_add_special`; tokenToPiece must equal
// `pieces_hex`; decode with llama.cpp's clean-up flag must equal `detokenized`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { Tokenizer } from "../../src/tokenizer/index.js";
import { vectorPath } from "../helpers/vectors.js";

interface JsonCase {
  index: number;
  text: string;
  tokens: number[];
  tokens_add_special: number[];
  detokenized: string;
  pieces_hex: string[];
}

const WITH_OUT = ["llama-spm", "phi-3", "bert-bge", "gpt-2", "falcon", "mpt", "starcoder", "refact", "deepseek-coder", "deepseek-llm"];
const JSON_ONLY = ["baichuan", "gpt-neox"];
const NOT_TESTABLE = ["command-r", "llama-bpe", "qwen2", "chameleon", "deepseek-r1-qwen", "roberta-bpe"];

function loadTokenizer(name: string): Tokenizer {
  const f = GgufFile.open(vectorPath("tokenizer", `ggml-vocab-${name}.gguf`));
  try {
    return Tokenizer.fromGguf(f);
  } finally {
    f.close();
  }
}

function readCases(name: string): string[] {
  const s = readFileSync(vectorPath("tokenizer", `ggml-vocab-${name}.gguf.inp`), "utf8");
  const parts = s.split("\n__ggml_vocab_test__\n");
  assert.equal(parts.pop(), "");
  return parts;
}

function readOut(name: string): number[][] {
  const s = readFileSync(vectorPath("tokenizer", `ggml-vocab-${name}.gguf.out`), "utf8");
  const lines = s.split("\n");
  assert.equal(lines.pop(), "");
  return lines.map((l) => (l.trim() === "" ? [] : l.trim().split(" ").map(Number)));
}

function readJson(name: string): JsonCase[] {
  return (JSON.parse(readFileSync(vectorPath("tokenizer", `ggml-vocab-${name}.llamacpp.json`), "utf8")) as { cases: JsonCase[] }).cases;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Runs every check of one vocabulary; returns the failures (empty when all pass). */
function checkVocab(name: string, withOut: boolean): { passed: number; total: number; failures: string[] } {
  const tok = loadTokenizer(name);
  const cases = readJson(name);
  const inp = withOut ? readCases(name) : undefined;
  const out = withOut ? readOut(name) : undefined;
  if (inp) assert.equal(inp.length, cases.length);
  if (out) assert.equal(out.length, cases.length);
  const failures: string[] = [];
  let passed = 0;
  for (const c of cases) {
    const errs: string[] = [];
    if (inp && inp[c.index] !== c.text) errs.push("input text differs between .inp and .json");
    const ids = Array.from(tok.encode(c.text, { addSpecial: false }));
    if (out && JSON.stringify(ids) !== JSON.stringify(out[c.index])) errs.push(`vs .out: got ${JSON.stringify(ids)} want ${JSON.stringify(out[c.index])}`);
    if (JSON.stringify(ids) !== JSON.stringify(c.tokens)) errs.push(`vs tokens: got ${JSON.stringify(ids)} want ${JSON.stringify(c.tokens)}`);
    const idsSpecial = Array.from(tok.encode(c.text));
    if (JSON.stringify(idsSpecial) !== JSON.stringify(c.tokens_add_special)) errs.push(`vs tokens_add_special: got ${JSON.stringify(idsSpecial)} want ${JSON.stringify(c.tokens_add_special)}`);
    const pieces = c.tokens.map((id) => hex(tok.tokenToPiece(id)));
    if (JSON.stringify(pieces) !== JSON.stringify(c.pieces_hex)) errs.push(`pieces: got ${JSON.stringify(pieces)} want ${JSON.stringify(c.pieces_hex)}`);
    const text = tok.decode(c.tokens, { cleanSpaces: tok.cleanSpaces });
    if (text !== c.detokenized) errs.push(`detokenized: got ${JSON.stringify(text)} want ${JSON.stringify(c.detokenized)}`);
    if (errs.length === 0) passed++;
    else failures.push(`${name} case ${c.index} ${JSON.stringify(c.text).slice(0, 80)}: ${errs.join("; ")}`);
  }
  return { passed, total: cases.length, failures };
}

for (const name of [...WITH_OUT, ...JSON_ONLY]) {
  test(`tokenizer parity with llama.cpp: ${name}`, () => {
    const r = checkVocab(name, WITH_OUT.includes(name));
    console.log(`${name}: ${r.passed}/${r.total}${WITH_OUT.includes(name) ? " (.out + llama.cpp json)" : " (llama.cpp json only)"}`);
    for (const f of r.failures.slice(0, 5)) console.log("  " + f);
    assert.equal(r.total, 46);
    assert.deepEqual(r.failures, []);
  });
}

test("vocabularies without a GGUF are listed as not testable", () => {
  for (const name of NOT_TESTABLE) {
    // their .inp/.out exist, but no vocabulary GGUF: nothing to run, nothing counted as passed
    assert.throws(() => vectorPath("tokenizer", `ggml-vocab-${name}.gguf`), /missing test vector/);
    vectorPath("tokenizer", `ggml-vocab-${name}.gguf.out`);
    console.log(`${name}: NOT TESTABLE (no vocabulary GGUF in the shared vectors; 0 cases run)`);
  }
});
