/**
 * The autograd ops give the same forward values and gradients on the wasm kernels (threaded
 * SIMD GEMM, FMA) as on the reference kernels, on shapes large enough to take the threaded paths
 * (odd sizes included), and the RoPE op equals Kernels.rope (the inference numerics).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { refKernels, type Kernels } from "../../src/kernels/api.js";
import { loadWasmKernels } from "../../src/kernels/index.js";
import { rope as kernelRope } from "../../src/kernels/ref/rope.js";
import { swiglu } from "../../src/tensor/ops/activations.js";
import { attention } from "../../src/tensor/ops/attention.js";
import { crossEntropy } from "../../src/tensor/ops/cross-entropy.js";
import { matmul } from "../../src/tensor/ops/matmul.js";
import { rmsNorm } from "../../src/tensor/ops/rmsnorm.js";
import { rope } from "../../src/tensor/ops/rope.js";
import { Tape } from "../../src/tensor/tape.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { randTensor, rng } from "./gradcheck.js";

/** Runs a small composite graph (matmul, rmsNorm, rope, GQA attention, swiglu, cross-entropy) and returns loss, outputs and grads. */
function run(k: Kernels, inputs: Tensor[], targets: Int32Array): Float32Array[] {
  const [x, wq, wk, wv, wg, wu, wo, nw] = inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
  for (const t of inputs) t.grad!.fill(0);
  const tape = new Tape(k);
  const B = 2, T = 37, H = 4, HKV = 2, hd = 16;
  const pos = Int32Array.from({ length: B * T }, (_, i) => i % T);
  const ro = { nRot: hd, mode: "norm" as const, freqBase: 10000 };
  const h = rmsNorm(tape, x, nw, 1e-5);
  const q = rope(tape, matmul(tape, h, wq), H, hd, pos, ro), kk = rope(tape, matmul(tape, h, wk), HKV, hd, pos, ro);
  const a = attention(tape, q, kk, matmul(tape, h, wv), { batch: B, seq: T, nHead: H, nHeadKv: HKV, headDim: hd });
  const f = swiglu(tape, matmul(tape, a, wg), matmul(tape, a, wu));
  const logits = matmul(tape, f, wo);
  const loss = crossEntropy(tape, logits, targets);
  tape.backward(loss);
  const out = [loss.data.slice(), logits.data.slice(), ...inputs.map((t) => t.grad!.slice())];
  tape.reset();
  return out;
}

test("ops on wasm kernels match ref kernels (values and gradients)", async () => {
  const r = rng(21);
  const E = 64, V = 301;
  const inputs = [randTensor([74, E], r), randTensor([64, E], r, -0.3, 0.3), randTensor([32, E], r, -0.3, 0.3), randTensor([32, E], r, -0.3, 0.3),
    randTensor([97, 64], r, -0.3, 0.3), randTensor([97, 64], r, -0.3, 0.3), randTensor([V, 97], r, -0.3, 0.3), randTensor([E], r, 0.5, 1.5)];
  const targets = Int32Array.from({ length: 74 }, (_, i) => (i % 5 === 0 ? -1 : Math.floor(r() * V)));
  const want = run(refKernels, inputs, targets);
  const k = await loadWasmKernels({ threads: 2 });
  try {
    const got = run(k, inputs, targets);
    const names = ["loss", "logits", "dx", "dwq", "dwk", "dwv", "dwg", "dwu", "dwo", "dnorm"];
    for (let i = 0; i < want.length; i++) {
      let d = 0, s = 0;
      for (let j = 0; j < want[i]!.length; j++) { d = Math.max(d, Math.abs(got[i]![j]! - want[i]![j]!)); s = Math.max(s, Math.abs(want[i]![j]!)); }
      console.log(`${names[i]}: max |wasm − ref| ${d.toExponential(2)} (max |ref| ${s.toExponential(2)})`);
      assert.ok(d <= 1e-4 * Math.max(s, 1e-3), `${names[i]}: ${d} vs scale ${s}`); // f32 summation order only
    }
  } finally {
    await k.close();
  }
});

test("rope op equals the rope kernel (inference numerics)", () => {
  const r = rng(22);
  for (const mode of ["norm", "neox"] as const) {
    const x = randTensor([9, 3 * 12], r, -3, 3);
    const pos = Int32Array.of(0, 1, 2, 3, 4, 5, 100, 1000, 4095);
    const o = { nRot: 8, mode, freqBase: 10000 };
    const tape = new Tape(refKernels);
    const y = rope(tape, x, 3, 12, pos, o);
    const want = x.data.slice();
    kernelRope(want, 9, 3, 12, pos, o);
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(y.data[i]! - want[i]!));
    console.log(`rope ${mode} vs kernel: max diff ${d.toExponential(2)}`);
    assert.ok(d <= 1e-6, `${d}`); // one rounding per output here, three in the kernel
  }
});
