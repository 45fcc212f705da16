// The shared kernel suite: every WebAssembly kernel against its reference (src/kernels/ref) on
// seeded random shapes, odd sizes included, with 1 and 2 threads, for the SIMD128 build and the
// relaxed-SIMD build. Prints the max difference per kernel and configuration.
//
// Tolerances: quantized matmuls (Q8_0, Q4_0, Q4_K, Q6_K), RoPE, GELU, element-wise ops, get_rows:
// exact (same integer sums and the same f32 operations in the same order). RMSNorm/LayerNorm:
// 1e-6 relative (f64 sum order). F16 matmul and f32 GEMM: |diff| <= 1e-5 * Σ|products| (f32
// summation order; the relaxed build also fuses multiply-adds). Softmax, SiLU, SwiGLU: 1e-6
// relative (AssemblyScript's exp vs V8's, both within 1 ulp in f64). Attention: 1e-5 absolute
// (score dot products summed in another order).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { GgmlType } from "../../src/formats/gguf/ggml-types.js";
import { loadWasmKernels, refKernels, type Kernels, type WasmKernels } from "../../src/kernels/index.js";
import { randomWeight } from "./quant-random.js";
import { fp32ToFp16, weightMatrix } from "../../src/kernels/ref/index.js";
import { randint, randn, rng } from "./random.js";

function maxAbs(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}

function maxRel(a: Float32Array, b: Float32Array, floor = 1e-30): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(floor, Math.abs(b[i]!)));
  return m;
}

const CONFIGS = [
  { threads: 1, relaxed: false },
  { threads: 2, relaxed: false },
  { threads: 1, relaxed: "auto" as const },
  { threads: 2, relaxed: "auto" as const },
];

