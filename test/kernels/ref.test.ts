// Reference kernels against ggml's own quantizer/dequantizer outputs (shared vectors) and against
// straightforward float64 formulas. Prints the max difference per check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readF32Vector, readVector } from "../helpers/vectors.js";
import { GgmlType } from "../../src/formats/gguf/ggml-types.js";
import {
  attention, dequantizeRow, fp16ToFp32, fp32ToFp16, gelu, geluTanhF32, layerNorm, matmul,
  quantizeRowQ8_0, quantizeRowQ8_K, rmsNorm, rope, rowBytes, silu, softmax, weightMatrix, alibiSlope,
} from "../../src/kernels/ref/index.js";
import { rng, randn } from "./random.js";

const INPUTS = ["gauss", "uniform", "outliers", "mixed", "tiny"];
const TYPES: Record<string, number> = { f16: GgmlType.F16, q8_0: GgmlType.Q8_0, q4_0: GgmlType.Q4_0, q4_K: GgmlType.Q4_K, q6_K: GgmlType.Q6_K };

test("fp32ToFp16 is bit-identical to ggml on every f16 vector (edge cases included)", () => {
  let n = 0;
  for (const name of [...INPUTS, "edge"]) {
    const x = readF32Vector("quant", "input", `${name}.f32`);
    const q = readVector("quant", "f16", `${name}.q`);
    for (let i = 0; i < x.length; i++) {
      const want = q[2 * i]! | (q[2 * i + 1]! << 8);
      assert.equal(fp32ToFp16(x[i]!), want, `${name}[${i}] = ${x[i]}`);
      const back = fp16ToFp32(want);
      if (!Number.isNaN(back)) assert.equal(fp16ToFp32(fp32ToFp16(back)), back);
      n++;
    }
  }
  console.log(`fp16: ${n} values, 0 mismatches`);
});

test("dequantizeRow matches ggml's dequantized vectors exactly", () => {
  for (const [tname, type] of Object.entries(TYPES)) {
    for (const name of INPUTS) {
      const q = readVector("quant", tname, `${name}.q`);
      const want = readF32Vector("quant", tname, `${name}.deq.f32`);
      const w = weightMatrix(type, [512, 4], q);
      const got = new Float32Array(2048);
      for (let r = 0; r < 4; r++) dequantizeRow(w, r, got, r * 512);
      for (let i = 0; i < 2048; i++) assert.ok(Object.is(got[i], want[i]) || got[i] === want[i], `${tname}/${name}[${i}]: ${got[i]} vs ${want[i]}`);
    }
    console.log(`dequantizeRow ${tname}: 5 inputs x 2048 values, max diff 0`);
  }
});

test("quantizeRowQ8_K is byte-identical to ggml's quantize_row_q8_K_ref", () => {
  for (const name of INPUTS) {
    const x = readF32Vector("quant", "input", `${name}.f32`);
    const q = readVector("quant", "q8_K", `${name}.q`);
    const dv = new DataView(q.buffer, q.byteOffset, q.byteLength);
    const a = quantizeRowQ8_K(x, 2048);
    for (let b = 0; b < 8; b++) {
      const o = b * 292;
      const d = dv.getFloat32(o, true);
      assert.equal(a.d[b], d, `${name} block ${b} d`);
      if (d === 0) continue; // ggml leaves bsums unset for an all-zero block
      for (let j = 0; j < 256; j++) assert.equal(a.qs[b * 256 + j], dv.getInt8(o + 4 + j));
      for (let j = 0; j < 16; j++) assert.equal(a.bsums![b * 16 + j], dv.getInt16(o + 260 + 2 * j, true));
    }
  }
  console.log("quantizeRowQ8_K: 5 inputs x 8 blocks identical");
});

test("quantizeRowQ8_0 agrees with ggml's reference Q8_0 up to the 127/amax vs 1/d multiplier", () => {
  let diffs = 0;
  for (const name of INPUTS) {
    const x = readF32Vector("quant", "input", `${name}.f32`);
    const q = readVector("quant", "q8_0", `${name}.q`);
    const a = quantizeRowQ8_0(x, 2048);
    for (let b = 0; b < 64; b++) {
      assert.equal(fp32ToFp16(a.d[b]!), q[b * 34]! | (q[b * 34 + 1]! << 8));
      for (let j = 0; j < 32; j++) {
        const d = Math.abs(a.qs[b * 32 + j]! - ((q[b * 34 + 2 + j]! << 24) >> 24));
        assert.ok(d <= 1);
        diffs += d;
      }
    }
  }
  console.log(`quantizeRowQ8_0: quants differing by 1 from quantize_row_q8_0_ref: ${diffs} of 10240`);
});

