/**
 * Softmax as ggml's CPU soft_max (ops.cpp ggml_compute_forward_soft_max_f32, vec.cpp
 * ggml_vec_soft_max_f32): w = x*scale (+ slope*mask), e = f32 exp(w − max), sum in double,
 * y = fr(e * f32(1/sum)). Fully masked rows (all −inf) give NaN, as in ggml; callers avoid them.
 */
import { checkLen, checkSize } from "./tensor.js";

const fr = Math.fround;

/**
 * In-place-capable row softmax of `x: [nRows][n]` into `out` (may alias x), optional `scale`
 * applied first (default 1).
 */
export function softmax(out: Float32Array, x: Float32Array, nRows: number, n: number, scale = 1): void {
  checkSize("nRows", nRows); checkSize("n", n);
  checkLen("x", x, nRows * n); checkLen("out", out, nRows * n);
  const s = fr(scale);
  for (let r = 0; r < nRows; r++) {
    const o = r * n;
    let max = -Infinity;
    for (let i = 0; i < n; i++) { const v = fr(x[o + i]! * s); out[o + i] = v; if (v > max) max = v; }
    softmaxRowInPlace(out, o, n, max);
  }
}

/** Exponentiates `w[o..o+n)` against `max` and normalizes (the second half of ggml's soft_max). */
export function softmaxRowInPlace(w: Float32Array, o: number, n: number, max: number): void {
  let sum = 0;
  for (let i = 0; i < n; i++) { const e = fr(Math.exp(fr(w[o + i]! - max))); w[o + i] = e; sum += e; }
  const inv = fr(1 / sum);
  for (let i = 0; i < n; i++) w[o + i] = fr(w[o + i]! * inv);
}

/**
 * ALiBi slope of head h (Press et al. 2022), ggml's formula for any head count:
 * n_head_log2 = 2^floor(log2 nHead), m0 = 2^(−maxBias/n_head_log2), m1 = 2^(−maxBias/2/n_head_log2),
 * slope = m0^(h+1) for h < n_head_log2, else m1^(2(h−n_head_log2)+1). maxBias 0 gives 1 (unused).
 */
export function alibiSlope(h: number, nHead: number, maxBias: number): number {
  if (!(maxBias > 0)) return 1;
  const nHeadLog2 = 2 ** Math.floor(Math.log2(nHead));
  const m0 = fr(2 ** fr(-maxBias / nHeadLog2));
  const m1 = fr(2 ** fr(fr(-maxBias / 2) / nHeadLog2));
  return h < nHeadLog2 ? fr(m0 ** (h + 1)) : fr(m1 ** (2 * (h - nHeadLog2) + 1));
}
