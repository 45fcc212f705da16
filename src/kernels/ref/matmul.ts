/**
 * Reference matrix products of activations with weights in ggml layout, following llama.cpp's
 * CPU backend numerics (ggml-cpu: `vec_dot_type` of each weight type, ggml_vec_dot_* and
 * quants.c generic dot products):
 *
 * | weight | activation is first turned into | per-row dot                                    |
 * |--------|---------------------------------|------------------------------------------------|
 * | F32    | (kept f32)                      | f32 products, f32 sum in index order           |
 * | F16    | F16 (round half to even)        | exact products, f32 sum in index order         |
 * | Q8_0   | Q8_0 (ties away from zero)      | per 32-block int dot; lane[b%4] += f32(sumi)*(dw*da), then (l0+l1)+(l2+l3) |
 * | Q4_0   | Q8_0 (ties away from zero)      | same, with weight quants (nibble - 8)          |
 * | Q4_K   | Q8_K                            | per 256-block: d*Σsc·dot − dmin*Σm·bsums       |
 * | Q6_K   | Q8_K                            | per 256-block: d*Σsc·dot                       |
 *
 * Every float operation is one f32 operation (Math.fround after each), in the order stated in
 * each dot function. The integer parts are exact, so the WebAssembly kernels, which follow the
 * same per-block float order, match these bit for bit on quantized weights; llama.cpp's SIMD code
 * sums the blocks in a different order, so expect ~1e-6 relative differences against it.
 */
import { GlassboxError } from "../../errors.js";
import { GgmlType } from "../../formats/gguf/ggml-types.js";
import { fp16Table, fp32ToFp16 } from "./fp16.js";
import { quantizeRowQ8_0, quantizeRowQ8_K, type QuantizedActivation } from "./quantize-act.js";
import { scaleMinK4 } from "./dequant.js";
import { checkLen, checkSize } from "./tensor.js";
import type { WeightMatrix } from "./weights.js";

const fr = Math.fround;

/** Dot of F32 weight row `row` with f32 activation `x` (offset xo), sequential f32 sum. */
function dotF32(w: WeightMatrix, row: number, x: Float32Array, xo: number): number {
  const f = new Float32Array(w.data.buffer, w.data.byteOffset + row * w.rowBytes, w.nIn);
  let s = 0;
  for (let i = 0; i < w.nIn; i++) s = fr(s + fr(f[i]! * x[xo + i]!));
  return s;
}

/** Dot of F16 weight row with an activation already rounded to f16 values (`xh`). */
function dotF16(w: WeightMatrix, row: number, xh: Float32Array): number {
  const u = new Uint16Array(w.data.buffer, w.data.byteOffset + row * w.rowBytes, w.nIn);
  const t = fp16Table();
  let s = 0;
  for (let i = 0; i < w.nIn; i++) s = fr(s + t[u[i]!]! * xh[i]!);
  return s;
}

/**
 * Dot of a Q8_0 (q4 = false) or Q4_0 (q4 = true) weight row with a Q8_0 activation. Block b's
 * term f32(sumi_b) * f32(dw_b * da_b) is added to lane b % 4; the result is (l0 + l1) + (l2 + l3).
 */
function dotQ80Q40(w: WeightMatrix, row: number, a: QuantizedActivation, q4: boolean): number {
  const b = w.data;
  const t = fp16Table();
  const lanes = [0, 0, 0, 0];
  const bs = q4 ? 18 : 34;
  for (let blk = 0, p = row * w.rowBytes; blk < w.nIn / 32; blk++, p += bs) {
    const dw = t[b[p]! | (b[p + 1]! << 8)]!;
    let sumi = 0;
    const o = blk * 32;
    if (q4) {
      for (let j = 0; j < 16; j++) {
        const q = b[p + 2 + j]!;
        sumi += ((q & 0xf) - 8) * a.qs[o + j]! + ((q >> 4) - 8) * a.qs[o + j + 16]!;
      }
    } else {
      for (let j = 0; j < 32; j++) sumi += ((b[p + 2 + j]! << 24) >> 24) * a.qs[o + j]!;
    }
    const l = blk & 3;
    lanes[l] = fr(lanes[l]! + fr(fr(sumi) * fr(dw * a.d[blk]!)));
  }
  return fr(fr(lanes[0]! + lanes[1]!) + fr(lanes[2]! + lanes[3]!));
}

/** Dot of a Q4_K weight row with a Q8_K activation: per block s += fr(d*sumi) − fr(dmin*summins). */
function dotQ4_K(w: WeightMatrix, row: number, a: QuantizedActivation): number {
  const b = w.data;
  const t = fp16Table();
  const bs = a.bsums!;
  let s = 0;
  for (let blk = 0, p = row * w.rowBytes; blk < w.nIn / 256; blk++, p += 144) {
    const d = fr(t[b[p]! | (b[p + 1]! << 8)]! * a.d[blk]!);
    const dmin = fr(t[b[p + 2]! | (b[p + 3]! << 8)]! * a.d[blk]!);
    let sumi = 0;
    let summins = 0;
    for (let c = 0; c < 4; c++) {
      const [sc1, m1] = scaleMinK4(b, p + 4, 2 * c);
      const [sc2, m2] = scaleMinK4(b, p + 4, 2 * c + 1);
      let i1 = 0, i2 = 0;
      const qo = blk * 256 + c * 64;
      for (let l = 0; l < 32; l++) {
        const q = b[p + 16 + c * 32 + l]!;
        i1 += (q & 0xf) * a.qs[qo + l]!;
        i2 += (q >> 4) * a.qs[qo + 32 + l]!;
      }
      sumi += sc1 * i1 + sc2 * i2;
      const g = blk * 16 + c * 4;
      summins += m1 * (bs[g]! + bs[g + 1]!) + m2 * (bs[g + 2]! + bs[g + 3]!);
    }
    s = fr(s + fr(fr(d * fr(sumi)) - fr(dmin * fr(summins))));
  }
  return s;
}

