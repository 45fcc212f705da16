/**
 * Quantization of activation rows before a quantized dot product, as llama.cpp's CPU backend
 * does (the weight type's `vec_dot_type`): Q8_0 for Q8_0/Q4_0 weights, Q8_K for K-quants.
 * The result is kept unpacked (separate scale and quant arrays) since it never leaves memory.
 */
import { GlassboxError } from "../../errors.js";
import { fp32ToFp16, fp16Table } from "./fp16.js";

/** An activation row quantized to blocks: `qs[i]` int8 quants, `d[b]` the f32 scale of block b. */
export interface QuantizedActivation {
  readonly n: number;
  readonly blockSize: number;
  readonly qs: Int8Array;
  readonly d: Float32Array;
  /** Q8_K only: sums of each 16 consecutive quants (`bsums[b*16 + j]`). */
  readonly bsums?: Int32Array;
}

const fr = Math.fround;

/** Round half to even for |x| < 2^22 (ggml's `nearest_int`, used by Q8_K). */
export function roundHalfEven(x: number): number {
  let r = Math.round(x);
  if (r - x === 0.5 && (r & 1) !== 0) r -= 1;
  return r;
}

/** Round half away from zero (C `roundf`), exact for any f32 input. */
export function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  const f = Math.floor(a);
  const r = a - f >= 0.5 ? f + 1 : f;
  return x < 0 ? -r : r;
}

/**
 * Quantizes `x[0..n)` to Q8_0 blocks of 32 as llama.cpp's CPU backend did for the shared vectors:
 * amax per block, `d = amax/127` stored as fp16, multiplier `id = 127/amax` (0 when amax = 0,
 * the AVX2 `quantize_row_q8_0` form; the reference quantizer uses `1/d`), `q = round(x*id)` in f32
 * with exact .5 ties rounded away from zero. The tie rule is taken from the vectors, not from
 * reading the source (whose AVX2 code uses `_mm256_round_ps`, nearest-even): the only exact tie
 * in them (llama-gqa-q8_0, prompt 2) reproduces llama.cpp's logits (max diff 8e-6 instead of 0.8)
 * only when rounded away from zero. `d[b]` returned is the fp16-rounded scale the dot product reads.
 * @param x f32 row, length >= n. @param n multiple of 32, else KERNEL_BAD_SHAPE.
 */
export function quantizeRowQ8_0(x: Float32Array, n: number, out?: QuantizedActivation): QuantizedActivation {
  if (n % 32 !== 0) throw new GlassboxError("KERNEL_BAD_SHAPE", `Q8_0 activation length ${n} is not a multiple of 32`);
  const nb = n / 32;
  const qs = out?.qs ?? new Int8Array(n);
  const d = out?.d ?? new Float32Array(nb);
  const t = fp16Table();
  for (let b = 0; b < nb; b++) {
    const o = b * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(x[o + j]!);
      if (a > amax) amax = a;
    }
    d[b] = t[fp32ToFp16(fr(amax / 127))]!;
    const id = amax !== 0 ? fr(127 / amax) : 0;
    for (let j = 0; j < 32; j++) qs[o + j] = roundHalfAway(fr(x[o + j]! * id));
  }
  return { n, blockSize: 32, qs, d };
}

/**
 * Quantizes `x[0..n)` to Q8_K blocks of 256 as ggml's `quantize_row_q8_K_ref` (used by the x86
 * CPU backend too): `max` = the element of largest magnitude (first one on ties), `iscale =
 * -127/max`, `q = min(127, nearest_int(iscale*x))`, `d = 1/iscale` (f32), plus `bsums` per 16.
 * A block of zeros gets d = 0 and zero quants.
 * @param n multiple of 256, else KERNEL_BAD_SHAPE.
 */
export function quantizeRowQ8_K(x: Float32Array, n: number, out?: QuantizedActivation): QuantizedActivation {
  if (n % 256 !== 0) throw new GlassboxError("KERNEL_BAD_SHAPE", `Q8_K activation length ${n} is not a multiple of 256`);
  const nb = n / 256;
  const qs = out?.qs ?? new Int8Array(n);
  const d = out?.d ?? new Float32Array(nb);
  const bsums = out?.bsums ?? new Int32Array(nb * 16);
  for (let b = 0; b < nb; b++) {
    const o = b * 256;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 256; j++) {
      const v = x[o + j]!;
      const a = Math.abs(v);
      if (a > amax) { amax = a; max = v; }
    }
    if (amax === 0) {
      d[b] = 0;
      qs.fill(0, o, o + 256);
      bsums.fill(0, b * 16, b * 16 + 16);
      continue;
    }
    const iscale = fr(-127 / max);
    for (let j = 0; j < 256; j++) qs[o + j] = Math.min(127, roundHalfEven(fr(iscale * x[o + j]!)));
    for (let g = 0; g < 16; g++) {
      let s = 0;
      for (let j = 0; j < 16; j++) s += qs[o + g * 16 + j]!;
      bsums[b * 16 + g] = s;
    }
    d[b] = fr(1 / iscale);
  }
  return { n, blockSize: 256, qs, d, bsums };
}
