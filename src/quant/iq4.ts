/**
 * The 4-bit non-linear formats IQ4_NL (ggml type 20, blocks of 32 in 18 bytes) and IQ4_XS (type 23,
 * super-blocks of 256 in 136 bytes). Each 4-bit code indexes the non-uniform grid `KVALUES_IQ4NL`.
 * Source: ggml/src/ggml-common.h (`block_iq4_nl`, `block_iq4_xs`, `kvalues_iq4nl`) and ggml-quants.c
 * (`quantize_row_iq4_nl_impl`, `quantize_iq4_nl`, `quantize_iq4_xs`, `dequantize_row_iq4_*`).
 *
 * IQ4_NL: half d @0; u8 qs[16] @2 (element j low nibble of qs[j], element j+16 high nibble);
 *   value = d * KVALUES[code].
 * IQ4_XS: half d @0; u16 scales_h @2; u8 scales_l[4] @4; u8 qs[128] @8. Sub-block ib (of 8, 32 elements
 *   each, nibbles as IQ4_NL in qs[16ib..16ib+16)) has the 6-bit scale
 *   ls = ((scales_l[ib/2] >> 4*(ib%2)) & 15) | ((scales_h >> 2ib) & 3) << 4; value = d*(ls-32)*KVALUES[code].
 *
 * Quantization is `ggml_quantize_chunk`'s path without an importance matrix: weights x^2, 7 scale
 * trials either side (ntry = 7).
 */
import { f32ToF16, readF16, writeF16Bits } from "./float16.js";
import { GROUP_MAX_EPS } from "./kquant-search.js";
import { f32, nearestInt } from "./rounding.js";

/** The IQ4_NL / IQ4_XS grid (`kvalues_iq4nl`). */
export const KVALUES_IQ4NL = new Int8Array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);
const KV = KVALUES_IQ4NL;

/** IQ4_NL dequantize: n elements (multiple of 32) from n/32 blocks of 18 bytes. */
export function dequantizeRowIQ4_NL(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 18, y += 32) {
    const d = readF16(src, o);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      dst[y + j] = d * KV[q & 0xf]!;
      dst[y + j + 16] = d * KV[q >> 4]!;
    }
  }
}

/** IQ4_XS dequantize: n elements (multiple of 256) from n/256 blocks of 136 bytes. */
export function dequantizeRowIQ4_XS(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 136) {
    const d = readF16(src, o);
    const sh = src[o + 2]! | (src[o + 3]! << 8);
    for (let ib = 0; ib < 8; ib++) {
      const ls = ((src[o + 4 + (ib >> 1)]! >> (4 * (ib & 1))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4);
      const dl = f32(d * (ls - 32));
      const qs = o + 8 + 16 * ib;
      for (let j = 0; j < 16; j++) {
        const q = src[qs + j]!;
        dst[y + j] = dl * KV[q & 0xf]!;
        dst[y + j + 16] = dl * KV[q >> 4]!;
      }
      y += 32;
    }
  }
}

/** ggml's `best_index_int8(16, kvalues_iq4nl, x)`: index of the grid value nearest to x (lower on ties). */
function bestIndex(x: number): number {
  if (x <= KV[0]!) return 0;
  if (x >= KV[15]!) return 15;
  let ml = 0;
  let mu = 15;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < KV[mav]!) mu = mav;
    else ml = mav;
  }
  return f32(x - KV[mu - 1]!) < f32(KV[mu]! - x) ? mu - 1 : mu;
}

const NTRY = 7;
const L = new Uint8Array(256);
const weight = new Float32Array(32);
const trial = new Uint8Array(32);
const scales = new Float32Array(8);

/**
 * Per-32 scale search of `quantize_row_iq4_nl_impl` (no importance weights, ntry 7) for x[xb..xb+32):
 * writes the codes to L[lb..lb+32) and returns the sub-block scale (0 for an all-zero group, whose
 * codes are then left for the caller to recompute).
 */
