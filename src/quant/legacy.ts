/**
 * The "legacy" 32-element block formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (ggml types 2, 3, 6, 7, 8).
 * Layouts and formulas: ggml/src/ggml-common.h (block structs) and ggml/src/ggml-quants.c
 * (`quantize_row_q*_ref`, `dequantize_row_q*`). All quantizers here are closed-form (one pass per
 * block) and bit-exact with ggml's reference path, which `ggml_quantize_chunk` takes when no
 * importance matrix is given. `half` below is IEEE fp16, little-endian.
 *
 * | type | bytes | layout                                   | value                       |
 * |------|-------|------------------------------------------|-----------------------------|
 * | q4_0 | 18    | half d; u8 qs[16]                        | d * (q - 8)                 |
 * | q4_1 | 20    | half d; half m; u8 qs[16]                | d * q + m                   |
 * | q5_0 | 22    | half d; u8 qh[4]; u8 qs[16]              | d * (q - 16)                |
 * | q5_1 | 24    | half d; half m; u8 qh[4]; u8 qs[16]      | d * q + m                   |
 * | q8_0 | 34    | half d; i8 qs[32]                        | d * q                       |
 *
 * Nibbles: element j (0..15) is the low nibble of qs[j], element j+16 the high nibble. The 5th bits
 * (q5_*) form a little-endian u32 `qh`: bit j belongs to element j.
 */
import { f32ToF16, readF16, writeF16Bits } from "./float16.js";
import { f32, roundAway, truncToInt8 } from "./rounding.js";

const QK = 32;

/** Q4_0 dequantize: n elements (multiple of 32) from n/32 blocks of 18 bytes. */
export function dequantizeRowQ4_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 18, y += QK) {
    const d = readF16(src, o);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      dst[y + j] = ((q & 0x0f) - 8) * d;
      dst[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

/**
 * Q4_0 quantize (`quantize_row_q4_0_ref`): d = max / -8 where max is the signed value of largest
 * magnitude; q = min(15, (int8)(x/d + 8.5)).
 */
export function quantizeRowQ4_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 18) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j]!;
      if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
    }
    const d = f32(max / -8);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeF16Bits(dst, o, f32ToF16(d));
    for (let j = 0; j < 16; j++) {
      const x0 = f32(src[x + j]! * id);
      const x1 = f32(src[x + 16 + j]! * id);
      const q0 = Math.min(15, truncToInt8(f32(x0 + 8.5))) & 0xff;
      const q1 = Math.min(15, truncToInt8(f32(x1 + 8.5))) & 0xff;
      dst[o + 2 + j] = q0 | (q1 << 4);
    }
  }
}

/** Q4_1 dequantize: n elements from n/32 blocks of 20 bytes. */
export function dequantizeRowQ4_1(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 20, y += QK) {
    const d = readF16(src, o);
    const m = readF16(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j]!;
      dst[y + j] = f32((q & 0x0f) * d) + m;
      dst[y + j + 16] = f32((q >> 4) * d) + m;
    }
  }
}

/** Q4_1 quantize (`quantize_row_q4_1_ref`): d = (max - min) / 15, m = min, q = min(15, (int8)((x-min)/d + 0.5)). */
export function quantizeRowQ4_1(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 20) {
    let min = 3.4028234663852886e38;
    let max = -3.4028234663852886e38;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f32(f32(max - min) / 15);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeF16Bits(dst, o, f32ToF16(d));
    writeF16Bits(dst, o + 2, f32ToF16(min));
    for (let j = 0; j < 16; j++) {
      const x0 = f32(f32(src[x + j]! - min) * id);
      const x1 = f32(f32(src[x + 16 + j]! - min) * id);
      const q0 = Math.min(15, truncToInt8(f32(x0 + 0.5))) & 0xff;
      const q1 = Math.min(15, truncToInt8(f32(x1 + 0.5))) & 0xff;
      dst[o + 4 + j] = q0 | (q1 << 4);
    }
  }
}

function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/** Q5_0 dequantize: n elements from n/32 blocks of 22 bytes. */
export function dequantizeRowQ5_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 22, y += QK) {
    const d = readF16(src, o);
    const qh = readU32(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      dst[y + j] = (((q & 0x0f) | h0) - 16) * d;
      dst[y + j + 16] = (((q >> 4) | h1) - 16) * d;
    }
  }
}

/** Q5_0 quantize (`quantize_row_q5_0_ref`): d = max / -16, q = min(31, (int8)(x/d + 16.5)). */
export function quantizeRowQ5_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 22) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j]!;
      if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
    }
    const d = f32(max / -16);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeF16Bits(dst, o, f32ToF16(d));
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = f32(src[x + j]! * id);
      const x1 = f32(src[x + 16 + j]! * id);
      const q0 = Math.min(31, truncToInt8(f32(x0 + 16.5))) & 0xff;
      const q1 = Math.min(31, truncToInt8(f32(x1 + 16.5))) & 0xff;
      dst[o + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    writeU32(dst, o + 2, qh >>> 0);
  }
}

/** Q5_1 dequantize: n elements from n/32 blocks of 24 bytes. */
export function dequantizeRowQ5_1(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 24, y += QK) {
    const d = readF16(src, o);
    const m = readF16(src, o + 2);
    const qh = readU32(src, o + 4);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      dst[y + j] = f32(((q & 0x0f) | h0) * d) + m;
      dst[y + j + 16] = f32(((q >> 4) | h1) * d) + m;
    }
  }
}

/** Q5_1 quantize (`quantize_row_q5_1_ref`): d = (max - min) / 31, m = min, q = (uint8)((x-min)/d + 0.5). */
export function quantizeRowQ5_1(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 24) {
    let min = 3.4028234663852886e38;
    let max = -3.4028234663852886e38;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f32(f32(max - min) / 31);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeF16Bits(dst, o, f32ToF16(d));
    writeF16Bits(dst, o + 2, f32ToF16(min));
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = f32(f32(src[x + j]! - min) * id);
      const x1 = f32(f32(src[x + 16 + j]! - min) * id);
      const q0 = truncToInt8(f32(x0 + 0.5)) & 0xff;
      const q1 = truncToInt8(f32(x1 + 0.5)) & 0xff;
      dst[o + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    writeU32(dst, o + 4, qh >>> 0);
  }
}

/** Q8_0 dequantize: n elements from n/32 blocks of 34 bytes. */
export function dequantizeRowQ8_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 34, y += QK) {
    const d = readF16(src, o);
    for (let j = 0; j < QK; j++) dst[y + j] = ((src[o + 2 + j]! << 24) >> 24) * d;
  }
}

/** Q8_0 quantize (`quantize_row_q8_0_ref`): d = amax / 127, q = roundf(x / d) (half away from zero). */
export function quantizeRowQ8_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 34) {
    let amax = 0;
    for (let j = 0; j < QK; j++) {
      const a = Math.abs(src[x + j]!);
      amax = amax > a ? amax : a; // C's MAX(amax, |v|), NaN behaviour included
    }
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeF16Bits(dst, o, f32ToF16(d));
    for (let j = 0; j < QK; j++) dst[o + 2 + j] = truncToInt8(roundAway(f32(src[x + j]! * id))) & 0xff;
  }
}
