// `glassbox tokenize` end to end: runs the compiled CLI in a child process.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { vectorPath } from "../helpers/vectors.js";

// This file compiles to <outDir>/test/tokenizer/cli.test.js; the CLI to <outDir>/src/cli.js.
const cli = join(dirname(fileURLToPath(import.meta.url)), "../../src/cli.js");
const spm = vectorPath("tokenizer", "ggml-vocab-llama-spm.gguf");
const gpt2 = vectorPath("tokenizer", "ggml-vocab-gpt-2.gguf");

function run(args: string[], input?: string): string {
  return execFileSync(process.execPath, [cli, "tokenize", ...args], { encoding: "utf8", input });
}

test("tokenize --json prints ids, pieces and bytes as llama.cpp's server does", () => {
  const out = JSON.parse(run([spm, "Hello 𝄞", "--json"])) as { tokens: Array<{ id: number; piece: string | number[]; bytes: number[] }> };
  assert.deepEqual(out.tokens[0], { id: 1, piece: "<s>", bytes: [60, 115, 62] });
  assert.deepEqual(out.tokens[1], { id: 15043, piece: " Hello", bytes: [32, 72, 101, 108, 108, 111] });
  // the 4 byte-fallback tokens of U+1D11E: not valid UTF-8 alone, so piece is the byte array
  const last = out.tokens.slice(-4);
  assert.deepEqual(last.map((t) => t.piece), [[0xf0], [0x9d], [0x84], [0x9e]]);
  assert.deepEqual(last.map((t) => t.bytes), [[0xf0], [0x9d], [0x84], [0x9e]]);
});

test("tokenize --count, --no-special, --parse-special and stdin input", () => {
  assert.equal(run([spm, "Hello world", "--count"]), "3\n");
  assert.equal(run([spm, "Hello world", "--count", "--no-special"]), "2\n");
  const plain = JSON.parse(run([gpt2, "<|endoftext|>", "--json"])) as { tokens: Array<{ id: number }> };
  const parsed = JSON.parse(run([gpt2, "<|endoftext|>", "--json", "--parse-special"])) as { tokens: Array<{ id: number }> };
  assert.ok(plain.tokens.length > 1);
  assert.deepEqual(parsed.tokens.map((t) => t.id), [50256]);
  assert.equal(run([gpt2, "--count"], "Hello world"), "2\n");
});

test("tokenize prints a table of id, byte length and escaped piece", () => {
  const out = run([gpt2, "a\nb"]);
  const lines = out.trimEnd().split("\n");
  assert.match(lines[0]!, /id\s+bytes\s+piece/);
  assert.match(lines[2]!, /^\s*198\s+1\s+"\\n"$/);
  assert.equal(lines.at(-1), "3 tokens");
});

test("tokenize on a file that is not a model fails with one error line", () => {
  const r = spawnSync(process.execPath, [cli, "tokenize", vectorPath("tokenizer", "ggml-vocab-gpt-2.gguf.inp"), "x"], { encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^glassbox: error \[GGUF_/);
});