/** Dot of a Q6_K weight row with a Q8_K activation: per block s += fr(d*sumi). */
function dotQ6_K(w: WeightMatrix, row: number, a: QuantizedActivation): number {
  const b = w.data;
  const t = fp16Table();
  let s = 0;
  for (let blk = 0, p = row * w.rowBytes; blk < w.nIn / 256; blk++, p += 210) {
    const d = fr(t[b[p + 208]! | (b[p + 209]! << 8)]! * a.d[blk]!);
    let sumi = 0;
    for (let h = 0; h < 2; h++) {
      const ql = p + h * 64, qh = p + 128 + h * 32, sc = p + 192 + h * 8;
      const qo = blk * 256 + h * 128;
      const acc = [0, 0, 0, 0, 0, 0, 0, 0];
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const lo0 = b[ql + l]!, lo1 = b[ql + l + 32]!, hi = b[qh + l]!;
        acc[is] = acc[is]! + (((lo0 & 0xf) | ((hi & 3) << 4)) - 32) * a.qs[qo + l]!;
        acc[is + 2] = acc[is + 2]! + (((lo1 & 0xf) | (((hi >> 2) & 3) << 4)) - 32) * a.qs[qo + l + 32]!;
        acc[is + 4] = acc[is + 4]! + (((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32) * a.qs[qo + l + 64]!;
        acc[is + 6] = acc[is + 6]! + (((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32) * a.qs[qo + l + 96]!;
      }
      for (let k = 0; k < 8; k++) sumi += ((b[sc + k]! << 24) >> 24) * acc[k]!;
    }
    s = fr(s + fr(d * fr(sumi)));
  }
  return s;
}

/**
 * out = x · Wᵀ (ggml_mul_mat(w, x)) with llama.cpp CPU numerics (table above).
 * @param out [nTokens][w.nOut] f32, must not alias x.
 * @param x [nTokens][w.nIn] f32.
 * @param nTokens number of activation rows.
 * @param w the weight, ggml layout ne=[nIn, nOut], any of SUPPORTED_WEIGHT_TYPES.
 * @throws KERNEL_BAD_SHAPE for short buffers; KERNEL_UNSUPPORTED_TYPE for other weight types.
 */
export function matmul(out: Float32Array, x: Float32Array, nTokens: number, w: WeightMatrix): void {
  checkSize("nTokens", nTokens);
  checkLen("x", x, nTokens * w.nIn);
  checkLen("out", out, nTokens * w.nOut);
  const n = w.nIn;
  for (let t = 0; t < nTokens; t++) {
    const oo = t * w.nOut;
    const xo = t * n;
    switch (w.type) {
      case GgmlType.F32:
        for (let r = 0; r < w.nOut; r++) out[oo + r] = dotF32(w, r, x, xo);
        break;
      case GgmlType.F16: {
        const xh = new Float32Array(n);
        const tab = fp16Table();
        for (let i = 0; i < n; i++) xh[i] = tab[fp32ToFp16(x[xo + i]!)]!;
        for (let r = 0; r < w.nOut; r++) out[oo + r] = dotF16(w, r, xh);
        break;
      }
      case GgmlType.Q8_0:
      case GgmlType.Q4_0: {
        const a = quantizeRowQ8_0(x.subarray(xo, xo + n), n);
        const q4 = w.type === GgmlType.Q4_0;
        for (let r = 0; r < w.nOut; r++) out[oo + r] = dotQ80Q40(w, r, a, q4);
        break;
      }
      case GgmlType.Q4_K:
      case GgmlType.Q6_K: {
        const a = quantizeRowQ8_K(x.subarray(xo, xo + n), n);
        const dot = w.type === GgmlType.Q4_K ? dotQ4_K : dotQ6_K;
        for (let r = 0; r < w.nOut; r++) out[oo + r] = dot(w, r, a);
        break;
      }
      default:
        throw new GlassboxError("KERNEL_UNSUPPORTED_TYPE", `matmul does not support ggml type ${w.type}`);
    }
  }
}

/** Mat-vec: `out[w.nOut] = W · x[w.nIn]`; same as `matmul(out, x, 1, w)`. */
export function matVec(out: Float32Array, x: Float32Array, w: WeightMatrix): void {
  matmul(out, x, 1, w);
}

/**
 * Plain f32 GEMM, C = A·B (+ C when `accumulate`), all row-major: A [M][K], B [K][N], C [M][N];
 * with `transA` the buffer `a` holds Aᵀ [K][M], with `transB` `b` holds Bᵀ [N][K] (BLAS's
 * op(A) = Aᵀ; a ggml weight W [n_out][n_in] is Bᵀ of x·Wᵀ), so no caller has to transpose.
 * Each C element is an f32 sum over k in index order. For activation × activation products
 * (training, attention experiments); weights use {@link matmul}.
 * @throws KERNEL_BAD_SHAPE for short buffers.
 */
export function gemmF32(c: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, accumulate = false, transA = false, transB = false): void {
  checkSize("M", M); checkSize("N", N); checkSize("K", K);
  checkLen("A", a, M * K); checkLen("B", b, K * N); checkLen("C", c, M * N);
  // element strides of A along i and k, and of B along k and j
  const ai = transA ? 1 : K, ak = transA ? M : 1, bk = transB ? 1 : N, bj = transB ? K : 1;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = accumulate ? c[i * N + j]! : 0;
      for (let k = 0; k < K; k++) s = fr(s + fr(a[i * ai + k * ak]! * b[k * bk + j * bj]!));
      c[i * N + j] = s;
    }
  }
}