for (const cfg of CONFIGS) {
  describe(`wasm kernels, threads=${cfg.threads}, relaxed=${cfg.relaxed}`, () => {
    let k: WasmKernels;
    const tag = (): string => `[${k.name} t=${k.threads}]`;
    before(async () => { k = await loadWasmKernels(cfg); });
    after(async () => { await k.close(); });

    test("first calls (V8's baseline tier, before tier-up) match the reference", () => {
      // Runs before any other kernel call on this instance, so the code still runs in Liftoff.
      // This caught Node 20's Liftoff bug in i32x4.relaxed_dot_i8x16_i7x16_add_s (2x, addend dropped).
      const r = rng(900 + cfg.threads);
      for (const [type, nIn] of [[GgmlType.Q4_0, 96], [GgmlType.Q8_0, 96], [GgmlType.Q4_K, 256], [GgmlType.Q6_K, 256], [GgmlType.F32, 40]] as const) {
        const w = randomWeight(r, type, nIn, 16);
        const x = randn(r, 5 * nIn);
        const want = new Float32Array(5 * 16), got = new Float32Array(5 * 16);
        refKernels.matmul(want, x, 5, w);
        k.matmul(got, x, 5, w);
        const d = maxAbs(got, want);
        if (type === GgmlType.F32) assert.ok(d < 1e-4, `first-call f32 ${d}`);
        else assert.equal(d, 0, `first-call type ${type}`);
      }
    });

    test("matmulMulti equals one matmul per weight (fused and unfused groups)", () => {
      const r = rng(1500 + cfg.threads);
      // [types, nIn]: one layout (fused for 1-3 tokens), K-quants mixed (fused), Q8_0 + Q4_0 (not fused)
      const groups: [number[], number][] = [
        [[GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q4_0], 32 * 13],
        [[GgmlType.Q8_0, GgmlType.Q8_0], 32 * 7],
        [[GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q6_K], 512],
        [[GgmlType.F16, GgmlType.F16], 67],
        [[GgmlType.F32, GgmlType.F32, GgmlType.F32], 515],
        [[GgmlType.Q8_0, GgmlType.Q4_0], 64],
      ];
      let worst = 0;
      for (const [types, nIn] of groups) for (const nTok of [1, 2, 5]) {
        const nOuts = types.map((_, i) => [37, 129, 1, 64][i]!);
        const ws = types.map((t, i) => randomWeight(r, t, nIn, nOuts[i]!));
        const x = randn(r, nTok * nIn);
        const wants = ws.map((w) => { const o = new Float32Array(nTok * w.nOut); k.matmul(o, x, nTok, w); return o; });
        const gots = ws.map((w) => new Float32Array(nTok * w.nOut));
        k.matmulMulti(gots, x, nTok, ws);
        for (let i = 0; i < ws.length; i++) {
          assert.deepEqual(gots[i], wants[i], `types ${types} nIn ${nIn} nTok ${nTok} weight ${i}`);
          const ref = new Float32Array(nTok * ws[i]!.nOut);
          refKernels.matmul(ref, x, nTok, ws[i]!);
          if (types[i] !== GgmlType.F16 && types[i] !== GgmlType.F32) worst = Math.max(worst, maxAbs(gots[i]!, ref));
        }
      }
      assert.equal(worst, 0, "quantized outputs of matmulMulti differ from the reference");
      assert.throws(() => k.matmulMulti([new Float32Array(1)], new Float32Array(32), 1, []), /KERNEL_BAD_SHAPE|outputs/);
      console.log(`${tag()} matmulMulti: identical to matmul; quantized max diff vs ref ${worst.toExponential(2)}`);
    });

    test("quantized matmul is bit-identical; F16 and F32 within summation-order tolerance", () => {
      const r = rng(1000 + cfg.threads);
      const cases: [string, number, number][] = [["f32", GgmlType.F32, 1], ["f16", GgmlType.F16, 1], ["q8_0", GgmlType.Q8_0, 32], ["q4_0", GgmlType.Q4_0, 32], ["q4_K", GgmlType.Q4_K, 256], ["q6_K", GgmlType.Q6_K, 256]];
      for (const [name, type, blk] of cases) {
        let worst = 0;
        for (let rep = 0; rep < 3; rep++) {
          const nIn = blk === 1 ? [7, 67, 515][rep]! : blk === 32 ? 32 * [1, 7, 13][rep]! : 256 * [1, 2, 3][rep]!; // block tails and 4-block groups
          const nOut = [1, 37, 129][rep]!;
          const nTok = [1, 3, 5][rep]!;
          const w = randomWeight(r, type, nIn, nOut);
          const x = randn(r, nTok * nIn);
          const want = new Float32Array(nTok * nOut), got = new Float32Array(nTok * nOut);
          refKernels.matmul(want, x, nTok, w);
          k.matmul(got, x, nTok, w);
          // a second call through wasm-memory buffers (no copies) must agree too
          const xw = k.alloc(nTok * nIn); xw.set(x);
          const ow = k.alloc(nTok * nOut);
          k.matmul(ow, xw, nTok, w);
          assert.deepEqual(ow, got);
          const d = maxAbs(got, want);
          if (type === GgmlType.F32 || type === GgmlType.F16) {
            // bound: 1e-5 * sum |w_i x_i| per output
            const wr = new Float32Array(nIn);
            for (let t = 0; t < nTok; t++) for (let o = 0; o < nOut; o++) {
              refKernels.getRows(wr, w, [o]);
              let mag = 0;
              for (let i = 0; i < nIn; i++) mag += Math.abs(wr[i]! * x[t * nIn + i]!);
              assert.ok(Math.abs(got[t * nOut + o]! - want[t * nOut + o]!) <= 1e-5 * mag, `${name} t=${t} o=${o}`);
            }
          } else {
            assert.equal(d, 0, `${name} nIn=${nIn} nOut=${nOut} nTok=${nTok}`);
          }
          worst = Math.max(worst, d);
        }
        console.log(`${tag()} matmul ${name}: max diff ${worst.toExponential(2)}`);
      }
    });

    test("F16 mat-vec with subnormal, zero and large halves (exact path) and odd lengths", () => {
      const r = rng(1100 + cfg.threads);
      for (const nIn of [16, 40, 771]) {
        const nOut = 9;
        const h = new Uint16Array(nIn * nOut);
        for (let i = 0; i < h.length; i++) {
          const u = r();
          // mostly normal halves; some subnormal (exponent 0), zero and near-max values
          h[i] = u < 0.1 ? 1 + Math.floor(r() * 1023) | (r() < 0.5 ? 0x8000 : 0) : u < 0.15 ? 0 : u < 0.2 ? 0x7bff : fp32ToFp16((r() - 0.5) * 2);
        }
        const w = weightMatrix(GgmlType.F16, [nIn, nOut], new Uint8Array(h.buffer));
        const x = randn(r, nIn);
        x[0] = 3e-5; // an f16-subnormal activation
        const want = new Float32Array(nOut), got = new Float32Array(nOut);
        refKernels.matmul(want, x, 1, w);
        k.matmul(got, x, 1, w);
        const wr = new Float32Array(nIn);
        for (let o = 0; o < nOut; o++) {
          refKernels.getRows(wr, w, [o]);
          let mag = 0;
          for (let i = 0; i < nIn; i++) mag += Math.abs(wr[i]! * x[i]!);
          assert.ok(Math.abs(got[o]! - want[o]!) <= 1e-5 * mag, `nIn=${nIn} o=${o}: ${got[o]} vs ${want[o]}`);
        }
      }
    });

    test("Q8_0/Q8_K activation rounding ties match the reference", () => {
      const r = rng(1500 + cfg.threads);
      const n = 256;
      const x = new Float32Array(3 * n);
      for (let i = 0; i < x.length; i++) x[i] = (Math.floor(r() * 254) - 127) / 2; // many exact .5 ties
      for (let b = 0; b < x.length; b += 32) x[b] = 127; // amax 127: multiplier 1, ties stay ties
      for (const type of [GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K]) {
        const w = randomWeight(r, type, n, 24);
        const want = new Float32Array(3 * 24), got = new Float32Array(3 * 24);
        refKernels.matmul(want, x, 3, w);
        k.matmul(got, x, 3, w);
        assert.equal(maxAbs(got, want), 0, `type ${type}`);
      }
    });

    test("gemmF32 (packed 4x8 tiles, odd M/N/K, accumulate)", () => {
      const r = rng(2000 + cfg.threads);
      let worst = 0;
      for (const [M, N, K] of [[1, 1, 1], [1, 19, 700], [5, 9, 7], [13, 17, 300], [64, 40, 33], [4, 8, 513]] as const) {
        const a = randn(r, M * K), b = randn(r, K * N);
        for (const acc of [false, true]) {
          const c0 = randn(r, M * N);
          const want = c0.slice(), got = c0.slice();
          refKernels.gemmF32(want, a, b, M, N, K, acc);
          k.gemmF32(got, a, b, M, N, K, acc);
          // the same product from Aᵀ and/or Bᵀ: packing moves data only, so bit-identical to `got`
          const at = new Float32Array(M * K), bt = new Float32Array(K * N);
          for (let i = 0; i < M; i++) for (let q = 0; q < K; q++) at[q * M + i] = a[i * K + q]!;
          for (let q = 0; q < K; q++) for (let j = 0; j < N; j++) bt[j * K + q] = b[q * N + j]!;
          for (const [ta, tb] of [[true, false], [false, true], [true, true]] as const) {
            const again = c0.slice(), refT = c0.slice();
            k.gemmF32(again, ta ? at : a, tb ? bt : b, M, N, K, acc, ta, tb);
            assert.equal(maxAbs(again, got), 0, `transA=${ta} transB=${tb} M=${M} N=${N} K=${K}`);
            refKernels.gemmF32(refT, ta ? at : a, tb ? bt : b, M, N, K, acc, ta, tb);
            assert.equal(maxAbs(refT, want), 0, `ref transA=${ta} transB=${tb}`);
          }
          for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
            let mag = acc ? Math.abs(c0[i * N + j]!) : 0;
            for (let q = 0; q < K; q++) mag += Math.abs(a[i * K + q]! * b[q * N + j]!);
            assert.ok(Math.abs(got[i * N + j]! - want[i * N + j]!) <= 1e-5 * mag + 1e-30, `M=${M} N=${N} K=${K} acc=${acc} (${i},${j})`);
          }
          worst = Math.max(worst, maxAbs(got, want));
        }
      }
      console.log(`${tag()} gemmF32: max diff ${worst.toExponential(2)}`);
    });

    test("rmsNorm, layerNorm, softmax", () => {
      const r = rng(3000 + cfg.threads);
      let dr = 0, dl = 0, ds = 0;
      for (const [rows, n] of [[1, 5], [3, 67], [9, 1001], [40, 1024]] as const) {
        const x = randn(r, rows * n, 3), w = randn(r, n), b = randn(r, n);
        for (const useW of [false, true]) {
          const want = new Float32Array(rows * n), got = new Float32Array(rows * n);
          refKernels.rmsNorm(want, x, rows, n, 1e-5, useW ? w : undefined);
          k.rmsNorm(got, x, rows, n, 1e-5, useW ? w : undefined);
          dr = Math.max(dr, maxRel(got, want, 1e-3));
          refKernels.layerNorm(want, x, rows, n, 1e-5, useW ? w : undefined, useW ? b : undefined);
          k.layerNorm(got, x, rows, n, 1e-5, useW ? w : undefined, useW ? b : undefined);
          dl = Math.max(dl, maxRel(got, want, 1e-3));
        }
        const want = new Float32Array(rows * n), got = new Float32Array(rows * n);
        refKernels.softmax(want, x, rows, n, 0.7);
        k.softmax(got, x, rows, n, 0.7);
        ds = Math.max(ds, maxRel(got, want, 1e-20));
        // in place (out aliases x) through wasm memory
        const xw = k.alloc(rows * n); xw.set(x);
        k.softmax(xw, xw, rows, n, 0.7);
        assert.deepEqual(xw, got);
      }
      console.log(`${tag()} rmsNorm max rel ${dr.toExponential(2)}, layerNorm max rel ${dl.toExponential(2)}, softmax max rel ${ds.toExponential(2)}`);
      assert.ok(dr <= 1e-6 && dl <= 1e-6 && ds <= 1e-6);
    });

    test("rope (norm/neox, partial, freq factors, YaRN) is exact", () => {
      const r = rng(4000 + cfg.threads);
      let worst = 0;
      for (const mode of ["norm", "neox"] as const) {
        for (const [nT, nH, hd, nRot] of [[1, 1, 2, 2], [3, 5, 16, 4], [7, 4, 64, 64], [33, 8, 128, 96]] as const) {
          const x = randn(r, nT * nH * hd);
          const pos = Int32Array.from({ length: nT }, () => randint(r, 0, 3000));
          const ff = Float32Array.from({ length: nRot / 2 }, () => 1 + r() * 7);
          for (const o of [
            { nRot, mode, freqBase: 10000 },
            { nRot, mode, freqBase: 500000, freqScale: 0.25, freqFactors: ff },
            { nRot, mode, freqBase: 10000, freqScale: 0.25, extFactor: 1, nCtxOrig: 4096 },
          ]) {
            const want = x.slice(), got = x.slice();
            refKernels.rope(want, nT, nH, hd, pos, o);
            k.rope(got, nT, nH, hd, pos, o);
            const d = maxAbs(got, want);
            assert.equal(d, 0);
            worst = Math.max(worst, d);
          }
        }
      }
      console.log(`${tag()} rope: max diff ${worst}`);
    });

    test("attention (MHA, GQA, MQA, ALiBi, cache offset)", () => {
      const r = rng(5000 + cfg.threads);
      let worst = 0;
      for (const [nTokens, nHead, nHeadKv, headDim, pos0] of [[1, 1, 1, 4, 0], [5, 4, 2, 8, 3], [1, 8, 1, 67, 40], [17, 6, 3, 64, 0], [3, 16, 16, 32, 100], [10, 4, 2, 12, 7], [9, 2, 1, 67, 30]] as const) {
        const nKv = pos0 + nTokens;
        const q = randn(r, nTokens * nHead * headDim), kk = randn(r, nKv * nHeadKv * headDim), v = randn(r, nKv * nHeadKv * headDim);
        for (const maxBias of [0, 8]) {
          const want = new Float32Array(q.length), got = new Float32Array(q.length);
          const o = { nTokens, nHead, nHeadKv, headDim, pos0, maxBias };
          refKernels.attention(want, q, kk, v, o);
          k.attention(got, q, kk, v, o);
          const d = maxAbs(got, want);
          assert.ok(d <= 1e-5, `attention ${JSON.stringify(o)}: ${d}`);
          worst = Math.max(worst, d);
        }
      }
      console.log(`${tag()} attention: max diff ${worst.toExponential(2)}`);
    });

    test("silu, swiglu, gelu, add, mul, scale, addRow, mulRow, getRows", () => {
      const r = rng(6000 + cfg.threads);
      const res: Record<string, number> = {};
      const note = (name: string, d: number): void => { res[name] = Math.max(res[name] ?? 0, d); };
      for (const n of [1, 3, 1027, 70001]) {
        const x = randn(r, n, 6), y = randn(r, n);
        const want = new Float32Array(n), got = new Float32Array(n);
        refKernels.silu(want, x, n); k.silu(got, x, n); note("silu", maxRel(got, want, 1e-30));
        refKernels.swiglu(want, x, y, n); k.swiglu(got, x, y, n); note("swiglu", maxRel(got, want, 1e-30));
        const xg = Float32Array.from(x, (v, i) => (i % 97 === 0 ? v * 3 : v)); // reach the |x| >= 10 branches
        refKernels.gelu(want, xg, n); k.gelu(got, xg, n); note("gelu", maxAbs(got, want));
        refKernels.add(want, x, y, n); k.add(got, x, y, n); note("add", maxAbs(got, want));
        refKernels.mul(want, x, y, n); k.mul(got, x, y, n); note("mul", maxAbs(got, want));
        refKernels.scale(want, x, 0.37, n); k.scale(got, x, 0.37, n); note("scale", maxAbs(got, want));
      }
      for (const [rows, n] of [[1, 7], [50, 1001]] as const) {
        const x = randn(r, rows * n), row = randn(r, n);
        const want = new Float32Array(rows * n), got = new Float32Array(rows * n);
        refKernels.addRow(want, x, row, rows, n); k.addRow(got, x, row, rows, n); note("addRow", maxAbs(got, want));
        refKernels.mulRow(want, x, row, rows, n); k.mulRow(got, x, row, rows, n); note("mulRow", maxAbs(got, want));
      }
      for (const type of [GgmlType.F32, GgmlType.Q4_K]) {
        const w = randomWeight(r, type, 256, 10);
        const want = new Float32Array(3 * 256), got = new Float32Array(3 * 256);
        refKernels.getRows(want, w, [9, 0, 4]); k.getRows(got, w, [9, 0, 4]); note("getRows", maxAbs(got, want));
      }
      console.log(`${tag()} ` + Object.entries(res).map(([n, d]) => `${n} ${d.toExponential(2)}`).join(", "));
      for (const name of ["gelu", "add", "mul", "scale", "addRow", "mulRow", "getRows"]) assert.equal(res[name], 0, name);
      for (const name of ["silu", "swiglu"]) assert.ok(res[name]! <= 1e-6, name);
    });
  });
}
