// A test oracle: a `Kernels` object whose every floating-point operation happens in the order
// and with the fusions of llama.cpp's CPU backend as it produced ../shared/vectors/llamacpp
// (x86-64 AVX2/FMA/F16C, one thread, F32 KV cache, no flash attention). With it the model files
// reproduce those logits bit for bit, which pins down that each family's graph (op order,
// residual order, QKV split, RoPE type, ALiBi...) is exactly llama.cpp's. It is slow plain
// TypeScript; it is also a precise spec for the fast kernels (src/kernels is not changed here).
//
// What differs from the reference kernels (src/kernels/ref), each found by experiment against
// the vectors and matched to ggml's source (ggml-cpu, llamafile/sgemm.cpp):
// * F32/F16 weights, n_tokens >= 2: llamafile tinyBLAS: per output, 8 f32 lanes,
//   lane i += w[k+i]*x[k+i] as one FMA for k = 0, 8, 16...; then hsum: t_i = lane[i+4]+lane[i],
//   result = (t0+t2)+(t1+t3). F16: the activation is rounded to f16 first.
// * F32/F16 weights, n_tokens == 1: ggml_vec_dot_f32/f16: 4 accumulators of 8 lanes over steps of
//   32 (FMA), then acc0+=acc2, acc1+=acc3, acc0+=acc1, t_i = acc0[i]+acc0[i+4] (i<4),
//   result = (t0+t1)+(t2+t3), then leftover elements added one product at a time (no FMA).
// * Q8_0 weights: lanes of 4 consecutive int8 products (maddubs/madd), per block
//   lane = fma(d_w*d_a, float(lane_int), lane); hsum as tinyBLAS. Q4_0 weights (repacked to
//   q4_0_8x8 on this CPU): per block the exact int dot, acc = fma(float(sumi), d_w*d_a, acc).
// * Activation quantization to Q8_0: as the reference, but an exact tie x*id = k+0.5 rounds away
//   from zero: the only tie in all vectors (llama-gqa-q8_0 prompt 2) matches llama.cpp only so.
// * Attention (build_attn_mha without flash attention): kq = plain f32 sum over head_dim (no FMA;
//   q is a non-contiguous view, head_dim < 32), * scale, + mask (ALiBi: + slope*(-|i-j|));
//   softmax over n_kv padded to a multiple of 32 (masked = -inf): e = ggml_v_expf(w - max) in
//   groups of 8, sum (double) of each group's f32 hsum, p = e * f32(1/sum); kqv over the padded
//   n_kv with the F32 matmul order above (zeros past the cache).
// * exp in SiLU/SwiGLU/softmax: ggml_v_expf, the AVX2 polynomial (vec.h), not libm's expf.
// * RoPE: x0' = fma(x0, cos, -(x1*sin)), x1' = fma(x0, sin, x1*cos) (compiler-contracted), with
//   cos and sin from glibc's cosf/sinf, which are not correctly rounded (about 2% of results
//   differ by one ulp from Math.cos/Math.sin rounded to f32); ported below for |x| < 120.
// * GELU table: 0.5x(1 + tanh(√(2/π)·x·(1 + 0.044715x²))) with the inner 1 + (0.044715x)·x
//   contracted to one FMA (one table entry differs from the unfused evaluation).
import { GgmlType } from "../../src/formats/gguf/ggml-types.js";
import { matmulEach, refKernels, type Kernels } from "../../src/kernels/api.js";
import {
  alibiSlope, fp16Table, fp32ToFp16, type AttentionOptions, type RopeOptions, type WeightMatrix,
} from "../../src/kernels/ref/index.js";

const fr = Math.fround;

/** Correctly rounded f32 fused multiply-add of f32 inputs (a*b is exact in f64; TwoSum fixes ties). */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = fr(s);
  if (r === s) return r;
  const bb = s - p;
  const e = (p - (s - bb)) + (c - bb);
  if (e === 0) return r;
  const d = s - r; // s = r + d, |d| <= half an f32 ulp
  const o = r + 2 * d;
  if (fr(o) !== o) return r; // s is not a midpoint: r is right
  // s is exactly halfway between r and o: the exact value s + e decides
  return (e > 0) === (d > 0) ? o : r;
}

