// xoshiro128** matches the reference C implementation (prng.di.unimi.it/xoshiro128starstar.c);
// outputs below were produced by compiling that C code (state {1,2,3,4}, and SplitMix64(42) seeding).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Xoshiro128, randomSeed } from "../../src/generate/index.js";

test("xoshiro128** from state {1,2,3,4} matches the C reference", () => {
  const r = Xoshiro128.fromState(1, 2, 3, 4);
  const got = Array.from({ length: 6 }, () => r.nextUint32());
  assert.deepEqual(got, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test("seed 42 (SplitMix64 seeding) matches the C reference", () => {
  const r = new Xoshiro128(42);
  const got = Array.from({ length: 6 }, () => r.nextUint32());
  assert.deepEqual(got, [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]);
});

test("nextDouble is in [0, 1), reproducible, and roughly uniform", () => {
  const a = new Xoshiro128(7);
  const b = new Xoshiro128(7);
  let sum = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const x = a.nextDouble();
    assert.equal(x, b.nextDouble());
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  // mean of U(0,1) has sd 1/sqrt(12 n) ~ 0.002; allow 5 sd
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
});

test("invalid seeds throw INVALID_OPTION; randomSeed gives a uint32", () => {
  assert.throws(() => new Xoshiro128(-1), { code: "INVALID_OPTION" });
  assert.throws(() => new Xoshiro128(1.5), { code: "INVALID_OPTION" });
  const s = randomSeed();
  assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
});
