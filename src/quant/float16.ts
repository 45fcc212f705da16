/**
 * IEEE binary16 (F16, ggml type 1) and bfloat16 (BF16, ggml type 30) conversions, bit-exact with
 * ggml (ggml/src/ggml-impl.h: `ggml_compute_fp32_to_fp16`, `ggml_compute_fp16_to_fp32`,
 * `ggml_compute_fp32_to_bf16`). Both formats store one element per 2 bytes, little-endian.
 *
 * - f32 -> f16: round to nearest, ties to even; values >= 65520 in magnitude become +-inf; f16
 *   subnormals are produced (no flush); NaN becomes the quiet NaN 0x7e00 with the input's sign.
 * - f32 -> bf16: the top 16 bits after adding 0x7fff plus the lowest kept bit (ties to even); NaN
 *   keeps its top bits with the quiet bit (0x40) forced; no subnormal flush.
 * - f16/bf16 -> f32 is exact.
 */
import { f32Bits, f32FromBits } from "./rounding.js";

/** f32 bit pattern of every f16 value, built on first use (256 KiB). */
let f16TableU32: Uint32Array | undefined;
let f16TableF32: Float32Array | undefined;

function buildF16Table(): void {
  const u = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    let bits: number;
    if (exp === 0x1f) {
      // inf, or NaN with its payload kept and the quiet bit set (as an x86 float multiply does)
      bits = 0x7f800000 | (mant << 13) | (mant !== 0 ? 0x400000 : 0);
    } else if (exp !== 0) {
      bits = ((exp + 112) << 23) | (mant << 13);
    } else if (mant === 0) {
      bits = 0;
    } else {
      // subnormal half: mant * 2^-24, normalised into a float32
      let e = 113;
      let m = mant;
      while ((m & 0x400) === 0) { m <<= 1; e--; }
      bits = (e << 23) | ((m & 0x3ff) << 13);
    }
    u[h] = (sign | bits) >>> 0;
  }
  f16TableU32 = u;
  f16TableF32 = new Float32Array(u.buffer);
}

/** The f16 -> f32 table as float32 values, indexed by the raw half bits. */
export function f16Table(): Float32Array {
  if (f16TableF32 === undefined) buildF16Table();
  return f16TableF32!;
}

function f16TableBits(): Uint32Array {
  if (f16TableU32 === undefined) buildF16Table();
  return f16TableU32!;
}

/** Converts raw half bits (0..65535) to the exact float32 value. */
export function f16ToF32(h: number): number {
  return f16Table()[h & 0xffff]!;
}

/**
 * Converts the float32 with bit pattern `u` (unsigned) to half bits, round-to-nearest-even.
 * Source of the semantics: `ggml_compute_fp32_to_fp16` (ggml-impl.h), which follows the FP16 library.
 */
export function f32BitsToF16(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const a = u & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00; // NaN
  if (a >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds to inf
  if (a >= 0x38800000) {
    // normal half: rebias the exponent, keep 10 mantissa bits, round the 13 dropped bits
    const mant = a & 0x7fffff;
    let h = ((((a >>> 23) - 112) << 10) | (mant >>> 13)) >>> 0;
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0)) h++;
    return sign | h;
  }
  if (a < 0x33000000) return sign; // below 2^-25: rounds to zero
  // subnormal half: the value in units of 2^-24, rounded half to even
  const exp = a >>> 23;
  const m = (a & 0x7fffff) | 0x800000; // value = m * 2^(exp-150); in units of 2^-24: m * 2^(exp-126)
  const shift = 126 - exp; // 1..24 here
  let h = m >>> shift;
  const rest = m - (h << shift);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) !== 0)) h++;
  return sign | h;
}

/** Converts a float32 value to half bits (round to nearest even, see `f32BitsToF16`). */
export function f32ToF16(x: number): number {
  return f32BitsToF16(f32Bits(x));
}

/** Converts a float32 value to bfloat16 bits, exactly as `ggml_compute_fp32_to_bf16`. */
export function f32BitsToBf16(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 64) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Converts a float32 value to bfloat16 bits (see `f32BitsToBf16`). */
export function f32ToBf16(x: number): number {
  return f32BitsToBf16(f32Bits(x));
}

/** Converts bfloat16 bits to the exact float32 value. */
export function bf16ToF32(h: number): number {
  return f32FromBits(((h & 0xffff) << 16) >>> 0);
}

function u32View(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * F16 dequantize: `n` little-endian halves from `src` (2n bytes) into `dst[0..n)`. Bit-exact, NaN
 * payloads included. Source: `ggml_fp16_to_fp32_row` (ggml.c).
 */
export function dequantizeRowF16(src: Uint8Array, dst: Float32Array, n: number): void {
  const t = f16TableBits();
  const d = u32View(dst);
  for (let i = 0, o = 0; i < n; i++, o += 2) d[i] = t[src[o]! | (src[o + 1]! << 8)]!;
}

/**
 * F16 quantize: `n` float32 values into 2n bytes of little-endian halves. Source:
 * `ggml_fp32_to_fp16_row` (ggml.c), scalar path (libggml-base has no F16C).
 */
export function quantizeRowF16(src: Float32Array, dst: Uint8Array, n: number): void {
  const s = u32View(src);
  for (let i = 0, o = 0; i < n; i++, o += 2) {
    const h = f32BitsToF16(s[i]!);
    dst[o] = h & 0xff;
    dst[o + 1] = h >>> 8;
  }
}

/** BF16 dequantize: `n` little-endian bfloat16 values (2n bytes) into `dst`, exact. */
export function dequantizeRowBf16(src: Uint8Array, dst: Float32Array, n: number): void {
  const d = u32View(dst);
  for (let i = 0, o = 0; i < n; i++, o += 2) d[i] = ((src[o]! << 16) | (src[o + 1]! << 24)) >>> 0;
}

/** BF16 quantize: `n` float32 values into 2n bytes. Source: `ggml_fp32_to_bf16_row_ref` (ggml.c). */
export function quantizeRowBf16(src: Float32Array, dst: Uint8Array, n: number): void {
  const s = u32View(src);
  for (let i = 0, o = 0; i < n; i++, o += 2) {
    const h = f32BitsToBf16(s[i]!);
    dst[o] = h & 0xff;
    dst[o + 1] = h >>> 8;
  }
}

/** Reads the little-endian half at byte `o` of `b` as float32. */
export function readF16(b: Uint8Array, o: number): number {
  return f16Table()[b[o]! | (b[o + 1]! << 8)]!;
}

/** Writes half bits `h` little-endian at byte `o` of `b`. */
export function writeF16Bits(b: Uint8Array, o: number, h: number): void {
  b[o] = h & 0xff;
  b[o + 1] = (h >>> 8) & 0xff;
}
