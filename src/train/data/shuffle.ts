/**
 * Deterministic shuffling with the project's seeded PRNG (xoshiro128**, src/generate/rng.ts):
 * same seed, same order, on every platform.
 */
import { GlassboxError } from "../../errors.js";
import { Xoshiro128 } from "../../generate/rng.js";

/**
 * Uniform integer in [0, n) for 1 <= n <= 2^32, without modulo bias: 32-bit draws at or above
 * the largest multiple of n below 2^32 are rejected and redrawn.
 */
export function uniformInt(rng: Xoshiro128, n: number): number {
  if (n <= 1) return 0;
  const limit = 4294967296 - (4294967296 % n);
  for (;;) {
    const x = rng.nextUint32();
    if (x < limit) return x % n;
  }
}

/**
 * Shuffles `a` in place with Fisher-Yates (Durstenfeld's version: for i from n-1 down to 1,
 * swap a[i] with a[j], j uniform in [0, i]; Knuth, TAOCP vol. 2, Algorithm 3.4.2P). Returns `a`.
 */
export function shuffleInPlace<T extends Int32Array | Uint32Array | unknown[]>(a: T, rng: Xoshiro128): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * The seed of epoch `epoch`'s order: seed and epoch mixed by 64-bit multiplies (golden-ratio and
 * SplitMix64 constants) and kept to 53 bits, so that (seed, epoch) pairs do not collide the way
 * seed + epoch would. Xoshiro128 then runs SplitMix64 over it.
 */
export function epochSeed(seed: number, epoch: number): number {
  const m = (1n << 64n) - 1n;
  const x = ((BigInt(seed) * 0x9e3779b97f4a7c15n) & m) ^ ((BigInt(epoch) * 0xbf58476d1ce4e5b9n + 0x94d049bb133111ebn) & m);
  return Number(x & ((1n << 53n) - 1n));
}

/**
 * The order of `n` items for one epoch: a Fisher-Yates permutation of 0..n-1 drawn from
 * Xoshiro128(epochSeed(seed, epoch)). Int32Array of n. Throws INVALID_OPTION for a seed or epoch
 * that is not an integer in [0, 2^53).
 */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  for (const [name, v] of [["seed", seed], ["epoch", epoch]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new GlassboxError("INVALID_OPTION", `${name} must be an integer in [0, 2^53), got ${v}`);
  }
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, new Xoshiro128(epochSeed(seed, epoch)));
}
