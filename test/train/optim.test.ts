/** AdamW against hand-computed steps, gradient clipping, the warmup + cosine schedule, state round trip. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Tensor } from "../../src/tensor/tensor.js";
import { AdamW, clipGradNorm, gradNorm } from "../../src/train/optim.js";
import { lrAt } from "../../src/train/schedule.js";

function param(name: string, values: number[], shape: number[]): Tensor {
  const t = new Tensor(Float32Array.from(values), shape, true, name);
  t.grad = new Float32Array(values.length);
  return t;
}

test("AdamW: hand-computed steps, decoupled decay on matrices only", () => {
  const w = param("w", [1], [1, 1]);      // 2-D: decays
  const n = param("n", [-2], [1]);        // 1-D (a norm): no decay
  const opt = new AdamW([w, n], { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
  // Worked by hand (lr 0.1, wd 0.1):
  //  t=1, g=0.5:   p = 1·0.99 = 0.99; m = 0.05, v = 2.5e-4; m̂ = 0.5, v̂ = 0.25 → p −= 0.1·0.5/0.5 → 0.89
  //  t=2, g=−0.25: p = 0.89·0.99 = 0.8811; m = 0.02, v = 3.1225e-4; m̂ = 0.105263, sqrt(v̂) = 0.395225
  //                → p −= 0.1·0.105263/0.395225 = 0.026634 → 0.854466
  //  t=3, g=0.125: → 0.811879
  // The norm weight with a constant gradient moves by exactly lr per step (m̂/sqrt(v̂) = 1), undecayed.
  const want = [0.89, 0.8544663, 0.8118787];
  const grads = [0.5, -0.25, 0.125];
  for (let s = 0; s < 3; s++) {
    w.grad![0] = grads[s]!;
    n.grad![0] = 0.3;
    opt.step();
    assert.ok(Math.abs(w.data[0]! - want[s]!) < 1e-6, `step ${s + 1}: ${w.data[0]} vs ${want[s]}`);
    assert.ok(Math.abs(n.data[0]! - (-2 - 0.1 * (s + 1))) < 1e-6, `norm weight step ${s + 1}: ${n.data[0]}`);
  }
  assert.equal(opt.stepCount, 3);
});

test("AdamW state round trip continues identically", () => {
  const mk = () => [param("a", [0.5, -1, 2], [3, 1]), param("b", [1, 1], [2])];
  const p1 = mk(), p2 = mk();
  const o1 = new AdamW(p1, { lr: 0.05 });
  for (let s = 0; s < 2; s++) { p1[0]!.grad!.set([0.1 * s, -0.2, 0.3]); p1[1]!.grad!.set([1, -1]); o1.step(); }
  for (let i = 0; i < 2; i++) p2[i]!.data.set(p1[i]!.data);
  const o2 = new AdamW(p2, { lr: 0.05 });
  o2.loadState(o1.state());
  for (const [p, o] of [[p1, o1], [p2, o2]] as const) { p[0]!.grad!.set([0.4, 0.4, -0.4]); p[1]!.grad!.set([0.2, 0.1]); o.step(); }
  assert.deepEqual(p2[0]!.data, p1[0]!.data);
  assert.deepEqual(p2[1]!.data, p1[1]!.data);
  assert.equal(o2.stepCount, 3);
  assert.throws(() => o2.loadState({ step: 1, m: {}, v: {} }), { code: "TRAIN_BAD_STATE" });
});

test("global-norm clipping", () => {
  const a = param("a", [0, 0], [2]), b = param("b", [0], [1]);
  a.grad!.set([3, 0]); b.grad!.set([4]);
  assert.equal(gradNorm([a, b]), 5);
  assert.equal(clipGradNorm([a, b], 10), 5);
  assert.deepEqual([...a.grad!, ...b.grad!], [3, 0, 4]);       // under the limit: untouched
  assert.equal(clipGradNorm([a, b], 1), 5);
  assert.ok(Math.abs(a.grad![0]! - 0.6) < 1e-6 && Math.abs(b.grad![0]! - 0.8) < 1e-6);
  assert.ok(Math.abs(gradNorm([a, b]) - 1) < 1e-6);
});

test("warmup + cosine schedule values", () => {
  const s = { lr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110 };
  assert.equal(lrAt(0, s), 1e-4);                 // (0+1)/10 of peak
  assert.equal(lrAt(4, s), 5e-4);
  assert.equal(lrAt(9, s), 1e-3);                 // end of warmup reaches the peak
  assert.equal(lrAt(10, s), 1e-3);                // cosine starts at the peak
  assert.ok(Math.abs(lrAt(60, s) - 5.5e-4) < 1e-12); // half way: (peak + floor) / 2
  assert.ok(Math.abs(lrAt(35, s) - (1e-4 + 9e-4 * (1 + Math.cos(Math.PI / 4)) / 2)) < 1e-12);
  assert.equal(lrAt(110, s), 1e-4);
  assert.equal(lrAt(1000, s), 1e-4);
  assert.equal(lrAt(0, { lr: 2, totalSteps: 4 }), 2);   // no warmup; default floor lr/10
  assert.equal(lrAt(4, { lr: 2, totalSteps: 4 }), 0.2);
  assert.throws(() => lrAt(0, { lr: 1, warmupSteps: 5, totalSteps: 2 }), { code: "TRAIN_BAD_CONFIG" });
});
