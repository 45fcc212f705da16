// Partial selection agrees with a full reference sort (higher key first, lowest id on ties).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { partialSortByKey, selectTopInto, sortByKey } from "../../src/generate/index.js";

function referenceOrder(key: Float32Array): number[] {
  return Array.from(key.keys()).sort((a, b) => (key[b]! - key[a]!) || a - b);
}

test("partialSortByKey puts the k best first, in order, for random keys with ties", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 300 }),
      fc.nat(),
      (vals, kRaw) => {
        const key = Float32Array.from(vals, (v) => v / 2);
        const n = key.length;
        const k = (kRaw % n) + 1;
        const ids = Int32Array.from({ length: n }, (_, i) => n - 1 - i); // reversed start
        partialSortByKey(ids, n, key, k);
        const ref = referenceOrder(key);
        assert.deepEqual(Array.from(ids.subarray(0, k)), ref.slice(0, k));
        // the rest is a permutation of the remainder
        assert.deepEqual(Array.from(ids.subarray(k)).sort((a, b) => a - b), ref.slice(k).sort((a, b) => a - b));
      },
    ),
    { numRuns: 300, seed: 1 },
  );
});

test("sortByKey sorts a large random array like the reference", () => {
  const n = 5000;
  const key = new Float32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    key[i] = (x % 1000) / 10; // many ties
  }
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  sortByKey(ids, 0, n, key);
  assert.deepEqual(Array.from(ids), referenceOrder(key));
});

test("selectTopInto (bounded heap) writes the k best in order and leaves the input alone", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 300 }),
      fc.nat(),
      fc.boolean(),
      (vals, kRaw, identity) => {
        const key = Float32Array.from(vals, (v) => v / 2);
        const n = key.length;
        const k = (kRaw % (n + 2)) + 1; // may exceed n
        const ids = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
        const before = Array.from(ids);
        const out = new Int32Array(k);
        const got = selectTopInto(identity ? null : ids, n, key, k, out);
        assert.equal(got, Math.min(k, n));
        assert.deepEqual(Array.from(out.subarray(0, got)), referenceOrder(key).slice(0, got));
        assert.deepEqual(Array.from(ids), before);
      },
    ),
    { numRuns: 300, seed: 2 },
  );
});
