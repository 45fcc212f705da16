/**
 * Float32 arithmetic and rounding primitives that ggml's reference quantizers use, emulated exactly
 * in JavaScript. ggml computes in float32 in source order with no FMA (libggml-base is built without
 * -march=native); a JS double result rounded with `Math.fround` after every single `+ - * / sqrt`
 * equals the float32 result (double has more than 2*24+2 bits), so a port that rounds after each
 * operation is bit-exact. Source of the primitives: ggml/src/ggml-quants.c (`nearest_int`, `roundf`,
 * `lroundf`, the `(int8_t)` casts).
 */

/** Round a JS number to float32 (one float32 operation's rounding). */
export const f32 = Math.fround;

const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/** Bit pattern of the float32 nearest to `x`, as an unsigned 32-bit integer. */
export function f32Bits(x: number): number {
  bitsF32[0] = x;
  return bitsU32[0]!;
}

/** The float32 whose bit pattern is the unsigned 32-bit integer `u`. */
export function f32FromBits(u: number): number {
  bitsU32[0] = u;
  return bitsF32[0]!;
}

/** 1.5 * 2^23: adding it to a float32 leaves the rounded integer in the low mantissa bits. */
const MAGIC = 12582912;

/**
 * ggml's `nearest_int(x)`: adds 12582912.f in float32 and reads the low 23 mantissa bits, i.e. round
 * half to EVEN for |x| <= 4194303. Outside that range (never reached by the quantizers on finite
 * input) it reproduces the same bit trick, so NaN gives 0 and +-inf gives -4194304.
 * `x` must already be a float32 value (pass `f32(a*b)`, not `a*b`).
 */
export function nearestInt(x: number): number {
  const v = Math.fround(x + MAGIC);
  if (v >= 8388608 && v < 16777216) return v - MAGIC;
  return (f32Bits(v) & 0x7fffff) - 0x400000;
}

/**
 * C `roundf` / `lroundf`: round half AWAY from zero (unlike JS `Math.round`, which rounds -2.5 to -2).
 * `x` is a float32 value; the `+ 0.5` is exact in double for every float32 below 2^52.
 */
export function roundAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/**
 * C's float-to-`int8_t` conversion as gcc emits it on x86-64 (`cvttss2si` to 32 bits, keep the low
 * byte): truncate toward zero, then wrap to [-128, 127]. NaN, infinities and values beyond 2^31 give 0,
 * as on x86 (their low byte is zero).
 */
export function truncToInt8(x: number): number {
  return (Math.trunc(x) << 24) >> 24;
}

/** Wraps an integer to int8 (C's `(int8_t)i` for an int). */
export function toInt8(i: number): number {
  return (i << 24) >> 24;
}
