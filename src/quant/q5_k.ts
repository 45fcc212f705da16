/**
 * Q5_K (ggml type 13): 256-element super-blocks of 176 bytes, 5-bit quants in 8 sub-blocks of 32
 * with 6-bit scales and mins (packed as in Q4_K). Source: ggml/src/ggml-common.h (`block_q5_K`) and
 * ggml-quants.c (`quantize_row_q5_K_ref`, `dequantize_row_q5_K`).
 *
 * Layout: half d @0; half dmin @2; u8 scales[12] @4; u8 qh[32] @16; u8 qs[128] @48. Sub-blocks 2k, 2k+1
 * share qs[32k..32k+32) (low / high nibble); their 5th bits are bits 2k and 2k+1 of qh[l].
 */
import { readF16 } from "./float16.js";
import { kMin, kScale } from "./k4-scales.js";
import { kFinishScales, kSubBlockSearch } from "./q4_k.js";
import { f32 } from "./rounding.js";

const QK_K = 256;
const BLOCK_BYTES = 176;

/** Q5_K dequantize: n elements (multiple of 256) from n/256 blocks of 176 bytes. */
export function dequantizeRowQ5_K(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BLOCK_BYTES) {
    const d = readF16(src, o);
    const dmin = readF16(src, o + 2);
    const qh = o + 16;
    for (let k = 0; k < 4; k++) {
      const d1 = f32(d * kScale(src, o + 4, 2 * k));
      const m1 = f32(dmin * kMin(src, o + 4, 2 * k));
      const d2 = f32(d * kScale(src, o + 4, 2 * k + 1));
      const m2 = f32(dmin * kMin(src, o + 4, 2 * k + 1));
      const u1 = 1 << (2 * k);
      const u2 = 2 << (2 * k);
      const ql = o + 48 + 32 * k;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d1 * ((src[ql + l]! & 0xf) + ((src[qh + l]! & u1) !== 0 ? 16 : 0))) - m1;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d2 * ((src[ql + l]! >> 4) + ((src[qh + l]! & u2) !== 0 ? 16 : 0))) - m2;
    }
  }
}

const L = new Uint8Array(QK_K);
const mins = new Float32Array(8);
const scales = new Float32Array(8);
const maxes = new Float32Array(2);

/**
 * Q5_K quantize (`quantize_row_q5_K_ref`): as Q4_K but nmax 31, rmin -0.5, 15 search steps; the
 * 5th bit of each quant goes to qh.
 */
export function quantizeRowQ5_K(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += BLOCK_BYTES) {
    kSubBlockSearch(src, x, 31, -0.5, 15, L, scales, mins, maxes);
    kFinishScales(src, x, dst, o, 31, L, scales, mins, maxes[0]!, maxes[1]!);
    const qh = o + 16;
    for (let k = 0; k < 32; k++) dst[qh + k] = 0;
    let m1 = 1;
    let m2 = 2;
    for (let k = 0; k < 4; k++) {
      const ql = o + 48 + 32 * k;
      for (let j = 0; j < 32; j++) {
        let l1 = L[64 * k + j]!;
        if (l1 > 15) { l1 -= 16; dst[qh + j] = dst[qh + j]! | m1; }
        let l2 = L[64 * k + j + 32]!;
        if (l2 > 15) { l2 -= 16; dst[qh + j] = dst[qh + j]! | m2; }
        dst[ql + j] = l1 | (l2 << 4);
      }
      m1 <<= 2;
      m2 <<= 2;
    }
  }
}
