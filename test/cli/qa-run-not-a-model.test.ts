// Regression: GGUF files that are not runnable models gave errors about a symptom instead of the
// cause: a vocabulary-only file said "missing tensor 'token_embd.weight'" (wasm) or llama.cpp's
// "Failed to load model" (llamacpp); a file of an unknown architecture said it had no
// tokenizer.ggml.tokens. Now: MODEL_NO_TENSORS on both backends, MODEL_UNSUPPORTED_ARCH on wasm.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { vectorPath } from "../helpers/vectors.js";

const VOCAB_ONLY = vectorPath("tokenizer", "ggml-vocab-gpt-2.gguf");
const UNKNOWN_ARCH = vectorPath("gguf", "kv-and-tensor-types.gguf"); // general.architecture = glassbox-test

/** Runs `glassbox run` and returns its single stderr line (asserting exit 1 and nothing on stdout). */
function oneError(args: string[]): string {
  const r = runCli(["run", ...args]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n");
  assert.equal(lines.length, 2, r.stderr);
  return lines[0]!;
}

for (const backend of ["wasm", "llamacpp"] as const) {
  test(`a vocabulary-only GGUF is MODEL_NO_TENSORS (${backend})`, () => {
    assert.match(oneError([VOCAB_ONLY, "hi", "--backend", backend]), /^glassbox: error \[MODEL_NO_TENSORS\]: the GGUF file has no tensors \(a vocabulary-only/);
  });
}

test("an unknown architecture names itself on wasm (MODEL_UNSUPPORTED_ARCH) and in the llamacpp message", () => {
  assert.match(oneError([UNKNOWN_ARCH, "hi"]), /^glassbox: error \[MODEL_UNSUPPORTED_ARCH\]: architecture 'glassbox-test' is not supported by the wasm backend; supported: .*llama/);
  assert.match(oneError([UNKNOWN_ARCH, "hi", "--backend", "llamacpp"]), /^glassbox: error \[BACKEND_BAD_MODEL\]: the GGUF file \(architecture 'glassbox-test'\)/);
});

test("chat says the same", () => {
  const r = runCli(["chat", VOCAB_ONLY], { input: "hi\n" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^glassbox: error \[MODEL_NO_TENSORS\]/);
});