test("Q8_0 activation ties round away from zero; Q8_K ties to even", () => {
  const x = new Float32Array(32);
  x.set([127, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5, Math.fround(0.49999997), 126.5]);
  const a = quantizeRowQ8_0(x, 32);
  assert.deepEqual(Array.from(a.qs.subarray(0, 9)), [127, 3, -3, 1, -1, 2, -2, 0, 127]);
  const y = new Float32Array(256);
  y.set([-127, 2.5, -2.5, 0.5, 1.5]); // max = -127 -> iscale = -127/max = 1
  const b = quantizeRowQ8_K(y, 256);
  assert.deepEqual(Array.from(b.qs.subarray(0, 5)), [-127, 2, -2, 0, 2]);
});

/** f64 dot of the dequantized weight row and the dequantized (quantized) activation. */
function expectedDot(type: number, w: ReturnType<typeof weightMatrix>, row: number, x: Float32Array): { v: number; mag: number } {
  const wr = new Float32Array(w.nIn);
  dequantizeRow(w, row, wr);
  let xa: Float32Array;
  if (type === GgmlType.Q8_0 || type === GgmlType.Q4_0) {
    const a = quantizeRowQ8_0(x, w.nIn);
    xa = Float32Array.from(a.qs, (q, i) => q * a.d[i >> 5]!);
  } else if (type === GgmlType.Q4_K || type === GgmlType.Q6_K) {
    const a = quantizeRowQ8_K(x, w.nIn);
    xa = Float32Array.from(a.qs, (q, i) => q * a.d[i >> 8]!);
  } else if (type === GgmlType.F16) {
    xa = Float32Array.from(x, (v) => fp16ToFp32(fp32ToFp16(v)));
  } else xa = x;
  let v = 0, mag = 0;
  for (let i = 0; i < w.nIn; i++) { v += wr[i]! * xa[i]!; mag += Math.abs(wr[i]! * xa[i]!); }
  return { v, mag };
}

test("matmul equals the f64 product of dequantized weights and the emulated activation", () => {
  const r = rng(7);
  for (const [tname, type] of Object.entries({ f32: GgmlType.F32, ...TYPES })) {
    const src = readVector("quant", tname === "f32" ? "input" : tname, tname === "f32" ? "gauss.f32" : "gauss.q");
    const w = weightMatrix(type, [512, 4], src);
    assert.equal(w.rowBytes, rowBytes(type, 512));
    const nTok = 3;
    const x = randn(r, nTok * 512);
    const out = new Float32Array(nTok * 4);
    matmul(out, x, nTok, w);
    let maxRel = 0;
    for (let t = 0; t < nTok; t++) {
      for (let o = 0; o < 4; o++) {
        const e = expectedDot(type, w, o, x.subarray(t * 512, (t + 1) * 512));
        const rel = Math.abs(out[t * 4 + o]! - e.v) / e.mag;
        maxRel = Math.max(maxRel, rel);
      }
    }
    console.log(`matmul ${tname}: max |diff| / sum|products| = ${maxRel.toExponential(2)}`);
    assert.ok(maxRel < 1e-6, `${tname} rel ${maxRel}`);
  }
});

test("rmsNorm and layerNorm match float64 formulas", () => {
  const r = rng(3);
  const n = 37, rows = 3;
  const x = randn(r, rows * n), w = randn(r, n), b = randn(r, n);
  const y = new Float32Array(rows * n), z = new Float32Array(rows * n);
  rmsNorm(y, x, rows, n, 1e-5, w);
  layerNorm(z, x, rows, n, 1e-5, w, b);
  let m1 = 0, m2 = 0;
  for (let k = 0; k < rows; k++) {
    const row = x.subarray(k * n, (k + 1) * n);
    const ms = row.reduce((s, v) => s + v * v, 0) / n;
    const mean = row.reduce((s, v) => s + v, 0) / n;
    const vr = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    for (let i = 0; i < n; i++) {
      m1 = Math.max(m1, Math.abs(y[k * n + i]! - (row[i]! / Math.sqrt(ms + 1e-5)) * w[i]!));
      m2 = Math.max(m2, Math.abs(z[k * n + i]! - (((row[i]! - mean) / Math.sqrt(vr + 1e-5)) * w[i]! + b[i]!)));
    }
  }
  console.log(`rmsNorm max diff ${m1.toExponential(2)}, layerNorm max diff ${m2.toExponential(2)}`);
  assert.ok(m1 < 1e-5 && m2 < 1e-5);
});

