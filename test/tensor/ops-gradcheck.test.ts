/**
 * Every autograd op against central finite differences (gradcheck.ts explains the error measure
 * and why 1e-2 is the tolerance: f32 forward, h = 1e-2, inputs of order 1). Reference kernels,
 * odd sizes on purpose. Each test prints the max relative error it saw.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { refKernels } from "../../src/kernels/api.js";
import { attention } from "../../src/tensor/ops/attention.js";
import { silu, swiglu } from "../../src/tensor/ops/activations.js";
import { crossEntropy } from "../../src/tensor/ops/cross-entropy.js";
import { add, mul } from "../../src/tensor/ops/elementwise.js";
import { embedding } from "../../src/tensor/ops/embedding.js";
import { matmul } from "../../src/tensor/ops/matmul.js";
import { rmsNorm } from "../../src/tensor/ops/rmsnorm.js";
import { rope } from "../../src/tensor/ops/rope.js";
import type { Tape } from "../../src/tensor/tape.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { gradCheck, randTensor, rng } from "./gradcheck.js";

const TOL = 1e-2;
const k = refKernels;

function check(name: string, build: (tape: Tape) => Tensor, inputs: Tensor[], opts: { h?: number; scalar?: boolean } = {}): void {
  const res = gradCheck(k, build, inputs, opts);
  console.log(`${name}: max rel err ${res.maxRelErr.toExponential(2)} (max abs ${res.maxAbsErr.toExponential(2)}, max |grad| ${res.maxGrad.toExponential(2)}, ${res.checked} elements)`);
  assert.ok(res.maxGrad > 0, `${name}: all gradients are zero`);
  assert.ok(res.maxRelErr < TOL, `${name}: max relative error ${res.maxRelErr}`);
}

test("embedding: scatter-add backward, repeated ids", () => {
  const r = rng(1);
  const table = randTensor([7, 5], r);
  const ids = Int32Array.of(3, 1, 3, 6, 0, 3);
  check("embedding", (t) => embedding(t, table, ids), [table]);
});

test("matmul: x·Wᵀ, gradients of x and W", () => {
  const r = rng(2);
  const x = randTensor([4, 6], r), w = randTensor([5, 6], r);
  check("matmul", (t) => matmul(t, x, w), [x, w]);
  const x3 = randTensor([2, 3, 7], r), w3 = randTensor([9, 7], r);
  check("matmul 3-D x", (t) => matmul(t, x3, w3), [x3, w3]);
});

test("rmsNorm with weight", () => {
  const r = rng(3);
  const x = randTensor([3, 9], r), w = randTensor([9], r, 0.5, 1.5);
  check("rmsNorm", (t) => rmsNorm(t, x, w, 1e-5), [x, w]);
});

test("rope NORM and NEOX, arbitrary positions, partial rotation", () => {
  const r = rng(4);
  const x = randTensor([6, 2 * 8], r);
  const pos = Int32Array.of(0, 1, 2, 0, 7, 100);
  check("rope norm", (t) => rope(t, x, 2, 8, pos, { nRot: 8, mode: "norm", freqBase: 10000 }), [x]);
  check("rope neox partial", (t) => rope(t, x, 2, 8, pos, { nRot: 4, mode: "neox", freqBase: 500 }), [x]);
});

test("causal attention with GQA (4 query heads, 2 kv heads), two sequences", () => {
  const r = rng(5);
  const B = 2, T = 5, H = 4, HKV = 2, hd = 3;
  const q = randTensor([B * T, H * hd], r, -2, 2), kk = randTensor([B * T, HKV * hd], r, -2, 2), v = randTensor([B * T, HKV * hd], r);
  check("attention gqa", (t) => attention(t, q, kk, v, { batch: B, seq: T, nHead: H, nHeadKv: HKV, headDim: hd }), [q, kk, v]);
  const q1 = randTensor([T, 2 * hd], r, -2, 2), k1 = randTensor([T, hd], r, -2, 2), v1 = randTensor([T, hd], r);
  check("attention mqa", (t) => attention(t, q1, k1, v1, { batch: 1, seq: T, nHead: 2, nHeadKv: 1, headDim: hd }), [q1, k1, v1]);
});

test("silu, swiglu", () => {
  const r = rng(6);
  const x = randTensor([3, 5], r, -4, 4);
  check("silu", (t) => silu(t, x), [x]);
  const g = randTensor([3, 5], r, -4, 4), u = randTensor([3, 5], r, -2, 2);
  check("swiglu", (t) => swiglu(t, g, u), [g, u]);
});

test("add, mul (and an input used twice)", () => {
  const r = rng(7);
  const a = randTensor([4, 3], r), b = randTensor([4, 3], r);
  check("add", (t) => add(t, a, b), [a, b]);
  check("mul", (t) => mul(t, a, b), [a, b]);
  check("mul(a, a) + a", (t) => add(t, mul(t, a, a), a), [a]);
});

test("cross-entropy with ignored targets", () => {
  const r = rng(8);
  const z = randTensor([6, 7], r, -3, 3);
  const targets = Int32Array.of(2, -1, 0, 6, -1, 3);
  // the loss is stored as one f32 (rounding ~1.5e-7 at ln 7), so a larger step keeps that noise
  // well below the gradients (~1e-3..0.25) while the truncation error stays ~1e-4
  check("crossEntropy", (t) => crossEntropy(t, z, targets), [z], { scalar: true, h: 3e-2 });
  // ignored rows get exactly zero gradient
  for (const row of [1, 4]) for (let j = 0; j < 7; j++) assert.equal(z.grad![row * 7 + j], 0);
});

test("the checker catches a wrong backward", () => {
  const r = rng(9);
  const x = randTensor([3, 4], r);
  const wrong = (t: Tape): Tensor => {
    const y = t.tensor(x.shape, true);
    for (let i = 0; i < x.size; i++) y.data[i] = x.data[i]! * x.data[i]!;
    t.record(() => { const g = t.grad(x); for (let i = 0; i < x.size; i++) g[i] = g[i]! + y.grad![i]! * x.data[i]!; }); // should be 2x
    return y;
  };
  const res = gradCheck(k, wrong, [x]);
  console.log(`deliberately wrong backward: max rel err ${res.maxRelErr.toExponential(2)}`);
  assert.ok(res.maxRelErr > 0.3);
});
