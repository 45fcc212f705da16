/**
 * The proof that our adapters are llama.cpp's: train a LoRA on the shared llama-gqa-f32 model
 * (every target kind, so every shape is exercised) until B is far from 0, write it with
 * loraAdapterToGguf, and compare at every position of a prompt
 *   (1) llama.cpp itself (node-llama-cpp 3.21.1: createContext({ lora }), read through our
 *       llamacpp backend),
 *   (2) our inference engine with the adapter (wasm backend, --lora: extra low-rank matmuls),
 *   (3) the training forward (LoraLlama.logits),
 * and the merged model (mergeLoraIntoGguf, as llama.cpp's export-lora) in both engines against
 * base + adapter.
 *
 * Tolerance (max |difference| of logits shifted so each row's maximum is 0, logits std ~20 and
 * ranges ~150 on this model): 1e-3, the limit the backend parity test uses for F32 llama models.
 * What makes up the difference: the llamacpp backend reads logits back from f32 probabilities at
 * temperature 4 (≈3e-5, logits-from-probs.ts); ggml sums dot products in another order with FMA
 * (≈1e-6 relative, ~1e-4 on logits of magnitude ~100). A wrong layout (A/B transposed, scale
 * alpha/r missed, a target applied to the wrong weight) moves logits by O(1) to O(10): the
 * adapter changes llama.cpp's logits by more than 1 here, which the test also checks.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openBackend, type Backend } from "../../src/backends/index.js";
import { openWasmBackend } from "../../src/backends/wasm.js";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { writeGgufFile } from "../../src/formats/gguf/writer.js";
import { refKernels } from "../../src/kernels/api.js";
import { openLoraAdapter } from "../../src/models/index.js";
import { Tape } from "../../src/tensor/tape.js";
import { AdamW } from "../../src/train/optim.js";
import { mergeLoraIntoGguf } from "../../src/train/lora-gguf.js";
import { LoraLlama } from "../../src/train/lora-llama.js";
import { loraTrainStep } from "../../src/train/lora-step.js";
import { vectorPath } from "../helpers/vectors.js";

const BASE = vectorPath("llamacpp", "llama-gqa-f32.gguf");
const VEC = JSON.parse(readFileSync(vectorPath("llamacpp", "llama-gqa-f32.json"), "utf8")) as { prompts: Array<{ tokens: number[] }> };
const TOKENS = Int32Array.from(VEC.prompts[1]!.tokens);
const N_VOCAB = 32000;
const TOL = 1e-3;

let dir = "";
let adapterPath = "";
let adapterF16Path = "";
let trainLogits: Float32Array;

/** Max |a − b| after shifting each row so its maximum is 0. */
function maxShiftedDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let r = 0; r < a.length / N_VOCAB; r++) {
    let ma = -Infinity, mb = -Infinity;
    for (let j = 0; j < N_VOCAB; j++) { ma = Math.max(ma, a[r * N_VOCAB + j]!); mb = Math.max(mb, b[r * N_VOCAB + j]!); }
    for (let j = 0; j < N_VOCAB; j++) d = Math.max(d, Math.abs(a[r * N_VOCAB + j]! - ma - (b[r * N_VOCAB + j]! - mb)));
  }
  return d;
}

