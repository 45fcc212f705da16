// The Backend contract, checked on both backends with the same calls: input checks, incremental
// evaluation, cache overwrite, reset, close, tokenizers, and identical sampling for a seed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { openBackend, openLlamaCppBackend, type Backend, type BackendName } from "../../src/backends/index.js";
import { isGlassboxError } from "../../src/errors.js";
import { generateAll } from "../../src/generate/index.js";
import { vectorPath } from "../helpers/vectors.js";

const LLAMA = vectorPath("llamacpp", "llama-gqa-f32.gguf");
const GPT2 = vectorPath("llamacpp", "gpt2-f32.gguf");
const vec = JSON.parse(readFileSync(vectorPath("llamacpp", "llama-gqa-f32.json"), "utf8")) as {
  prompts: Array<{ prompt: string; tokens: number[]; greedy_tokens: number[] }>;
};
const gpt2Vec = JSON.parse(readFileSync(vectorPath("llamacpp", "gpt2-f32.json"), "utf8")) as typeof vec;

function code(c: string) {
  return (e: unknown) => isGlassboxError(e, c);
}

function maxAbsDiffShifted(a: Float32Array, b: Float32Array): number {
  let ma = -Infinity;
  let mb = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > ma) ma = a[i]!;
    if (b[i]! > mb) mb = b[i]!;
  }
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - ma - (b[i]! - mb)));
  return d;
}

test("openBackend rejects an unknown backend name and a missing LoRA file on wasm", async () => {
  await assert.rejects(openBackend(LLAMA, { backend: "cuda" as BackendName }), code("INVALID_OPTION"));
  await assert.rejects(openBackend(LLAMA, { backend: "wasm", lora: ["adapter.gguf"] }), code("FILE_NOT_FOUND"));
  await assert.rejects(openBackend(LLAMA, { backend: "wasm", threads: 0 }), code("INVALID_OPTION"));
  await assert.rejects(openBackend(LLAMA, { backend: "llamacpp", nCtx: -3 }), code("INVALID_OPTION"));
  await assert.rejects(openLlamaCppBackend(LLAMA, { logitsTopK: -1 }), code("INVALID_OPTION"));
  await assert.rejects(openBackend("/nonexistent/model.gguf", { backend: "llamacpp" }), (e: unknown) => isGlassboxError(e));
});

for (const name of ["wasm", "llamacpp"] as const) {
  describe(`${name} backend`, () => {
    let be: Backend;
    before(async () => {
      be = await openBackend(LLAMA, { backend: name, threads: 1, nCtx: 64 });
    });
    after(async () => {
      await be?.close();
    });

    test("reports its name, sizes and chat-template metadata", () => {
      assert.equal(be.name, name);
      assert.equal(be.nVocab, 32000);
      assert.equal(be.nCtx, 64);
      assert.equal(be.threads, 1);
      assert.equal(be.chatTemplate, undefined);
    });

    test("rejects bad eval calls with the same codes", async () => {
      await be.reset();
      await assert.rejects(be.eval(new Int32Array(0), 0), code("BACKEND_EMPTY_INPUT"));
      await assert.rejects(be.eval(Int32Array.of(1, 32000), 0), code("BACKEND_BAD_TOKEN"));
      await assert.rejects(be.eval(Int32Array.of(1, -1), 0), code("BACKEND_BAD_TOKEN"));
      await assert.rejects(be.eval(Int32Array.of(1), 3), code("BACKEND_BAD_POSITION"));
      await assert.rejects(be.eval(Int32Array.of(1), -1), code("BACKEND_BAD_POSITION"));
      await assert.rejects(be.eval(new Int32Array(65).fill(1), 0), code("PROMPT_TOO_LONG"));
    });

    test("token-by-token evaluation gives the batch's last logits; overwriting a position works", async () => {
      const p = Int32Array.from(vec.prompts[1]!.tokens);
      await be.reset();
      const batch = Float32Array.from(await be.eval(p, 0));
      await be.reset();
      await be.eval(p.subarray(0, 3), 0);
      let last: Float32Array | undefined;
      for (let i = 3; i < p.length; i++) last = await be.eval(p.subarray(i, i + 1), i);
      const d1 = maxAbsDiffShifted(batch, last!);
      // Overwrite positions 2.. with other tokens, then put the prompt's back: same logits again.
      await be.eval(Int32Array.of(100, 200, 300), 2);
      const again = await be.eval(p.subarray(2), 2);
      const d2 = maxAbsDiffShifted(batch, again);
      console.log(`${name}: incremental vs batch ${d1.toExponential(2)}, after overwrite ${d2.toExponential(2)}`);
      assert.ok(d1 < 1e-3 && d2 < 1e-3);
    });

    test("tokenizer: encodes like llama.cpp (BOS added), decodes, streams multi-byte text", () => {
      const tok = be.tokenizer;
      assert.deepEqual(Array.from(tok.encode(vec.prompts[0]!.prompt)), vec.prompts[0]!.tokens);
      assert.deepEqual(Array.from(tok.encode(vec.prompts[0]!.prompt, { addSpecial: false })), vec.prompts[0]!.tokens.slice(1));
      assert.equal(tok.addBos, true);
      assert.equal(tok.bosText, "<s>");
      assert.equal(tok.eosText, "</s>");
      assert.equal(tok.isEog(2), true);
      assert.equal(tok.isEog(1), false);
      const text = "Grüße, мир! 😀 ok";
      const ids = tok.encode(text, { addSpecial: false });
      assert.equal(tok.decode(ids), text);
      const sd = tok.createStreamDecoder();
      let streamed = "";
      for (const id of ids) streamed += sd.push(id);
      streamed += sd.flush();
      assert.equal(streamed, text);
    });

    test("after close, eval throws BACKEND_CLOSED", async () => {
      const other = await openBackend(LLAMA, { backend: name, threads: 1, nCtx: 16 });
      await other.close();
      await other.close(); // twice is fine
      await assert.rejects(other.eval(Int32Array.of(1), 0), code("BACKEND_CLOSED"));
    });
  });
}

