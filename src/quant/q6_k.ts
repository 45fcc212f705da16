/**
 * Q6_K (ggml type 14): 256-element super-blocks of 210 bytes, 6-bit quants with a signed 8-bit scale
 * per 16 elements. Source: ggml/src/ggml-common.h (`block_q6_K`) and ggml-quants.c
 * (`quantize_row_q6_K_ref`, `dequantize_row_q6_K`).
 *
 * Layout: u8 ql[128] @0 (low 4 bits); u8 qh[64] @128 (high 2 bits); i8 scales[16] @192; half d @208.
 * In each 128-element half h (ql += 64, qh += 32 per half), for l < 32: element l and l+64 share
 * ql[l] (low / high nibble), elements l+32 and l+96 share ql[l+32]; their high bits are bits 0-1,
 * 2-3, 4-5, 6-7 of qh[l] for l, l+32, l+64, l+96. Value: d * scale * (q - 32).
 */
import { f32ToF16, readF16, writeF16Bits } from "./float16.js";
import { GROUP_MAX_EPS, makeQxQuants } from "./kquant-search.js";
import { f32, nearestInt } from "./rounding.js";

const QK_K = 256;
const BLOCK_BYTES = 210;

/** Q6_K dequantize: n elements (multiple of 256) from n/256 blocks of 210 bytes. */
export function dequantizeRowQ6_K(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BLOCK_BYTES) {
    const d = readF16(src, o + 208);
    for (let half = 0; half < 2; half++) {
      const ql = o + 64 * half;
      const qh = o + 128 + 32 * half;
      const sc = o + 192 + 8 * half;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const a = src[ql + l]!;
        const b = src[ql + l + 32]!;
        const h = src[qh + l]!;
        const q1 = ((a & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((b & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((b >> 4) | (((h >> 6) & 3) << 4)) - 32;
        dst[y + l] = f32(d * ((src[sc + is]! << 24) >> 24)) * q1;
        dst[y + l + 32] = f32(d * ((src[sc + is + 2]! << 24) >> 24)) * q2;
        dst[y + l + 64] = f32(d * ((src[sc + is + 4]! << 24) >> 24)) * q3;
        dst[y + l + 96] = f32(d * ((src[sc + is + 6]! << 24) >> 24)) * q4;
      }
      y += 128;
    }
  }
}

const L = new Int8Array(QK_K);
const scales = new Float32Array(QK_K / 16);

/**
 * Q6_K quantize (`quantize_row_q6_K_ref`): per 16 elements `make_qx_quants(nmax 32, rmse_type 1)`,
 * scales to signed 8 bits against the one of largest magnitude (d = max_scale / -128), quants
 * recomputed from the rounded scales. A super-block whose scales are all below GROUP_MAX_EPS is
 * written as all zero bytes.
 */
export function quantizeRowQ6_K(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += BLOCK_BYTES) {
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = makeQxQuants(16, 32, src, x + 16 * ib, L, 16 * ib);
      scales[ib] = s;
      const a = Math.abs(s);
      if (a > maxAbsScale) { maxAbsScale = a; maxScale = s; }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
      dst.fill(0, o, o + BLOCK_BYTES);
      continue;
    }
    const iscale = f32(-128 / maxScale);
    writeF16Bits(dst, o + 208, f32ToF16(f32(1 / iscale)));
    for (let ib = 0; ib < 16; ib++) {
      dst[o + 192 + ib] = Math.min(127, nearestInt(f32(iscale * scales[ib]!))) & 0xff;
    }
    const dAll = readF16(dst, o + 208);
    for (let j = 0; j < 16; j++) {
      const d = f32(dAll * ((dst[o + 192 + j]! << 24) >> 24));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f32(src[x + 16 * j + ii]! / d));
        L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
      }
    }
    for (let half = 0; half < 2; half++) {
      const j = 128 * half;
      const ql = o + 64 * half;
      const qh = o + 128 + 32 * half;
      for (let l = 0; l < 32; l++) {
        const a = L[j + l]!;
        const b = L[j + l + 32]!;
        const c = L[j + l + 64]!;
        const e = L[j + l + 96]!;
        dst[ql + l] = (a & 0xf) | ((c & 0xf) << 4);
        dst[ql + l + 32] = (b & 0xf) | ((e & 0xf) << 4);
        dst[qh + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
    }
  }
}
