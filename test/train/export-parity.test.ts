/**
 * A model trained here must run elsewhere unchanged: export a small random llama to GGUF and
 * compare its training-forward logits with (1) our inference engine (src/models loadModel, ref
 * and wasm kernels) and (2) llama.cpp itself through node-llama-cpp (logits read back from its
 * probabilities by the llamacpp backend, shifted so the largest is 0), at every position.
 * Tokenizer KVs come from the shared gpt2-f32 vector (a 2048-token GPT-2 BPE vocabulary).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openBackend } from "../../src/backends/index.js";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { serializeGguf, writeGgufFile } from "../../src/formats/gguf/writer.js";
import { refKernels } from "../../src/kernels/api.js";
import { loadWasmKernels } from "../../src/kernels/index.js";
import { loadModel } from "../../src/models/index.js";
import { llamaToGguf } from "../../src/train/llama-gguf.js";
import { LlamaTrainable, type LlamaConfig } from "../../src/train/llama.js";
import { vectorPath } from "../helpers/vectors.js";

const CONFIG: LlamaConfig = { nVocab: 2048, nEmbd: 32, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 64, nCtx: 64, ropeFreqBase: 10000, rmsEps: 1e-5, tied: false };
const TOKENS = Int32Array.of(2047, 464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 198).map((t) => t % 2048);

function tokenizerKvs() {
  const g = GgufFile.open(vectorPath("llamacpp", "gpt2-f32.gguf"));
  try {
    return [...g.kv.values()].filter((k) => k.key.startsWith("tokenizer."));
  } finally {
    g.close();
  }
}

/** Max |a − b| after shifting each row so its maximum is 0. */
function maxShiftedDiff(a: Float32Array, b: Float32Array, rows: number, n: number): number {
  let d = 0;
  for (let r = 0; r < rows; r++) {
    let ma = -Infinity, mb = -Infinity;
    for (let j = 0; j < n; j++) { ma = Math.max(ma, a[r * n + j]!); mb = Math.max(mb, b[r * n + j]!); }
    for (let j = 0; j < n; j++) d = Math.max(d, Math.abs(a[r * n + j]! - ma - (b[r * n + j]! - mb)));
  }
  return d;
}

test("exported GGUF: our inference engine reproduces the training forward (f32, tied and untied)", async () => {
  const wasm = await loadWasmKernels({ threads: 2 });
  try {
    for (const tied of [false, true]) {
      // std 0.3 so the logits spread (std ~1) and a wrong head order or RoPE layout would show
      const m = new LlamaTrainable({ ...CONFIG, tied }, refKernels, { seed: 9, std: 0.3 });
      const want = m.logits(TOKENS);
      const g = GgufFile.fromBytes(serializeGguf(llamaToGguf(m, { tokenizer: tokenizerKvs() })));
      for (const k of [refKernels, wasm]) {
        const model = loadModel(g, k, { nCtx: 64 });
        const got = model.eval(TOKENS, 0, { allLogits: true });
        let d = 0;
        for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
        console.log(`inference engine (${k.name}, tied=${tied}) vs training forward: max |logit diff| ${d.toExponential(2)} over ${TOKENS.length}x${CONFIG.nVocab}`);
        assert.ok(d < 1e-4, `max diff ${d}`);
      }
    }
  } finally {
    await wasm.close();
  }
});

test("exported GGUF loads in llama.cpp (node-llama-cpp) and gives the same logits (tied and untied)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-train-"));
  try {
    for (const tied of [false, true]) {
      const m = new LlamaTrainable({ ...CONFIG, tied }, refKernels, { seed: 9, std: 0.3 });
      const want = m.logits(TOKENS);
      const path = join(dir, `model-${tied}.gguf`);
      await writeGgufFile(path, llamaToGguf(m, { tokenizer: tokenizerKvs(), name: "glassbox-export-test" }));
      const be = await openBackend(path, { backend: "llamacpp", threads: 1, nCtx: 64 });
      try {
        const got = new Float32Array(want.length);
        for (let t = 0; t < TOKENS.length; t++) got.set(await be.eval(TOKENS.subarray(t, t + 1), t), t * CONFIG.nVocab);
        const d = maxShiftedDiff(got, want, TOKENS.length, CONFIG.nVocab);
        console.log(`llama.cpp vs training forward (tied=${tied}): max |shifted logit diff| ${d.toExponential(2)} over ${TOKENS.length}x${CONFIG.nVocab}`);
        assert.ok(d < 1e-3, `max diff ${d}`);
      } finally {
        await be.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