/** Logits after every token, fed one at a time (both backends return the last row only); `kernels` "ref": our reference kernels. */
async function allLogits(model: string, backend: "wasm" | "llamacpp", lora: string[], kernels?: "ref"): Promise<Float32Array> {
  const be: Backend = kernels ? await openWasmBackend(model, { threads: 1, nCtx: 64, lora, kernels }) : await openBackend(model, { backend, threads: 1, nCtx: 64, lora });
  try {
    const out = new Float32Array(TOKENS.length * N_VOCAB);
    for (let t = 0; t < TOKENS.length; t++) out.set(await be.eval(TOKENS.subarray(t, t + 1), t), t * N_VOCAB);
    return out;
  } finally {
    await be.close();
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "glassbox-lora-"));
  const g = GgufFile.open(BASE);
  try {
    const m = new LoraLlama(g, refKernels, {
      rank: 4, alpha: 8, targets: ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "output"],
    }, { seed: 7 });
    const tape = new Tape(refKernels);
    const opt = new AdamW(m.params, { weightDecay: 0 });
    const n = TOKENS.length - 1;
    const input = TOKENS.subarray(0, n), targets = TOKENS.slice(1);
    for (let s = 0; s < 6; s++) loraTrainStep(m, tape, opt, [{ tokens: input, targets, batch: 1 }], { lr: 5e-2, step: s });
    let bMax = 0;
    for (const p of m.adapters.values()) for (const v of p.b.data) bMax = Math.max(bMax, Math.abs(v));
    console.log(`trained adapter: ${m.adapters.size} weights, rank 4, alpha 8, max |B| ${bMax.toFixed(3)}`);
    assert.ok(bMax > 0.1, "B stayed near zero: the round trip would prove nothing");
    trainLogits = m.logits(TOKENS);
    adapterPath = join(dir, "adapter.gguf");
    adapterF16Path = join(dir, "adapter-f16.gguf");
    await writeGgufFile(adapterPath, m.toAdapterGguf({ name: "lora-roundtrip-test" }));
    await writeGgufFile(adapterF16Path, m.toAdapterGguf({ type: "f16" }));
  } finally {
    g.close();
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("adapter GGUF: llama.cpp's keys, names and ne order", () => {
  const g = GgufFile.open(adapterPath);
  try {
    assert.equal(g.get("general.architecture"), "llama");
    assert.equal(g.get("general.type"), "adapter");
    assert.equal(g.get("adapter.type"), "lora");
    assert.equal(g.get("adapter.lora.alpha"), 8);
    const a = g.tensor("blk.0.attn_k.weight.lora_a")!, b = g.tensor("blk.0.attn_k.weight.lora_b")!;
    assert.deepEqual([a.ne, b.ne], [[32, 4], [4, 16]]); // attn_k ne = [n_embd 32, n_embd_kv 16]
    assert.deepEqual(g.tensor("output.weight.lora_b")!.ne, [4, N_VOCAB]);
    assert.equal(g.tensors.length, 2 * (2 * 7 + 1));
  } finally {
    g.close();
  }
  const ad = openLoraAdapter(adapterPath);
  assert.equal(ad.weights.get("blk.1.ffn_down.weight")!.nIn, 96);
});

test("llama.cpp applies our adapter exactly as our engine and the training forward do", async () => {
  const cpp = await allLogits(BASE, "llamacpp", [adapterPath]);
  const ours = await allLogits(BASE, "wasm", [adapterPath]);
  const cppBase = await allLogits(BASE, "llamacpp", []);
  const dOurs = maxShiftedDiff(cpp, ours), dTrain = maxShiftedDiff(cpp, trainLogits), effect = maxShiftedDiff(cpp, cppBase);
  console.log(`llama.cpp + adapter vs wasm engine + adapter: max |shifted logit diff| ${dOurs.toExponential(2)} over ${TOKENS.length}x${N_VOCAB}`);
  console.log(`llama.cpp + adapter vs training forward: ${dTrain.toExponential(2)}; the adapter itself moves llama.cpp's logits by up to ${effect.toFixed(2)}`);
  assert.ok(effect > 1, `the adapter barely changes llama.cpp's logits (${effect}): was it applied?`);
  assert.ok(dOurs < TOL, `wasm vs llama.cpp ${dOurs}`);
  assert.ok(dTrain < TOL, `training forward vs llama.cpp ${dTrain}`);
});

test("F16 adapter: llama.cpp and our engine agree (activations rounded to f16 for A and B, as ggml does)", async () => {
  const cpp = await allLogits(BASE, "llamacpp", [adapterF16Path]);
  const ref = maxShiftedDiff(cpp, await allLogits(BASE, "wasm", [adapterF16Path], "ref"));
  const wasm = maxShiftedDiff(cpp, await allLogits(BASE, "wasm", [adapterF16Path]));
  console.log(`F16 adapter: llama.cpp vs our engine max |shifted logit diff| ${ref.toExponential(2)} (reference kernels), ${wasm.toExponential(2)} (wasm kernels)`);
  assert.ok(ref < TOL, `reference kernels: max diff ${ref}`);
  // the wasm F16 dot product sums in another order than ggml's (backends/parity.test.ts allows 0.1 for F16 models)
  assert.ok(wasm < 5e-2, `wasm kernels: max diff ${wasm}`);
});

test("merged model (export-lora style) gives base + adapter's logits in both engines", async () => {
  const base = GgufFile.open(BASE);
  const mergedPath = join(dir, "merged.gguf");
  try {
    await writeGgufFile(mergedPath, mergeLoraIntoGguf(base, openLoraAdapter(adapterPath)));
  } finally {
    base.close();
  }
  const oursMerged = await allLogits(mergedPath, "wasm", []);
  const oursLora = await allLogits(BASE, "wasm", [adapterPath]);
  const cppMerged = await allLogits(mergedPath, "llamacpp", []);
  const cppLora = await allLogits(BASE, "llamacpp", [adapterPath]);
  const dOurs = maxShiftedDiff(oursMerged, oursLora), dCpp = maxShiftedDiff(cppMerged, cppLora), dX = maxShiftedDiff(cppMerged, oursMerged);
  console.log(`merged vs base+adapter: wasm ${dOurs.toExponential(2)}, llama.cpp ${dCpp.toExponential(2)}; merged llama.cpp vs merged wasm ${dX.toExponential(2)}`);
  for (const d of [dOurs, dCpp, dX]) assert.ok(d < TOL, `max diff ${d}`);
});
