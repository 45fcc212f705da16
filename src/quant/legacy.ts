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

/** Per-block scratch: the 32 integer quants of one block, element order (4 or 5 bits each). */
const q = new Uint8Array(QK);

function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/**
 * Reads one block's 32 quants into `q`: the nibbles at src[oQs..oQs+16) (element j low nibble of
 * qs[j], element j+16 high nibble) and, when `oQh` >= 0, the 5th bits from the little-endian u32 at
 * src[oQh] (bit j to element j). Layout: ggml-common.h `block_q4_0` .. `block_q5_1`.
 */
function unpackBlock(src: Uint8Array, oQs: number, oQh: number): void {
  const qh = oQh >= 0 ? readU32(src, oQh) : 0;
  for (let j = 0; j < 16; j++) {
    const b = src[oQs + j]!;
    q[j] = (b & 0x0f) | (((qh >>> j) << 4) & 0x10);
    q[j + 16] = (b >> 4) | ((qh >>> (j + 12)) & 0x10);
  }
}

/**
 * Writes one block's 32 quants from `q`: the low 4 bits as nibbles to dst[oQs..oQs+16) and, when
 * `oQh` >= 0, bit 4 of each as the little-endian u32 `qh` at dst[oQh]. Inverse of `unpackBlock`.
 */
function packBlock(dst: Uint8Array, oQs: number, oQh: number): void {
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const q0 = q[j]!;
    const q1 = q[j + 16]!;
    dst[oQs + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
    qh |= ((q0 & 0x10) >>> 4) << j;
    qh |= ((q1 & 0x10) >>> 4) << (j + 16);
  }
  if (oQh >= 0) writeU32(dst, oQh, qh >>> 0);
}

/** Dequantizes a symmetric block from `q`: dst[y+j] = (q[j] - zero) * d (q4_0: zero 8, q5_0: 16). */
function dequantizeSymmetric(dst: Float32Array, y: number, d: number, zero: number): void {
  for (let j = 0; j < QK; j++) dst[y + j] = (q[j]! - zero) * d;
}

/** Dequantizes an affine block from `q`: dst[y+j] = float32(q[j] * d) + m (q4_1, q5_1). */
function dequantizeAffine(dst: Float32Array, y: number, d: number, m: number): void {
  for (let j = 0; j < QK; j++) dst[y + j] = f32(q[j]! * d) + m;
}

/**
 * Quantizes the symmetric block src[x..x+32) (q4_0, q5_0) as `quantize_row_q4_0_ref` /
 * `quantize_row_q5_0_ref` do: max is the signed value of largest magnitude (first on ties),
 * d = max / -zero, q = min(qmax, (int8)(x/d + zero + 0.5)). Writes half d at dst[o], quants to `q`.
 */
function quantizeSymmetric(src: Float32Array, x: number, dst: Uint8Array, o: number, zero: number, qmax: number): void {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < QK; j++) {
    const v = src[x + j]!;
    if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
  }
  const d = f32(max / -zero);
  const id = d !== 0 ? f32(1 / d) : 0;
  writeF16Bits(dst, o, f32ToF16(d));
  const bias = zero + 0.5;
  for (let j = 0; j < QK; j++) q[j] = Math.min(qmax, truncToInt8(f32(f32(src[x + j]! * id) + bias))) & 0xff;
}

/**
 * Quantizes the affine block src[x..x+32) (q4_1, q5_1) as `quantize_row_q4_1_ref` /
 * `quantize_row_q5_1_ref` do: d = (max - min) / levels, m = min, q = min(qmax, (int8)((x-min)/d + 0.5))
 * (q5_1 has no clamp: pass qmax = Infinity). Writes half d at dst[o], half m at dst[o+2], quants to `q`.
 */
function quantizeAffine(src: Float32Array, x: number, dst: Uint8Array, o: number, levels: number, qmax: number): void {
  let min = 3.4028234663852886e38;
  let max = -3.4028234663852886e38;
  for (let j = 0; j < QK; j++) {
    const v = src[x + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const d = f32(f32(max - min) / levels);
  const id = d !== 0 ? f32(1 / d) : 0;
  writeF16Bits(dst, o, f32ToF16(d));
  writeF16Bits(dst, o + 2, f32ToF16(min));
  for (let j = 0; j < QK; j++) q[j] = Math.min(qmax, truncToInt8(f32(f32(f32(src[x + j]! - min) * id) + 0.5))) & 0xff;
}

/** Q4_0 dequantize: n elements (multiple of 32) from n/32 blocks of 18 bytes. */
export function dequantizeRowQ4_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 18, y += QK) {
    unpackBlock(src, o + 2, -1);
    dequantizeSymmetric(dst, y, readF16(src, o), 8);
  }
}

/**
 * Q4_0 quantize (`quantize_row_q4_0_ref`): d = max / -8 where max is the signed value of largest
 * magnitude; q = min(15, (int8)(x/d + 8.5)).
 */
export function quantizeRowQ4_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 18) {
    quantizeSymmetric(src, x, dst, o, 8, 15);
    packBlock(dst, o + 2, -1);
  }
}

/** Q4_1 dequantize: n elements from n/32 blocks of 20 bytes. */
export function dequantizeRowQ4_1(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 20, y += QK) {
    unpackBlock(src, o + 4, -1);
    dequantizeAffine(dst, y, readF16(src, o), readF16(src, o + 2));
  }
}

/** Q4_1 quantize (`quantize_row_q4_1_ref`): d = (max - min) / 15, m = min, q = min(15, (int8)((x-min)/d + 0.5)). */
export function quantizeRowQ4_1(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 20) {
    quantizeAffine(src, x, dst, o, 15, 15);
    packBlock(dst, o + 4, -1);
  }
}

/** Q5_0 dequantize: n elements from n/32 blocks of 22 bytes. */
export function dequantizeRowQ5_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 22, y += QK) {
    unpackBlock(src, o + 6, o + 2);
    dequantizeSymmetric(dst, y, readF16(src, o), 16);
  }
}

/** Q5_0 quantize (`quantize_row_q5_0_ref`): d = max / -16, q = min(31, (int8)(x/d + 16.5)). */
export function quantizeRowQ5_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 22) {
    quantizeSymmetric(src, x, dst, o, 16, 31);
    packBlock(dst, o + 6, o + 2);
  }
}

/** Q5_1 dequantize: n elements from n/32 blocks of 24 bytes. */
export function dequantizeRowQ5_1(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 24, y += QK) {
    unpackBlock(src, o + 8, o + 4);
    dequantizeAffine(dst, y, readF16(src, o), readF16(src, o + 2));
  }
}

/** Q5_1 quantize (`quantize_row_q5_1_ref`): d = (max - min) / 31, m = min, q = (uint8)((x-min)/d + 0.5). */
export function quantizeRowQ5_1(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK, o += 24) {
    quantizeAffine(src, x, dst, o, 31, Infinity);
    packBlock(dst, o + 8, o + 4);
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
