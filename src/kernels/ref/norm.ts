/**
 * Normalizations with llama.cpp's CPU numerics (ggml-cpu ops.cpp `ggml_compute_forward_rms_norm_f32`
 * and `_norm_f32` at the vectors' commit): sums in double, everything else f32. The optional
 * weight/bias application is ggml_mul / ggml_add done afterwards, as llama.cpp builds it.
 */
import { checkLen, checkSize } from "./tensor.js";

const fr = Math.fround;

/**
 * RMSNorm per row: y = x * (1/sqrt(mean(x²) + eps)) [* weight]. Σx² is a double sum of f32
 * squares; mean and scale are f32 (`1.0f/sqrtf(mean + eps)`); then `y = fr(x*scale)`, then
 * `fr(y*weight[i])`. Source: Zhang & Sennrich 2019; ggml rms_norm.
 * @param out [nRows][n] (may alias x). @param x [nRows][n]. @param weight [n] or undefined.
 */
export function rmsNorm(out: Float32Array, x: Float32Array, nRows: number, n: number, eps: number, weight?: Float32Array): void {
  checkSize("nRows", nRows); checkSize("n", n);
  checkLen("x", x, nRows * n); checkLen("out", out, nRows * n);
  if (weight) checkLen("weight", weight, n);
  for (let r = 0; r < nRows; r++) {
    const o = r * n;
    let sum = 0;
    for (let i = 0; i < n; i++) { const v = x[o + i]!; sum += fr(v * v); }
    const mean = fr(sum / n);
    const scale = fr(1 / fr(Math.sqrt(fr(mean + fr(eps)))));
    if (weight) for (let i = 0; i < n; i++) out[o + i] = fr(fr(x[o + i]! * scale) * weight[i]!);
    else for (let i = 0; i < n; i++) out[o + i] = fr(x[o + i]! * scale);
  }
}

/**
 * LayerNorm per row: y = (x − mean) / sqrt(var + eps) [* weight] [+ bias], biased variance.
 * mean = f32(Σx in double / n); v = fr(x − mean); var = f32(Σv² in double / n);
 * scale = 1.0f/sqrtf(var + eps); y = fr(v*scale); then fr(y*w), then fr(y+b).
 * Source: Ba et al. 2016; ggml norm.
 * @param out [nRows][n] (may alias x). @param x [nRows][n]. @param weight,bias [n] or undefined.
 */
export function layerNorm(out: Float32Array, x: Float32Array, nRows: number, n: number, eps: number, weight?: Float32Array, bias?: Float32Array): void {
  checkSize("nRows", nRows); checkSize("n", n);
  checkLen("x", x, nRows * n); checkLen("out", out, nRows * n);
  if (weight) checkLen("weight", weight, n);
  if (bias) checkLen("bias", bias, n);
  for (let r = 0; r < nRows; r++) {
    const o = r * n;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[o + i]!;
    const mean = fr(sum / n);
    let sum2 = 0;
    for (let i = 0; i < n; i++) { const v = fr(x[o + i]! - mean); out[o + i] = v; sum2 += fr(v * v); }
    const variance = fr(sum2 / n);
    const scale = fr(1 / fr(Math.sqrt(fr(variance + fr(eps)))));
    for (let i = 0; i < n; i++) {
      let y = fr(out[o + i]! * scale);
      if (weight) y = fr(y * weight[i]!);
      if (bias) y = fr(y + bias[i]!);
      out[o + i] = y;
    }
  }
}
