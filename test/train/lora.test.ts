/**
 * LoRA math: the LoRA linear layer against central finite differences (gradcheck.ts explains the
 * error measure and the 1e-2 tolerance), on F32 and Q8_0 bases, with and without dropout; the
 * LoRA llama at initialisation equals the inference engine on the base (B = 0), trains only
 * A and B, and trains on quantized bases (Q8_0, Q4_0) held quantized.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GgmlType } from "../../src/formats/gguf/ggml-types.js";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { refKernels } from "../../src/kernels/api.js";
import { loadModel } from "../../src/models/index.js";
import { quantizeTensor } from "../../src/quant/traits.js";
import { Tape } from "../../src/tensor/tape.js";
import { AdamW } from "../../src/train/optim.js";
import { parseLoraTargets, resolveLoraConfig } from "../../src/train/lora-config.js";
import { FrozenMatrix } from "../../src/train/lora-frozen.js";
import { loraLinear } from "../../src/train/lora-linear.js";
import { LoraLlama } from "../../src/train/lora-llama.js";
import { dropoutSeed, loraTrainStep } from "../../src/train/lora-step.js";
import { mulberry32 } from "../../src/train/init.js";
import { llamaToGguf } from "../../src/train/llama-gguf.js";
import { LlamaTrainable } from "../../src/train/llama.js";
import { serializeGguf } from "../../src/formats/gguf/writer.js";
import { vectorPath } from "../helpers/vectors.js";
import { gradCheck, randTensor, rng } from "../tensor/gradcheck.js";

const k = refKernels;

function frozen(nOut: number, nIn: number, seed: number, type: number = GgmlType.F32): FrozenMatrix {
  const r = rng(seed);
  const w = new Float32Array(nOut * nIn);
  for (let i = 0; i < w.length; i++) w[i] = 2 * r() - 1;
  const bytes = type === GgmlType.F32 ? new Uint8Array(w.buffer) : quantizeTensor(type, w);
  return new FrozenMatrix("w", type, nIn, nOut, bytes);
}

for (const [label, type, nIn] of [["F32 base", GgmlType.F32, 7], ["Q8_0 base", GgmlType.Q8_0, 32]] as const) {
  for (const p of [0, 0.3]) {
    test(`loraLinear gradients vs finite differences (${label}, dropout ${p})`, () => {
      const r = rng(11);
      const nOut = 5, rank = 3, n = 4;
      const w = frozen(nOut, nIn, 3, type);
      const x = randTensor([n, nIn], r), a = randTensor([rank, nIn], r), b = randTensor([nOut, rank], r);
      const build = (tape: Tape) => loraLinear(tape, x, w, { a, b, scale: 1.7 }, p > 0 ? { p, uniform: mulberry32(5) } : undefined);
      const res = gradCheck(k, build, [x, a, b]);
      console.log(`loraLinear (${label}, dropout ${p}): max rel err ${res.maxRelErr.toExponential(2)} (max |grad| ${res.maxGrad.toExponential(2)}, ${res.checked} elements)`);
      assert.ok(res.maxGrad > 0);
      assert.ok(res.maxRelErr < 1e-2, `max rel err ${res.maxRelErr}`);
    });
  }
}

test("loraLinear: W gets no gradient, forward = x·Wᵀ + s·(x·Aᵀ)·Bᵀ computed directly", () => {
  const r = rng(4);
  const nOut = 6, nIn = 5, rank = 2, n = 3;
  const w = frozen(nOut, nIn, 8);
  const x = randTensor([n, nIn], r), a = randTensor([rank, nIn], r), b = randTensor([nOut, rank], r);
  const tape = new Tape(k);
  const y = loraLinear(tape, x, w, { a, b, scale: 0.5 });
  const W = w.values(new Float32Array(0));
  let d = 0;
  for (let t = 0; t < n; t++) {
    for (let o = 0; o < nOut; o++) {
      let s = 0;
      for (let i = 0; i < nIn; i++) s += x.data[t * nIn + i]! * W[o * nIn + i]!;
      let l = 0;
      for (let j = 0; j < rank; j++) {
        let u = 0;
        for (let i = 0; i < nIn; i++) u += x.data[t * nIn + i]! * a.data[j * nIn + i]!;
        l += u * b.data[o * rank + j]!;
      }
      d = Math.max(d, Math.abs(y.data[t * nOut + o]! - (s + 0.5 * l)));
    }
  }
  assert.ok(d < 1e-5, `max diff ${d}`);
  assert.equal(w.isF32, true);
});

test("LoRA config: defaults, targets, errors", () => {
  const c = resolveLoraConfig();
  assert.deepEqual([c.rank, c.alpha, c.dropout, c.targets], [8, 16, 0, ["attn_q", "attn_v"]]);
  assert.deepEqual(parseLoraTargets("attn_q, ffn_up"), ["attn_q", "ffn_up"]);
  assert.equal(parseLoraTargets("all").length, 7);
  for (const bad of [{ rank: 0 }, { rank: 1.5 }, { alpha: 0 }, { dropout: 1 }, { targets: [] }, { targets: ["attn_q", "attn_q"] as const }]) {
    assert.throws(() => resolveLoraConfig(bad as never), { code: "TRAIN_BAD_CONFIG" });
  }
  assert.throws(() => parseLoraTargets("attn_x"), { code: "TRAIN_BAD_CONFIG" });
  assert.notEqual(dropoutSeed(1, 2, 0), dropoutSeed(1, 2, 1));
  assert.notEqual(dropoutSeed(1, 2, 0), dropoutSeed(1, 3, 0));
});

const PROMPT = Int32Array.of(1, 15043, 29892, 3186, 29991, 450, 4996, 17354, 1701, 29916);

test("LoRA llama at init (B = 0) gives the base model's logits, as our inference engine computes them", () => {
  const g = GgufFile.open(vectorPath("llamacpp", "llama-gqa-f32.gguf"));
  try {
    const m = new LoraLlama(g, k, { targets: parseLoraTargets("all").concat("output") }, { seed: 1 });
    assert.equal(m.adapters.size, 2 * 7 + 1);
    for (const p of m.adapters.values()) {
      assert.ok(p.b.data.every((v) => v === 0));
      const bound = 1 / Math.sqrt(p.a.shape[1]!);
      assert.ok(p.a.data.every((v) => Math.abs(v) <= bound) && p.a.data.some((v) => v !== 0));
    }
    const got = m.logits(PROMPT);
    const want = loadModel(g, k, { nCtx: 64 }).eval(PROMPT, 0, { allLogits: true });
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
    console.log(`LoRA llama at init vs inference engine (llama-gqa-f32, logits std ~20): max |diff| ${d.toExponential(2)}`);
    assert.ok(d < 1e-3, `max diff ${d}`);
  } finally {
    g.close();
  }
});

/** A few steps on a repeated sequence; returns losses. */
function train(m: LoraLlama, steps: number, lr: number): number[] {
  const tape = new Tape(m.kernels);
  const opt = new AdamW(m.params, { weightDecay: 0 });
  const T = 8, tokens = new Int32Array(2 * T), targets = new Int32Array(2 * T);
  for (let i = 0; i < 2 * T; i++) { tokens[i] = PROMPT[i % PROMPT.length]!; targets[i] = PROMPT[(i + 1) % PROMPT.length]!; }
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(loraTrainStep(m, tape, opt, [{ tokens, targets, batch: 2 }], { lr, step: s, clip: 1 }).loss);
  return losses;
}

