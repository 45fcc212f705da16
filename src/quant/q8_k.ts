/**
 * Q8_K (ggml type 15): 256-element blocks of 292 bytes, used by ggml only for activations (the other
 * operand of K-quant dot products), never in model files. Source: ggml/src/ggml-common.h
 * (`block_q8_K`) and ggml-quants.c (`quantize_row_q8_K_ref`, `dequantize_row_q8_K`).
 *
 * Layout: f32 d @0; i8 qs[256] @4; i16 bsums[16] @260 (sum of each 16 quants). Value: d * q.
 */
import { f32, f32Bits, f32FromBits, nearestInt } from "./rounding.js";

const QK_K = 256;
const BLOCK_BYTES = 292;

function readF32(b: Uint8Array, o: number): number {
  return f32FromBits((b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0);
}

/** Q8_K dequantize: n elements (multiple of 256) from n/256 blocks of 292 bytes. */
export function dequantizeRowQ8_K(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BLOCK_BYTES) {
    const d = readF32(src, o);
    for (let j = 0; j < QK_K; j++) dst[y++] = d * ((src[o + 4 + j]! << 24) >> 24);
  }
}

/**
 * Q8_K quantize (`quantize_row_q8_K_ref`): iscale = -127 / max (max = signed value of largest
 * magnitude), q = min(127, nearest_int(iscale * x)), d = 1 / iscale stored as f32. An all-zero
 * block gets d = 0 and zero quants, and, as in ggml, its bsums bytes are left as they were in `dst`.
 */
export function quantizeRowQ8_K(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += BLOCK_BYTES) {
    let max = 0;
    let amax = 0;
    for (let j = 0; j < QK_K; j++) {
      const ax = Math.abs(src[x + j]!);
      if (ax > amax) { amax = ax; max = src[x + j]!; }
    }
    if (amax === 0) {
      dst.fill(0, o, o + 260);
      continue;
    }
    const iscale = f32(-127 / max);
    for (let j = 0; j < QK_K; j++) {
      dst[o + 4 + j] = Math.min(127, nearestInt(f32(iscale * src[x + j]!))) & 0xff;
    }
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let ii = 0; ii < 16; ii++) sum += (dst[o + 4 + 16 * j + ii]! << 24) >> 24;
      dst[o + 260 + 2 * j] = sum & 0xff;
      dst[o + 261 + 2 * j] = (sum >> 8) & 0xff;
    }
    const d = f32Bits(f32(1 / iscale));
    dst[o] = d & 0xff;
    dst[o + 1] = (d >>> 8) & 0xff;
    dst[o + 2] = (d >>> 16) & 0xff;
    dst[o + 3] = (d >>> 24) & 0xff;
  }
}