const f32b = new Float32Array(1);
const u32b = new Uint32Array(f32b.buffer);
const bitsOf = (x: number): number => { f32b[0] = x; return u32b[0]!; };
const fromBits = (b: number): number => { u32b[0] = b >>> 0; return f32b[0]!; };

/** ggml_v_expf (ggml-cpu vec.h, AVX2 + FMA) for one lane. */
export function ggmlExpf(x: number): number {
  x = fr(x);
  const r = fr(12582912); // 0x1.8p23
  const z = fmaf(x, fr(1.4426950216293335) /* 0x1.715476p+0 */, r);
  const n = fr(z - r);
  const b = fmaf(-n, fr(1.428606765330187e-6) /* 0x1.7f7d1cp-20 */, fmaf(-n, fr(0.693145751953125) /* 0x1.62e4p-1 */, x));
  const e = (bitsOf(z) << 23) >>> 0;
  const k = fromBits((e + bitsOf(1)) >>> 0);
  const u = fr(b * b);
  const j = fmaf(fmaf(fmaf(fr(0.008247390389442444) /* 0x1.0e4020p-7 */, b, fr(0.04189976677298546) /* 0x1.573e2ep-5 */), u, fmaf(fr(0.16668395698070526) /* 0x1.555e66p-3 */, b, fr(0.4999912679195404) /* 0x1.fffdb6p-2 */)), u, fr(fr(0.9999994039535522) /* 0x1.ffffecp-1 */ * b));
  if (!(Math.abs(n) > 126)) return fmaf(j, k, k);
  const g = n <= 0 ? 0x82000000 : 0;
  const s1 = fromBits((g + 0x7f000000) >>> 0);
  const s2 = fromBits((e - g) >>> 0);
  if (Math.abs(n) > 192) return fr(s1 * s1);
  return fr(fmaf(s2, j, s2) * s1);
}

/** ggml_v_silu: x / (1 + ggml_v_expf(-x)). */
export function ggmlSilu(x: number): number {
  return fr(x / fr(1 + ggmlExpf(fr(0 - x))));
}

/** hsum of 8 lanes at `o`: t_i = l[i+4] + l[i]; (t0 + t2) + (t1 + t3). */
function hsum8(l: Float32Array, o = 0): number {
  const t0 = fr(l[o + 4]! + l[o]!), t1 = fr(l[o + 5]! + l[o + 1]!), t2 = fr(l[o + 6]! + l[o + 2]!), t3 = fr(l[o + 7]! + l[o + 3]!);
  return fr(fr(t0 + t2) + fr(t1 + t3));
}

const lanes = new Float32Array(32);

/** tinyBLAS order (n_tokens >= 2): 8 FMA lanes over k (k % 8 == 0), then hsum8. */
function dotTiny(w: Float32Array, wo: number, x: Float32Array, xo: number, k: number): number {
  lanes.fill(0, 0, 8);
  for (let l = 0; l < k; l += 8) for (let i = 0; i < 8; i++) lanes[i] = fmaf(w[wo + l + i]!, x[xo + l + i]!, lanes[i]!);
  return hsum8(lanes);
}

/** ggml_vec_dot_f32 order (n_tokens == 1). */
function dotVec(w: Float32Array, wo: number, x: Float32Array, xo: number, n: number): number {
  lanes.fill(0);
  const np = n & ~31;
  let i = 0;
  for (; i < np; i += 32) for (let j = 0; j < 32; j++) lanes[j] = fmaf(x[xo + i + j]!, w[wo + i + j]!, lanes[j]!);
  for (let e = 0; e < 8; e++) { lanes[e] = fr(lanes[e]! + lanes[16 + e]!); lanes[8 + e] = fr(lanes[8 + e]! + lanes[24 + e]!); }
  for (let e = 0; e < 8; e++) lanes[e] = fr(lanes[e]! + lanes[8 + e]!);
  const t0 = fr(lanes[0]! + lanes[4]!), t1 = fr(lanes[1]! + lanes[5]!), t2 = fr(lanes[2]! + lanes[6]!), t3 = fr(lanes[3]! + lanes[7]!);
  let r = fr(fr(t0 + t1) + fr(t2 + t3));
  for (; i < n; i++) r = fr(r + fr(x[xo + i]! * w[wo + i]!));
  return r;
}