test("LoRA training moves A and B only and lowers the loss (F32 base, dropout 0.1)", () => {
  const g = GgufFile.open(vectorPath("llamacpp", "llama-gqa-f32.gguf"));
  try {
    const m = new LoraLlama(g, k, { rank: 4, alpha: 8, dropout: 0.1, targets: ["attn_q", "attn_v", "ffn_up"] }, { seed: 2 });
    const baseBefore = m.blocks[0]!.w.attn_q.values(new Float32Array(0)).slice();
    const losses = train(m, 12, 2e-2);
    console.log(`F32 base: loss ${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(3)} in ${losses.length} steps`);
    assert.ok(losses.at(-1)! < losses[0]! * 0.9, `loss ${losses[0]} -> ${losses.at(-1)}`);
    assert.deepEqual(m.blocks[0]!.w.attn_q.values(new Float32Array(0)), baseBefore);
    for (const p of m.adapters.values()) assert.ok(p.b.data.some((v) => v !== 0));
  } finally {
    g.close();
  }
});

for (const q of ["q8_0", "q4_0"]) {
  test(`LoRA trains on a ${q.toUpperCase()} base kept quantized`, () => {
    const g = GgufFile.open(vectorPath("llamacpp", `llama-gqa-${q}.gguf`));
    try {
      const m = new LoraLlama(g, k, { rank: 4, alpha: 8 }, { seed: 3 });
      assert.equal(m.blocks[0]!.w.attn_q.isF32, false);
      const f32Bytes = 4 * g.tensors.reduce((s, t) => s + t.ne.reduce((a, b) => a * b, 1), 0);
      console.log(`${q}: base held in ${(m.baseBytes / 1e6).toFixed(2)} MB (f32 would be ${(f32Bytes / 1e6).toFixed(2)} MB), ${m.trainableCount} trainable`);
      assert.ok(m.baseBytes < f32Bytes / 2.5);
      const losses = train(m, 10, 2e-2);
      console.log(`${q} base: loss ${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`);
      assert.ok(losses.at(-1)! < losses[0]! * 0.9, `loss ${losses[0]} -> ${losses.at(-1)}`);
    } finally {
      g.close();
    }
  });
}

test("LoRA llama: a tied head refuses the 'output' target (llama.cpp would adapt token_embd too)", () => {
  const tiny = new LlamaTrainable({ nVocab: 64, nEmbd: 16, nLayer: 1, nHead: 2, nHeadKv: 1, nFf: 32, nCtx: 16, ropeFreqBase: 10000, rmsEps: 1e-5, tied: true }, k, { seed: 1 });
  const g = GgufFile.fromBytes(serializeGguf(llamaToGguf(tiny)));
  assert.throws(() => new LoraLlama(g, k, { targets: ["attn_q", "output"] }), { code: "TRAIN_UNSUPPORTED" });
  assert.equal(new LoraLlama(g, k, { targets: ["attn_q"] }).adapters.size, 1);
});