function searchBlock(src: Float32Array, xb: number, lb: number): number {
  for (let j = 0; j < 32; j++) weight[j] = src[xb + j]! * src[xb + j]!;
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const ax = Math.abs(src[xb + j]!);
    if (ax > amax) { amax = ax; max = src[xb + j]!; }
  }
  if (amax < GROUP_MAX_EPS) return 0;
  let d = f32(-max / KV[0]!);
  let id = f32(1 / d);
  let sumqx = 0;
  let sumq2 = 0;
  for (let j = 0; j < 32; j++) {
    const xj = src[xb + j]!;
    const l = bestIndex(f32(id * xj));
    L[lb + j] = l;
    const q = KV[l]!;
    const w = weight[j]!;
    sumqx = f32(sumqx + f32(f32(w * q) * xj));
    sumq2 = f32(sumq2 + f32(f32(w * q) * q));
  }
  d = sumq2 > 0 ? f32(sumqx / sumq2) : 0;
  let best = f32(d * sumqx);
  // Trials whose codes equal the previous trial's give the same sums and decision: skipped (exact).
  for (let j = 0; j < 32; j++) trial[j] = L[lb + j]!;
  for (let itry = -NTRY; itry <= NTRY; itry++) {
    id = f32((itry + KV[0]!) / max);
    let changed = false;
    for (let j = 0; j < 32; j++) {
      const l = bestIndex(f32(id * src[xb + j]!));
      if (trial[j] !== l) { trial[j] = l; changed = true; }
    }
    if (!changed) continue;
    sumqx = 0;
    sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const q = KV[trial[j]!]!;
      const w = weight[j]!;
      sumqx = f32(sumqx + f32(f32(w * q) * src[xb + j]!));
      sumq2 = f32(sumq2 + f32(f32(w * q) * q));
    }
    if (sumq2 > 0 && f32(sumqx * sumqx) > f32(best * sumq2)) {
      d = f32(sumqx / sumq2);
      best = f32(d * sumqx);
    }
  }
  return d;
}

function packNibbles(dst: Uint8Array, at: number, nSub: number): void {
  for (let i = 0; i < nSub; i++) {
    for (let j = 0; j < 16; j++) dst[at + 16 * i + j] = L[32 * i + j]! | (L[32 * i + 16 + j]! << 4);
  }
}

/** IQ4_NL quantize (`quantize_iq4_nl`, no imatrix): one scale per 32, stored as fp16, codes recomputed with it. */
export function quantizeRowIQ4_NL(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += 32, o += 18) {
    const s = searchBlock(src, x, 0);
    writeF16Bits(dst, o, f32ToF16(s));
    const id = s !== 0 ? f32(1 / s) : 0;
    for (let j = 0; j < 32; j++) L[j] = bestIndex(f32(id * src[x + j]!));
    packNibbles(dst, o + 2, 1);
  }
}

/**
 * IQ4_XS quantize (`quantize_iq4_xs`, no imatrix): a scale per 32 from the same search, the 8 scales
 * quantized to 6 bits against d = -max_scale/32 (d stored as fp16), codes recomputed per sub-block
 * with the rounded scale d*l.
 */
export function quantizeRowIQ4_XS(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += 256, o += 136) {
    let maxScale = 0;
    let amaxScale = 0;
    for (let ib = 0; ib < 8; ib++) {
      const s = searchBlock(src, x + 32 * ib, 32 * ib);
      scales[ib] = s;
      const a = Math.abs(s);
      if (a > amaxScale) { amaxScale = a; maxScale = s; }
    }
    const d = f32(-maxScale / 32);
    writeF16Bits(dst, o, f32ToF16(d));
    const id = d !== 0 ? f32(1 / d) : 0;
    let sh = 0;
    for (let ib = 0; ib < 8; ib++) {
      let l = nearestInt(f32(id * scales[ib]!));
      l = Math.max(-32, Math.min(31, l));
      const dl = f32(d * l);
      const idl = dl !== 0 ? f32(1 / dl) : 0;
      for (let j = 0; j < 32; j++) L[32 * ib + j] = bestIndex(f32(idl * src[x + 32 * ib + j]!));
      l += 32;
      if ((ib & 1) === 0) dst[o + 4 + (ib >> 1)] = l & 0xf;
      else dst[o + 4 + (ib >> 1)] = dst[o + 4 + (ib >> 1)]! | ((l & 0xf) << 4);
      sh |= (l >> 4) << (2 * ib);
    }
    dst[o + 2] = sh & 0xff;
    dst[o + 3] = (sh >> 8) & 0xff;
    packNibbles(dst, o + 8, 8);
  }
}
