/**
 * Seeded pseudo-random numbers for sampling: xoshiro128** 1.1 (Blackman & Vigna, "Scrambled
 * linear pseudorandom number generators", 2018; https://prng.di.unimi.it/xoshiro128starstar.c),
 * seeded by SplitMix64 as its authors recommend. Same seed, same stream, on every platform.
 * Never uses Math.random.
 */
import { GlassboxError } from "../errors.js";

const MASK64 = (1n << 64n) - 1n;

/** One SplitMix64 step (Steele, Lea & Flood 2014): returns [next state, output], both uint64. */
function splitMix64(state: bigint): [bigint, bigint] {
  const s = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [s, z ^ (z >> 31n)];
}

function rotl32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** xoshiro128**: 128-bit state, 32-bit outputs, period 2^128 - 1. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * Seed from a non-negative safe integer: two SplitMix64 outputs a, b give the state words
   * (low32(a), high32(a), low32(b), high32(b)).
   * Throws GlassboxError INVALID_OPTION when `seed` is not an integer in [0, 2^53).
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new GlassboxError("INVALID_OPTION", `seed must be an integer in [0, 2^53), got ${seed}`);
    }
    let st = BigInt(seed);
    let a: bigint;
    let b: bigint;
    [st, a] = splitMix64(st);
    [st, b] = splitMix64(st);
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
  }

  /** Build directly from four state words (not all zero); for tests against the C reference. */
  static fromState(s0: number, s1: number, s2: number, s3: number): Xoshiro128 {
    const r = new Xoshiro128(0);
    r.s0 = s0 >>> 0;
    r.s1 = s1 >>> 0;
    r.s2 = s2 >>> 0;
    r.s3 = s3 >>> 0;
    return r;
  }

  /** Next uniform uint32 in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl32(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl32(this.s3, 11);
    return result;
  }

  /** Next uniform double in [0, 1) with 53 random bits (two uint32 draws: 27 + 26 bits). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/** A fresh random seed in [0, 2^32) from the platform's crypto source (used when no seed is given). */
export function randomSeed(): number {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0]!;
}