const dense = new WeakMap<WeightMatrix, Float32Array>();

/** F32 view or F16-widened copy of a dense weight. */
function denseOf(w: WeightMatrix): Float32Array {
  let d = dense.get(w);
  if (!d) {
    if (w.type === GgmlType.F32) d = new Float32Array(w.data.buffer, w.data.byteOffset, w.nIn * w.nOut);
    else {
      const t = fp16Table();
      const u = new Uint16Array(w.data.buffer, w.data.byteOffset, w.nIn * w.nOut);
      d = new Float32Array(u.length);
      for (let i = 0; i < u.length; i++) d[i] = t[u[i]!]!;
    }
    dense.set(w, d);
  }
  return d;
}

/** Q8_0 activation row: AVX2 quantize_row_q8_0, but exact ties round away from zero (see top). */
function quantizeQ8_0(x: Float32Array, xo: number, n: number, qs: Int8Array, d: Float32Array): void {
  const t = fp16Table();
  for (let b = 0; b < n / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + b * 32 + j]!));
    d[b] = t[fp32ToFp16(fr(amax / 127))]!;
    const id = amax !== 0 ? fr(127 / amax) : 0;
    for (let j = 0; j < 32; j++) {
      const v = fr(x[xo + b * 32 + j]! * id);
      qs[b * 32 + j] = Math.sign(v) * Math.round(Math.abs(v));
    }
  }
}

function matmulQ(out: Float32Array, x: Float32Array, T: number, w: WeightMatrix): void {
  const n = w.nIn, nb = n / 32, t16 = fp16Table(), b = w.data;
  const qs = new Int8Array(n), da = new Float32Array(nb);
  const li = new Int32Array(8);
  for (let t = 0; t < T; t++) {
    quantizeQ8_0(x, t * n, n, qs, da);
    for (let r = 0; r < w.nOut; r++) {
      if (w.type === GgmlType.Q8_0) {
        lanes.fill(0, 0, 8);
        for (let blk = 0, p = r * w.rowBytes; blk < nb; blk++, p += 34) {
          const d = fr(t16[b[p]! | (b[p + 1]! << 8)]! * da[blk]!);
          li.fill(0);
          for (let j = 0; j < 32; j++) li[j >> 2]! += ((b[p + 2 + j]! << 24) >> 24) * qs[blk * 32 + j]!;
          for (let l = 0; l < 8; l++) lanes[l] = fmaf(d, li[l]!, lanes[l]!);
        }
        out[t * w.nOut + r] = hsum8(lanes);
      } else {
        let acc = 0;
        for (let blk = 0, p = r * w.rowBytes; blk < nb; blk++, p += 18) {
          const d = fr(t16[b[p]! | (b[p + 1]! << 8)]! * da[blk]!);
          let sumi = 0;
          for (let j = 0; j < 16; j++) {
            const q = b[p + 2 + j]!;
            sumi += ((q & 0xf) - 8) * qs[blk * 32 + j]! + ((q >> 4) - 8) * qs[blk * 32 + j + 16]!;
          }
          acc = fmaf(sumi, d, acc);
        }
        out[t * w.nOut + r] = acc;
      }
    }
  }
}

function matmul(out: Float32Array, x: Float32Array, T: number, w: WeightMatrix): void {
  if (w.type === GgmlType.Q8_0 || w.type === GgmlType.Q4_0) return matmulQ(out, x, T, w);
  if (w.type !== GgmlType.F32 && w.type !== GgmlType.F16) return refKernels.matmul(out, x, T, w);
  const W = denseOf(w);
  const n = w.nIn;
  let xs = x;
  if (w.type === GgmlType.F16) {
    const t = fp16Table();
    xs = new Float32Array(T * n);
    for (let i = 0; i < T * n; i++) xs[i] = t[fp32ToFp16(x[i]!)]!;
  }
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < w.nOut; r++) out[t * w.nOut + r] = T >= 2 ? dotTiny(W, r * n, xs, t * n, n) : dotVec(W, r * n, xs, t * n, n);
  }
}

function attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void {
  const { nTokens: T, nHead, nHeadKv, headDim: hd, pos0 } = o;
  const nKv = pos0 + T, nPad = Math.ceil(nKv / 32) * 32;
  const scale = fr(o.scale ?? 1 / Math.sqrt(hd)), maxBias = o.maxBias ?? 0;
  const kvS = nHeadKv * hd, qS = nHead * hd, group = nHead / nHeadKv;
  const w = new Float32Array(nPad), vt = new Float32Array(nPad);
  for (let h = 0; h < nHead; h++) {
    const g = Math.floor(h / group);
    const slope = alibiSlope(h, nHead, maxBias);
    for (let t = 0; t < T; t++) {
      const p = pos0 + t;
      let max = -Infinity;
      for (let j = 0; j < nPad; j++) {
        if (j > p) { w[j] = -Infinity; continue; }
        let s = 0;
        for (let i = 0; i < hd; i++) s = fr(s + fr(k[j * kvS + g * hd + i]! * q[t * qS + h * hd + i]!));
        s = fr(s * scale);
        if (maxBias > 0) s = fr(s + fr(slope * -(p - j)));
        w[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < nPad; j += 8) {
        for (let e = 0; e < 8; e++) w[j + e] = ggmlExpf(fr(w[j + e]! - max));
        sum += hsum8(w, j);
      }
      const inv = fr(1 / sum);
      for (let j = 0; j < nPad; j++) w[j] = fr(w[j]! * inv);
      for (let i = 0; i < hd; i++) {
        vt.fill(0);
        for (let j = 0; j < nKv; j++) vt[j] = v[j * kvS + g * hd + i]!;
        out[t * qS + h * hd + i] = T >= 2 ? dotTiny(vt, 0, w, 0, nPad) : dotVec(vt, 0, w, 0, nPad);
      }
    }
  }
}

// glibc's sinf/cosf (sysdeps/ieee754/flt-32/s_sinf.c, s_cosf.c, sincosf.h, sincosf_data.c, from
// ARM's optimized-routines): double-precision range reduction by pi/2 and short polynomials, then
// rounding to f32. Checked here against glibc 2.36's own results on 300000 random inputs
// (|x| < 120): all equal. Only |x| < 120 (the fast reduction) is ported; larger throws.
const SC0 = {
  sign: [1, -1, -1, 1],
  hpiInv: 0x145f306dc9c883 * 2 ** (23 - 52), // 0x1.45F306DC9C883p+23
  hpi: 0x1921fb54442d18 * 2 ** -52, // 0x1.921FB54442D18p0
  c0: 1, c1: -0x1ffffffd0c621c * 2 ** -54, c2: 0x155553e1068f19 * 2 ** -57, c3: -0x16c087e89a359d * 2 ** -62, c4: 0x199343027bf8c3 * 2 ** -68,
  s1: -0x1555545995a603 * 2 ** -55, s2: 0x11107605230bc4 * 2 ** -59, s3: -0x1994eb3774cf24 * 2 ** -65,
};
const SC1 = { ...SC0, c0: -1, c1: -SC0.c1, c2: -SC0.c2, c3: -SC0.c3, c4: -SC0.c4 };
type SinCosTable = typeof SC0;

function sinfPoly(x: number, x2: number, p: SinCosTable, n: number): number {
  if ((n & 1) === 0) {
    const x3 = x * x2, s1 = p.s2 + x2 * p.s3, x7 = x3 * x2, s = x + x3 * p.s1;
    return fr(s + x7 * s1);
  }
  const x4 = x2 * x2, c2 = p.c3 + x2 * p.c4, c1 = p.c0 + x2 * p.c1, x6 = x4 * x2, c = c1 + x4 * p.c2;
  return fr(c + x6 * c2);
}

const PIO4F = fr(Math.PI / 4);

/** glibc sinf (cos = false) or cosf (cos = true) of an f32 value, |y| < 120. */
export function glibcSinCosf(y: number, cos: boolean): number {
  const a = Math.abs(y);
  if (a < PIO4F) {
    if (a < 2 ** -12) return cos ? 1 : y;
    return sinfPoly(y, y * y, SC0, cos ? 1 : 0);
  }
  if (!(a < 120)) throw new Error(`glibcSinCosf: |${y}| >= 120 is not ported`);
  const r = y * SC0.hpiInv;
  const n = ((r | 0) + 0x800000) >> 24;
  const x = y - n * SC0.hpi;
  const p = n & 2 ? SC1 : SC0;
  return sinfPoly(x * SC0.sign[n & 3]!, x * x, p, cos ? n ^ 1 : n);
}

/** ggml_rope_cache_init + rope_yarn without scaling: cache[2i], cache[2i+1] = cosf, sinf of pos·base^(−2i/nRot). */
function ropeCacheGlibc(cache: Float32Array, pos: number, o: RopeOptions): void {
  if ((o.freqScale ?? 1) !== 1 || (o.extFactor ?? 0) !== 0 || o.freqFactors || (o.attnFactor ?? 1) !== 1) {
    throw new Error("the oracle's RoPE covers unscaled RoPE only");
  }
  const thetaScale = fr(Math.pow(fr(o.freqBase), fr(-2 / o.nRot)));
  let theta = fr(pos);
  for (let i0 = 0; i0 < o.nRot; i0 += 2) {
    cache[i0] = glibcSinCosf(theta, true);
    cache[i0 + 1] = glibcSinCosf(theta, false);
    theta = fr(theta * thetaScale);
  }
}

function rope(x: Float32Array, T: number, nHead: number, hd: number, positions: ArrayLike<number>, o: RopeOptions): void {
  const cache = new Float32Array(o.nRot);
  const half = o.nRot / 2;
  for (let t = 0; t < T; t++) {
    ropeCacheGlibc(cache, positions[t]!, o);
    for (let h = 0; h < nHead; h++) {
      const base = (t * nHead + h) * hd;
      for (let i = 0; i < half; i++) {
        const c = cache[2 * i]!, s = cache[2 * i + 1]!;
        const ia = o.mode === "norm" ? base + 2 * i : base + i;
        const ib = o.mode === "norm" ? ia + 1 : ia + half;
        const a = x[ia]!, b = x[ib]!;
        x[ia] = fmaf(a, c, -fr(b * s));
        x[ib] = fmaf(a, s, fr(b * c));
      }
    }
  }
}

let geluTable: Uint16Array | undefined;

/** ggml_table_gelu_f16 with the contracted inner term (see top). */
function geluF16Table(): Uint16Array {
  if (geluTable) return geluTable;
  const h = fp16Table();
  const A = fr(0.044715), S = fr(0.79788456080286535587989211986876);
  geluTable = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) {
    const x = h[i]!;
    const inner = fr(fr(S * x) * fmaf(fr(A * x), x, 1));
    geluTable[i] = fp32ToFp16(fr(fr(0.5 * x) * fr(1 + fr(Math.tanh(inner)))));
  }
  return geluTable;
}

function gelu(out: Float32Array, x: Float32Array, n: number): void {
  const t = geluF16Table(), h = fp16Table();
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = v <= -10 ? 0 : v >= 10 ? v : h[t[fp32ToFp16(v)]!]!;
  }
}

function silu(out: Float32Array, x: Float32Array, n: number): void {
  const n8 = n & ~7;
  for (let i = 0; i < n; i++) out[i] = i < n8 ? ggmlSilu(x[i]!) : fr(x[i]! / fr(1 + fr(Math.exp(-x[i]!))));
}

function swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
  silu(out, gate, n);
  for (let i = 0; i < n; i++) out[i] = fr(out[i]! * up[i]!);
}

/** The oracle kernels (see the top of this file); other ops are the reference ones. */
export const ggmlCpuKernels: Kernels = {
  ...refKernels, name: "ggml-cpu-emulation", matmul, attention, rope, gelu, silu, swiglu,
  matmulMulti: (outs, x, nTokens, ws) => matmulEach({ matmul }, outs, x, nTokens, ws),
};
