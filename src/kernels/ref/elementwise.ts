/** Element-wise f32 ops (ggml add/mul/scale and their row-broadcast forms). Every result is one f32 op. */
import { checkLen, checkSize } from "./tensor.js";

const fr = Math.fround;

/** out[i] = a[i] + b[i], i < n; out may alias a or b. */
export function add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  checkSize("n", n); checkLen("a", a, n); checkLen("b", b, n); checkLen("out", out, n);
  for (let i = 0; i < n; i++) out[i] = fr(a[i]! + b[i]!);
}

/** out[i] = a[i] * b[i], i < n; out may alias a or b. */
export function mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  checkSize("n", n); checkLen("a", a, n); checkLen("b", b, n); checkLen("out", out, n);
  for (let i = 0; i < n; i++) out[i] = fr(a[i]! * b[i]!);
}

/** out[i] = a[i] * s, i < n; out may alias a. */
export function scale(out: Float32Array, a: Float32Array, s: number, n: number): void {
  checkSize("n", n); checkLen("a", a, n); checkLen("out", out, n);
  const f = fr(s);
  for (let i = 0; i < n; i++) out[i] = fr(a[i]! * f);
}

/** Row broadcast add (a bias): x: [nRows][n], out[r][i] = x[r][i] + row[i]; out may alias x. */
export function addRow(out: Float32Array, x: Float32Array, row: Float32Array, nRows: number, n: number): void {
  checkSize("nRows", nRows); checkSize("n", n); checkLen("x", x, nRows * n); checkLen("row", row, n); checkLen("out", out, nRows * n);
  for (let r = 0; r < nRows; r++) for (let i = 0; i < n; i++) out[r * n + i] = fr(x[r * n + i]! + row[i]!);
}

/** Row broadcast multiply (a norm weight): out[r][i] = x[r][i] * row[i]; out may alias x. */
export function mulRow(out: Float32Array, x: Float32Array, row: Float32Array, nRows: number, n: number): void {
  checkSize("nRows", nRows); checkSize("n", n); checkLen("x", x, nRows * n); checkLen("row", row, n); checkLen("out", out, nRows * n);
  for (let r = 0; r < nRows; r++) for (let i = 0; i < n; i++) out[r * n + i] = fr(x[r * n + i]! * row[i]!);
}
