/**
 * Q2_K (ggml type 10): 256-element super-blocks of 84 bytes, 2-bit quants with a 4-bit scale and a
 * 4-bit min per 16 elements. Source: ggml/src/ggml-common.h (`block_q2_K`) and ggml-quants.c
 * (`quantize_row_q2_K_ref`, `dequantize_row_q2_K`).
 *
 * Layout: u8 scales[16] (low nibble scale, high nibble min) @0; u8 qs[64] @16; half d @80;
 * half dmin @82. Value of element with quant q in group j: d*(scales[j]&15)*q - dmin*(scales[j]>>4).
 * Quant packing: within each 128-element half h, element h*128 + 32*s + l sits in bits 2s..2s+1 of
 * qs[h*32 + l].
 */
import { f32ToF16, readF16, writeF16Bits } from "./float16.js";
import { makeQkx2Quants } from "./kquant-search.js";
import { f32, nearestInt } from "./rounding.js";

const QK_K = 256;
const BLOCK_BYTES = 84;

/** Q2_K dequantize: n elements (multiple of 256) from n/256 blocks of 84 bytes. */
export function dequantizeRowQ2_K(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BLOCK_BYTES) {
    const d = readF16(src, o + 80);
    const dmin = readF16(src, o + 82);
    let is = 0;
    for (let half = 0; half < 2; half++) {
      const q = o + 16 + half * 32;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const sc = src[o + is++]!;
          const dl = f32(d * (sc & 0xf));
          const ml = f32(dmin * (sc >> 4));
          const qq = q + part * 16;
          for (let l = 0; l < 16; l++) dst[y++] = f32(dl * ((src[qq + l]! >> shift) & 3)) - ml;
        }
      }
    }
  }
}

const F01 = Math.fround(0.1);
const L = new Uint8Array(QK_K);
const Laux = new Uint8Array(16);
const weights = new Float32Array(16);
const mins = new Float32Array(QK_K / 16);
const scales = new Float32Array(QK_K / 16);

/**
 * Q2_K quantize (`quantize_row_q2_K_ref`): per 16 elements `make_qkx2_quants(nmax 3, weights |x|,
 * rmin -0.5, rdelta 0.1, 15 steps, MAD error)`, scales and mins quantized to 4 bits against their
 * maxima, then the quants recomputed from the rounded (fp16) super-block scales.
 */
export function quantizeRowQ2_K(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += BLOCK_BYTES) {
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(src[x + 16 * j + l]!);
      const s = makeQkx2Quants(16, 3, src, x + 16 * j, weights, L, 16 * j, mins, j, Laux, -0.5, F01, 15, true);
      scales[j] = s;
      if (s > maxScale) maxScale = s;
      const m = mins[j]!;
      if (m > maxMin) maxMin = m;
    }
    if (maxScale > 0) {
      const iscale = f32(15 / maxScale);
      for (let j = 0; j < 16; j++) dst[o + j] = nearestInt(f32(iscale * scales[j]!)) & 0xff;
      writeF16Bits(dst, o + 80, f32ToF16(f32(maxScale / 15)));
    } else {
      for (let j = 0; j < 16; j++) dst[o + j] = 0;
      writeF16Bits(dst, o + 80, 0);
    }
    if (maxMin > 0) {
      const iscale = f32(15 / maxMin);
      for (let j = 0; j < 16; j++) {
        const l = nearestInt(f32(iscale * mins[j]!));
        dst[o + j] = (dst[o + j]! | (l << 4)) & 0xff;
      }
      writeF16Bits(dst, o + 82, f32ToF16(f32(maxMin / 15)));
    } else {
      writeF16Bits(dst, o + 82, 0);
    }
    const dAll = readF16(dst, o + 80);
    const mAll = readF16(dst, o + 82);
    for (let j = 0; j < 16; j++) {
      const sc = dst[o + j]!;
      const d = f32(dAll * (sc & 0xf));
      if (d === 0) continue;
      const dm = f32(mAll * (sc >> 4));
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f32(f32(src[x + 16 * j + ii]! + dm) / d));
        L[16 * j + ii] = Math.max(0, Math.min(3, l));
      }
    }
    packQuants2(L, dst, o + 16);
  }
}

/** Packs 256 2-bit values: in each 128-element half, L[h+l+32s] goes to bits 2s of out[h/4 + l]. */
export function packQuants2(Lq: Uint8Array | Int8Array, out: Uint8Array, at: number): void {
  for (let j = 0; j < QK_K; j += 128) {
    for (let l = 0; l < 32; l++) {
      out[at + j / 4 + l] = Lq[j + l]! | (Lq[j + l + 32]! << 2) | (Lq[j + l + 64]! << 4) | (Lq[j + l + 96]! << 6);
    }
  }
}
