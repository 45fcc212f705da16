/**
 * End to end: a tiny llama trained with AdamW + warmup/cosine + clipping + gradient
 * accumulation on a short repeated text must drive its loss down clearly (seeded, wasm kernels).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadWasmKernels } from "../../src/kernels/index.js";
import { Tape } from "../../src/tensor/tape.js";
import { LlamaTrainable } from "../../src/train/llama.js";
import { AdamW } from "../../src/train/optim.js";
import { lrAt } from "../../src/train/schedule.js";
import { trainStep, type MicroBatch } from "../../src/train/step.js";
import { mulberry32 } from "../../src/train/init.js";

test("training on a repeated text: final loss < 0.3 x initial", async () => {
  const text = "the cat sat on the mat. the dog sat on the log. ";
  const chars = [...new Set(text)].sort();
  const ids = Int32Array.from([...text.repeat(8)].map((c) => chars.indexOf(c)));
  const k = await loadWasmKernels({ threads: 2 });
  try {
    const model = new LlamaTrainable({ nVocab: chars.length, nEmbd: 32, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 64, nCtx: 32, ropeFreqBase: 10000, rmsEps: 1e-5, tied: true }, k, { seed: 1 });
    const tape = new Tape(k);
    const opt = new AdamW(model.params, { weightDecay: 0.01, beta2: 0.99 });
    const rnd = mulberry32(7);
    const T = 24, B = 4;
    const batch = (): MicroBatch => {
      const tokens = new Int32Array(B * T), targets = new Int32Array(B * T);
      for (let b = 0; b < B; b++) {
        const s = Math.floor(rnd() * (ids.length - T - 1));
        tokens.set(ids.subarray(s, s + T), b * T);
        targets.set(ids.subarray(s + 1, s + T + 1), b * T);
        targets[b * T] = -1; // masked position: contributes nothing
      }
      return { tokens, targets, batch: B };
    };
    const steps = 60;
    const sched = { lr: 1e-2, minLr: 1e-3, warmupSteps: 5, totalSteps: steps };
    let first = 0, last = 0;
    for (let s = 0; s < steps; s++) {
      const r = trainStep(model, tape, opt, [batch(), batch()], { lr: lrAt(s, sched), clip: 1 });
      if (s === 0) first = r.loss;
      last = r.loss;
      if (s % 10 === 0 || s === steps - 1) console.log(`step ${s}: loss ${r.loss.toFixed(4)} grad norm ${r.gradNorm.toFixed(3)}`);
    }
    console.log(`initial loss ${first.toFixed(4)} (ln ${chars.length} = ${Math.log(chars.length).toFixed(4)}), final ${last.toFixed(4)}, ratio ${(last / first).toFixed(3)}`);
    assert.ok(Math.abs(first - Math.log(chars.length)) < 0.1, "an untrained model starts near uniform");
    assert.ok(last < 0.3 * first, `final ${last} vs initial ${first}`);
  } finally {
    await k.close();
  }
});