test("rope NORM/NEOX with partial rotary and freq factors match the float64 rotation", () => {
  const r = rng(11);
  const nT = 3, nH = 2, hd = 16;
  let maxd = 0;
  for (const mode of ["norm", "neox"] as const) {
    for (const nRot of [16, 4]) {
      const ff = Float32Array.from({ length: nRot / 2 }, (_, i) => 1 + i * 0.5);
      for (const freqFactors of [undefined, ff]) {
        const x = randn(r, nT * nH * hd);
        const y = x.slice();
        const pos = Int32Array.from([0, 5, 17]);
        rope(y, nT, nH, hd, pos, { nRot, mode, freqBase: 10000, freqScale: 0.5, freqFactors });
        for (let t = 0; t < nT; t++) for (let h = 0; h < nH; h++) {
          const o = (t * nH + h) * hd;
          for (let i = 0; i < nRot / 2; i++) {
            const th = (0.5 * pos[t]! * Math.pow(10000, (-2 * i) / nRot)) / (freqFactors ? freqFactors[i]! : 1);
            const [ia, ib] = mode === "norm" ? [o + 2 * i, o + 2 * i + 1] : [o + i, o + i + nRot / 2];
            const a = x[ia]!, b = x[ib]!;
            maxd = Math.max(maxd, Math.abs(y[ia]! - (a * Math.cos(th) - b * Math.sin(th))), Math.abs(y[ib]! - (a * Math.sin(th) + b * Math.cos(th))));
          }
          for (let i = nRot; i < hd; i++) assert.equal(y[o + i], x[o + i]);
        }
      }
    }
  }
  console.log(`rope max diff ${maxd.toExponential(2)}`);
  assert.ok(maxd < 1e-4);
});

test("attention (GQA, ALiBi, causal with a cache offset) matches float64 attention", () => {
  const r = rng(5);
  const nTokens = 3, nHead = 4, nHeadKv = 2, headDim = 8, pos0 = 2, nKv = 5;
  const q = randn(r, nTokens * nHead * headDim), k = randn(r, nKv * nHeadKv * headDim), v = randn(r, nKv * nHeadKv * headDim);
  for (const maxBias of [0, 8]) {
    const out = new Float32Array(nTokens * nHead * headDim);
    attention(out, q, k, v, { nTokens, nHead, nHeadKv, headDim, pos0, maxBias });
    let maxd = 0;
    for (let t = 0; t < nTokens; t++) for (let h = 0; h < nHead; h++) {
      const g = h >> 1, p = pos0 + t;
      const s: number[] = [];
      for (let j = 0; j <= p; j++) {
        let d = 0;
        for (let i = 0; i < headDim; i++) d += q[(t * nHead + h) * headDim + i]! * k[(j * nHeadKv + g) * headDim + i]!;
        s.push(d / Math.sqrt(headDim) + (maxBias ? Math.pow(2, (-8 * (h + 1)) / nHead) * (j - p) : 0));
      }
      const m = Math.max(...s);
      const e = s.map((z) => Math.exp(z - m));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < headDim; i++) {
        let acc = 0;
        for (let j = 0; j <= p; j++) acc += (e[j]! / sum) * v[(j * nHeadKv + g) * headDim + i]!;
        maxd = Math.max(maxd, Math.abs(acc - out[(t * nHead + h) * headDim + i]!));
      }
    }
    console.log(`attention maxBias=${maxBias}: max diff ${maxd.toExponential(2)}`);
    assert.ok(maxd < 1e-5);
  }
  assert.equal(alibiSlope(0, 4, 8), 0.25);
});

test("softmax, silu, gelu", () => {
  const x = Float32Array.from([1, 2, 3, -1e30, 0.5, 0.5]);
  const y = new Float32Array(6);
  softmax(y, x, 2, 3);
  assert.ok(Math.abs(y[0]! + y[1]! + y[2]! - 1) < 1e-6 && y[3] === 0 && Math.abs(y[4]! - 0.5) < 1e-7);
  const g = Float32Array.from([-11, -10, -1, 0, 0.5, 3, 10, 12]);
  const go = new Float32Array(8);
  gelu(go, g, 8);
  assert.deepEqual(Array.from(go.subarray(0, 2)), [0, 0]);
  assert.equal(go[6], 10); assert.equal(go[7], 12); assert.equal(go[3], 0);
  let maxRel = 0;
  for (let i = 2; i < 6; i++) maxRel = Math.max(maxRel, Math.abs(go[i]! - geluTanhF32(g[i]!)) / Math.max(1e-3, Math.abs(geluTanhF32(g[i]!))));
  console.log(`gelu (fp16 table) vs tanh-gelu max rel diff ${maxRel.toExponential(2)}`);
  assert.ok(maxRel < 2e-3);
  const s = new Float32Array(1);
  silu(s, Float32Array.from([2]), 1);
  assert.ok(Math.abs(s[0]! - 2 / (1 + Math.exp(-2))) < 1e-6);
});
