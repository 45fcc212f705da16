/**
 * Q3_K (ggml type 11): 256-element super-blocks of 110 bytes, 3-bit quants with a 6-bit signed scale
 * per 16 elements. Source: ggml/src/ggml-common.h (`block_q3_K`) and ggml-quants.c
 * (`quantize_row_q3_K_ref`, `dequantize_row_q3_K`).
 *
 * Layout: u8 hmask[32] @0 (high bit: element e uses bit e/32 of hmask[e%32]); u8 qs[64] @32 (low 2 bits,
 * packed as in Q2_K); u8 scales[12] @96; half d @108. Scale j (0..15) is 6 bits: low nibble from
 * scales[j] (j<8) or the high nibble of scales[j-8]; bits 4..5 from bits 2*(j/4) of scales[8 + j%4];
 * minus 32. Value: d * scale_j * (q - (high bit set ? 0 : 4)), q = low 2 bits.
 */
import { f32ToF16, readF16, writeF16Bits } from "./float16.js";
import { makeQ3Quants } from "./kquant-search.js";
import { packQuants2 } from "./q2_k.js";
import { f32, nearestInt, toInt8 } from "./rounding.js";

const QK_K = 256;
const BLOCK_BYTES = 110;

/** The signed 6-bit scale j (0..15) of the Q3_K block whose scales[12] start at byte `s`. */
function q3Scale(b: Uint8Array, s: number, j: number): number {
  const low = j < 8 ? b[s + j]! & 0xf : b[s + j - 8]! >> 4;
  const high = (b[s + 8 + (j % 4)]! >> (2 * (j >> 2))) & 3;
  return (low | (high << 4)) - 32;
}

/** Q3_K dequantize: n elements (multiple of 256) from n/256 blocks of 110 bytes. */
export function dequantizeRowQ3_K(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BLOCK_BYTES) {
    const dAll = readF16(src, o + 108);
    let is = 0;
    let m = 1;
    for (let half = 0; half < 2; half++) {
      const q = o + 32 + half * 32;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const dl = f32(dAll * q3Scale(src, o + 96, is++));
          const qq = q + part * 16;
          const hm = o + part * 16;
          for (let l = 0; l < 16; l++) {
            dst[y++] = dl * (((src[qq + l]! >> shift) & 3) - ((src[hm + l]! & m) !== 0 ? 0 : 4));
          }
        }
        m <<= 1;
      }
    }
  }
}

const L = new Int8Array(QK_K);
const scales = new Float32Array(QK_K / 16);

/**
 * Q3_K quantize (`quantize_row_q3_K_ref`): per 16 elements `make_q3_quants(nmax 4, rmse)`, the 16
 * scales quantized to signed 6 bits against the one of largest magnitude, then the quants recomputed
 * from the rounded scales.
 */
export function quantizeRowQ3_K(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += BLOCK_BYTES) {
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < 16; j++) {
      const s = makeQ3Quants(16, 4, src, x + 16 * j, L, 16 * j);
      scales[j] = s;
      const a = Math.abs(s);
      if (a > amax) { amax = a; maxScale = s; }
    }
    const sc = o + 96;
    for (let k = 0; k < 12; k++) dst[sc + k] = 0;
    if (maxScale !== 0) {
      const iscale = f32(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = toInt8(nearestInt(f32(iscale * scales[j]!)));
        l = Math.max(-32, Math.min(31, l)) + 32;
        if (j < 8) dst[sc + j] = l & 0xf;
        else dst[sc + j - 8] = dst[sc + j - 8]! | ((l & 0xf) << 4);
        l >>= 4;
        dst[sc + 8 + (j % 4)] = dst[sc + 8 + (j % 4)]! | (l << (2 * (j >> 2)));
      }
      writeF16Bits(dst, o + 108, f32ToF16(f32(1 / iscale)));
    } else {
      writeF16Bits(dst, o + 108, 0);
    }
    const dAll = readF16(dst, o + 108);
    for (let j = 0; j < 16; j++) {
      const d = f32(dAll * q3Scale(dst, sc, j));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f32(src[x + 16 * j + ii]! / d));
        L[16 * j + ii] = Math.max(-4, Math.min(3, l)) + 4;
      }
    }
    for (let k = 0; k < 32; k++) dst[o + k] = 0;
    let m = 0;
    let hm = 1;
    for (let j = 0; j < QK_K; j++) {
      if (L[j]! > 3) {
        dst[o + m] = dst[o + m]! | hm;
        L[j] = L[j]! - 4;
      }
      if (++m === 32) { m = 0; hm <<= 1; }
    }
    packQuants2(L, dst, o + 32);
  }
}
