/**
 * Q4_K (ggml type 12): 256-element super-blocks of 144 bytes, 4-bit quants in 8 sub-blocks of 32,
 * each with a 6-bit scale and a 6-bit min. Source: ggml/src/ggml-common.h (`block_q4_K`) and
 * ggml-quants.c (`quantize_row_q4_K_ref`, `dequantize_row_q4_K`).
 *
 * Layout: half d @0; half dmin @2; u8 scales[12] @4 (see k4-scales.ts); u8 qs[128] @16. Sub-blocks
 * 2k and 2k+1 share qs[32k .. 32k+32): low nibbles hold sub-block 2k, high nibbles 2k+1.
 * Value: d*scale_j*q - dmin*min_j.
 */
import { f32ToF16, readF16, writeF16Bits } from "./float16.js";
import { kMin, kScale, packScaleMinK4 } from "./k4-scales.js";
import { makeQkx2Quants } from "./kquant-search.js";
import { f32, nearestInt } from "./rounding.js";

const QK_K = 256;
const BLOCK_BYTES = 144;

/** Q4_K dequantize: n elements (multiple of 256) from n/256 blocks of 144 bytes. */
export function dequantizeRowQ4_K(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BLOCK_BYTES) {
    const d = readF16(src, o);
    const dmin = readF16(src, o + 2);
    for (let k = 0; k < 4; k++) {
      const d1 = f32(d * kScale(src, o + 4, 2 * k));
      const m1 = f32(dmin * kMin(src, o + 4, 2 * k));
      const d2 = f32(d * kScale(src, o + 4, 2 * k + 1));
      const m2 = f32(dmin * kMin(src, o + 4, 2 * k + 1));
      const q = o + 16 + 32 * k;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d1 * (src[q + l]! & 0xf)) - m1;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d2 * (src[q + l]! >> 4)) - m2;
    }
  }
}

const F01 = Math.fround(0.1);
const L = new Uint8Array(QK_K);
const Laux = new Uint8Array(32);
const weights = new Float32Array(32);
const mins = new Float32Array(8);
const scales = new Float32Array(8);

/**
 * Fills scales[8], mins[8] and L[256] for one super-block as Q4_K/Q5_K do: weights
 * av_x + |x| with av_x = sqrt(mean x^2) per 32 elements, then `make_qkx2_quants`. Returns the
 * largest scale and min through `out[0]`, `out[1]`.
 */
export function kSubBlockSearch(
  src: Float32Array, x: number, nmax: number, rmin: number, nstep: number,
  Lq: Uint8Array, sc: Float32Array, mn: Float32Array, out: Float32Array,
): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const xb = x + 32 * j;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f32(sumX2 + f32(src[xb + l]! * src[xb + l]!));
    const avX = f32(Math.sqrt(f32(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = avX + Math.abs(src[xb + l]!);
    const s = makeQkx2Quants(32, nmax, src, xb, weights, Lq, 32 * j, mn, j, Laux, rmin, F01, nstep, false);
    sc[j] = s;
    if (s > maxScale) maxScale = s;
    const m = mn[j]!;
    if (m > maxMin) maxMin = m;
  }
  out[0] = maxScale;
  out[1] = maxMin;
}

/**
 * Quantizes the 8 scales/mins of a Q4_K/Q5_K super-block (header at byte `o`: d, dmin, scales[12]),
 * then recomputes L from the rounded scales, clamped to [0, nmax]. Shared by Q4_K and Q5_K.
 */
export function kFinishScales(
  src: Float32Array, x: number, dst: Uint8Array, o: number, nmax: number,
  Lq: Uint8Array, sc: Float32Array, mn: Float32Array, maxScale: number, maxMin: number,
): void {
  const invScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  packScaleMinK4(dst, o + 4, sc, mn, invScale, invMin);
  writeF16Bits(dst, o, f32ToF16(f32(maxScale / 63)));
  writeF16Bits(dst, o + 2, f32ToF16(f32(maxMin / 63)));
  const dAll = readF16(dst, o);
  const mAll = readF16(dst, o + 2);
  for (let j = 0; j < 8; j++) {
    const d = f32(dAll * kScale(dst, o + 4, j));
    if (d === 0) continue;
    const dm = f32(mAll * kMin(dst, o + 4, j));
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(f32(f32(src[x + 32 * j + ii]! + dm) / d));
      Lq[32 * j + ii] = Math.max(0, Math.min(nmax, l));
    }
  }
}

const maxes = new Float32Array(2);

/**
 * Q4_K quantize (`quantize_row_q4_K_ref`): per 32 elements `make_qkx2_quants(nmax 15, weights
 * av_x + |x|, rmin -1, rdelta 0.1, 20 steps, squared error)`, scales and mins to 6 bits, quants
 * recomputed from the rounded scales.
 */
export function quantizeRowQ4_K(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += BLOCK_BYTES) {
    kSubBlockSearch(src, x, 15, -1, 20, L, scales, mins, maxes);
    kFinishScales(src, x, dst, o, 15, L, scales, mins, maxes[0]!, maxes[1]!);
    for (let k = 0; k < 4; k++) {
      const q = o + 16 + 32 * k;
      for (let l = 0; l < 32; l++) dst[q + l] = L[64 * k + l]! | (L[64 * k + l + 32]! << 4);
    }
  }
}
