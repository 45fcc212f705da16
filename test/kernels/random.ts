// Seeded random numbers for the kernel tests (mulberry32 + Box-Muller): deterministic shapes and data.
import { mulberry32 } from "../../src/util/mulberry32.js";

/** A seeded uniform [0,1) generator (mulberry32). */
export const rng: (seed: number) => () => number = mulberry32;

/** n standard normal f32 values times `std`. */
export function randn(r: () => number, n: number, std = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12), v = r();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** An integer in [lo, hi]. */
export function randint(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}