test("gpt2 vocabulary (no BOS): both tokenizers encode like llama.cpp", async () => {
  for (const name of ["wasm", "llamacpp"] as const) {
    const be = await openBackend(GPT2, { backend: name, threads: 1, nCtx: 32 });
    try {
      for (const p of gpt2Vec.prompts) assert.deepEqual(Array.from(be.tokenizer.encode(p.prompt)), p.tokens, `${name}: ${p.prompt}`);
      assert.equal(be.tokenizer.addBos, false);
    } finally {
      await be.close();
    }
  }
});

test("same seed and options sample the same tokens on both backends", async () => {
  const wasm = await openBackend(LLAMA, { backend: "wasm", threads: 1, nCtx: 64 });
  const llamacpp = await openBackend(LLAMA, { backend: "llamacpp", threads: 1, nCtx: 64 });
  try {
    for (const seed of [1, 42, 1234]) {
      const opts = { temperature: 1.5, top_k: 0, top_p: 1, min_p: 0, seed, max_tokens: 16, ignore_eos: true };
      const a = await generateAll(wasm, wasm.tokenizer, vec.prompts[2]!.tokens, opts);
      const b = await generateAll(llamacpp, llamacpp.tokenizer, vec.prompts[2]!.tokens, opts);
      assert.deepEqual(b.tokens.map((t) => t.id), a.tokens.map((t) => t.id), `seed ${seed}`);
      assert.notDeepEqual(a.tokens.map((t) => t.id), vec.prompts[2]!.greedy_tokens); // really sampled, not greedy
      assert.equal(a.seed, seed);
    }
  } finally {
    await wasm.close();
    await llamacpp.close();
  }
});

test("llamacpp logitsTopK: only the K largest logits come back; greedy unchanged", async () => {
  const be = await openLlamaCppBackend(LLAMA, { threads: 1, nCtx: 64, logitsTopK: 40 });
  try {
    assert.equal(be.logitsTopK, 40);
    const logits = await be.eval(Int32Array.from(vec.prompts[0]!.tokens), 0);
    let finite = 0;
    for (const v of logits) if (Number.isFinite(v)) finite++;
    assert.equal(finite, 40);
    await be.reset();
    const r = await generateAll(be, be.tokenizer, vec.prompts[0]!.tokens, { temperature: 0, ignore_eos: true, max_tokens: 16 });
    assert.deepEqual(r.tokens.map((t) => t.id), vec.prompts[0]!.greedy_tokens);
  } finally {
    await be.close();
  }
});
