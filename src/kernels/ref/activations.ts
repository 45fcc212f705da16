/**
 * Activation functions with ggml CPU semantics (ggml-cpu vec.h): SiLU x/(1+e^−x) in f32, and
 * GELU through ggml's fp16 table (GGML_GELU_FP16): x <= −10 → 0, x >= 10 → x, else
 * fp16(gelu_tanh(fp16(x))) where gelu_tanh(x) = 0.5x(1 + tanh(√(2/π)·x·(1 + 0.044715x²)))
 * (Hendrycks & Gimpel 2016) in f32.
 */
import { fp16Table, fp32ToFp16 } from "./fp16.js";
import { checkLen, checkSize } from "./tensor.js";

const fr = Math.fround;
const GELU_COEF_A = fr(0.044715);
const SQRT_2_OVER_PI = fr(0.79788456080286535587989211986876);

/** gelu_tanh(x) evaluated in f32 in ggml_gelu_f32's operation order (no table). */
export function geluTanhF32(x: number): number {
  const inner = fr(fr(SQRT_2_OVER_PI * x) * fr(1 + fr(fr(GELU_COEF_A * x) * x)));
  return fr(fr(fr(0.5 * x)) * fr(1 + fr(Math.tanh(inner))));
}

let geluTable: Uint16Array | undefined;

/** ggml_table_gelu_f16: for every half h, the half bits of gelu_tanh(h). 65536 entries, built on first use. */
export function geluF16Table(): Uint16Array {
  if (geluTable) return geluTable;
  const t = new Uint16Array(65536);
  const h = fp16Table();
  for (let i = 0; i < 65536; i++) t[i] = fp32ToFp16(geluTanhF32(h[i]!));
  geluTable = t;
  return t;
}

/** ggml's CPU GELU of one value (table path). */
export function gelu1(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  return fp16Table()[geluF16Table()[fp32ToFp16(x)]!]!;
}

/** out[i] = GELU(x[i]) (ggml table semantics) for i < n; out may alias x. */
export function gelu(out: Float32Array, x: Float32Array, n: number): void {
  checkSize("n", n); checkLen("x", x, n); checkLen("out", out, n);
  const tab = geluF16Table(), h = fp16Table();
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = v <= -10 ? 0 : v >= 10 ? v : h[tab[fp32ToFp16(v)]!]!;
  }
}

/** out[i] = SiLU(x[i]) = x/(1+exp(−x)) in f32; out may alias x. */
export function silu(out: Float32Array, x: Float32Array, n: number): void {
  checkSize("n", n); checkLen("x", x, n); checkLen("out", out, n);
  for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = fr(v / fr(1 + fr(Math.exp(-v)))); }
}

/** SwiGLU gate: out[i] = SiLU(gate[i]) * up[i] (llama FFN), f32; out may alias either input. */
export function swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
  checkSize("n", n); checkLen("gate", gate, n); checkLen("up", up, n); checkLen("out", out, n);
  for (let i = 0; i < n; i++) { const v = gate[i]!; out[i] = fr(fr(v / fr(1 + fr(Math.exp(-v)))) * up[i]!); }
}
