/**
 * IEEE-754 binary16 ("half", ggml_fp16_t) <-> binary32 conversion, bit-exact with ggml's CPU
 * conversions on x86 with F16C (`_cvtss_sh` round-to-nearest-even, overflow to +-inf,
 * subnormals kept, NaN kept quiet). Source of the semantics: ggml/src/ggml-impl.h
 * (`ggml_compute_fp32_to_fp16`) and the vectors README ("f16" row of quant/).
 */

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/**
 * Converts a number to the bits of the nearest IEEE half (round half to even), as ggml's
 * GGML_FP32_TO_FP16. The input is first rounded to f32 (as it would be in C).
 * @returns the 16-bit pattern (0..65535).
 */
export function fp32ToFp16(x: number): number {
  f32buf[0] = x;
  const u = u32buf[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) !== 0)) m++;
    return sign | m;
  }
  let v = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (v & 1) !== 0)) v++; // a carry into the exponent is correct (may give inf)
  return sign | v;
}

let table: Float32Array | undefined;

/** The 65536-entry half -> f32 table (built on first use, 256 KiB). Index by the half's bits. */
export function fp16Table(): Float32Array {
  if (table) return table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    let v: number;
    if (e === 0) v = m * 2 ** -24;
    else if (e === 31) v = m === 0 ? Infinity : NaN;
    else v = (1 + m / 1024) * 2 ** (e - 15);
    t[h] = sign * v;
  }
  table = t;
  return t;
}

/** Value of a half given its 16 bits (exact; every half is representable in f32). */
export function fp16ToFp32(h: number): number {
  return fp16Table()[h & 0xffff]!;
}

/** Rounds x to the nearest half and back (round half to even): the f32 value ggml would see. */
export function roundToF16(x: number): number {
  return fp16Table()[fp32ToFp16(x)]!;
}
