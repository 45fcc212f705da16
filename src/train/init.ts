/**
 * Seeded random initialisation for training: a small deterministic generator (mulberry32,
 * 32-bit state) and normal samples by the Box–Muller transform. The same seed gives the same
 * weights on every platform (only integer ops and IEEE double math).
 */

export { mulberry32 } from "../util/mulberry32.js";

/** Fills `out` with N(0, std²) samples from `uniform` (Box–Muller, two samples per pair of draws). */
export function fillNormal(out: Float32Array, std: number, uniform: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - uniform(); // (0, 1]: log never sees 0
    const u2 = uniform();
    const r = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
}
