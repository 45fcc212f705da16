// Regression: a context longer than a GPT-2-style model's learned position table crashed the
// llamacpp backend (llama.cpp aborts the process with GGML_ASSERT in get_rows once generation
// passes the table) instead of refusing the context size up front, as the wasm backend does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { vectorPath } from "../helpers/vectors.js";

const GPT2 = vectorPath("llamacpp", "gpt2-f32.gguf"); // position_embd.weight has 512 rows

for (const backend of ["wasm", "llamacpp"] as const) {
  test(`-c past the learned positions is a one-line MODEL_BAD_OPTION error (${backend})`, () => {
    const r = runCli(["run", GPT2, "hi", "-c", "600", "--ignore-eos", "--temperature", "0", "--backend", backend, "-t", "1"]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^glassbox: error \[MODEL_BAD_OPTION\]: nCtx 600 exceeds the 512 learned positions of this model\n$/);
  });
}

test("the whole learned context still works on llamacpp (-c 512, generation up to the last position)", () => {
  const r = runCli(["run", GPT2, "hi", "-c", "512", "--ignore-eos", "--temperature", "0", "--backend", "llamacpp", "-t", "1", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { usage: { prompt_tokens: number; completion_tokens: number } };
  // the last token is sampled from the logits at position 511 and not evaluated itself
  assert.equal(j.usage.prompt_tokens + j.usage.completion_tokens, 513);
});
