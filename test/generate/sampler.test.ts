// The whole chain: greedy, seeding, sampled frequencies (chi-square), truncation properties.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Sampler } from "../../src/generate/index.js";

const SPREAD = { top_k: 0, top_p: 1, min_p: 0 } as const;

/** Chi-square critical values at p = 0.001 by degrees of freedom (standard tables). */
const CHI2_CRITICAL_P001: Record<number, number> = { 1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46, 7: 24.32 };

/** Pearson chi-square statistic of observed counts against expected probabilities. */
function chiSquare(counts: number[], probs: number[], n: number): number {
  let x = 0;
  for (let i = 0; i < counts.length; i++) {
    const e = probs[i]! * n;
    if (e > 0) x += (counts[i]! - e) ** 2 / e;
    else assert.equal(counts[i], 0, `token ${i} has probability 0 but was drawn`);
  }
  return x;
}
function softmax(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

test("temperature 0 is argmax with the lowest id on ties, whatever the seed", () => {
  const logits = Float32Array.from([0.5, 2, -1, 2, 1.9]);
  for (const seed of [0, 1, 99]) {
    const s = new Sampler(5, { temperature: 0, seed });
    for (let i = 0; i < 5; i++) assert.equal(s.sample(logits), 1);
  }
  // penalties apply before the argmax: token 1 seen once with repeat_penalty 2 -> 1.0 < 1.9
  const s = new Sampler(5, { temperature: 0, repeat_penalty: 2 });
  s.accept(1);
  assert.equal(s.sample(logits), 3);
  s.accept(3);
  assert.equal(s.sample(logits), 4);
});

test("same seed gives the same sequence; different seeds give different ones", () => {
  const logits = Float32Array.from({ length: 16 }, (_, i) => Math.cos(i));
  const run = (seed: number) => {
    const s = new Sampler(16, { ...SPREAD, temperature: 1.5, seed });
    return Array.from({ length: 64 }, () => s.sample(logits));
  };
  assert.deepEqual(run(1234), run(1234));
  assert.notDeepEqual(run(1234), run(1235));
  assert.notDeepEqual(run(0), run(1));
  const s = new Sampler(16, { temperature: 1 });
  assert.ok(Number.isInteger(s.seed)); // a random seed is drawn and reported
});

test("sampled frequencies match softmax(logits / T) (chi-square, fixed seed)", () => {
  const logits = [1.0, 0.5, 0.0, -0.5, 2.0, 1.5, -1.0, 0.25];
  const T = 0.7;
  const probs = softmax(logits.map((x) => x / T));
  const s = new Sampler(8, { ...SPREAD, temperature: T, seed: 2024 });
  const n = 20000;
  const counts = new Array(8).fill(0);
  const l = Float32Array.from(logits);
  for (let i = 0; i < n; i++) counts[s.sample(l)]++;
  const x2 = chiSquare(counts, probs, n);
  console.log(`chi-square (df 7) = ${x2.toFixed(2)}; critical value at p=0.001 is 24.32`);
  assert.ok(x2 < 24.32, `chi-square ${x2}`);
});

test("frequencies after top-k, top-p, min-p and temperature match the truncated distribution", () => {
  // logits by id; chain: top_k 5 keeps ids 4,5,0,1,7 (2, 1.5, 1, 0.5, 0.25)
  // top_p 0.9 on softmax of those (pre-temperature), min_p 0.1 relative to the max, then T = 0.8.
  const logits = [1.0, 0.5, 0.0, -0.5, 2.0, 1.5, -1.0, 0.25];
  const topk = [4, 5, 0, 1, 7];
  const p1 = softmax(topk.map((i) => logits[i]!));
  let cum = 0;
  let keep = 0;
  while (keep < topk.length) {
    cum += p1[keep]!;
    keep++;
    if (cum >= 0.9) break;
  }
  let kept = topk.slice(0, keep);
  kept = kept.filter((i) => logits[i]! >= logits[4]! + Math.log(0.1));
  const pk = softmax(kept.map((i) => logits[i]! / 0.8));
  const probs = new Array(8).fill(0);
  kept.forEach((id, j) => (probs[id] = pk[j]!));

  const s = new Sampler(8, { top_k: 5, top_p: 0.9, min_p: 0.1, temperature: 0.8, seed: 7 });
  const n = 20000;
  const counts = new Array(8).fill(0);
  const l = Float32Array.from(logits);
  for (let i = 0; i < n; i++) counts[s.sample(l)]++;
  const df = kept.length - 1;
  const critical = CHI2_CRITICAL_P001[df];
  assert.ok(critical !== undefined, `unexpected df ${df}`);
  const x2 = chiSquare(counts, probs, n);
  console.log(`kept ${JSON.stringify(kept)}; chi-square (df ${df}) = ${x2.toFixed(2)}; critical value at p=0.001 is ${critical}`);
  assert.ok(x2 < critical, `chi-square ${x2}`);
});

const logitsArb = fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 2, maxLength: 60 }).map((a) => Float32Array.from(a, (v) => v / 4));

test("property: top-k never returns a token outside the k best", () => {
  fc.assert(
    fc.property(logitsArb, fc.integer({ min: 1, max: 10 }), fc.nat(), (logits, k, seed) => {
      const s = new Sampler(logits.length, { top_k: k, top_p: 1, min_p: 0, temperature: 1, seed });
      const best = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, k);
      for (let i = 0; i < 5; i++) assert.ok(best.includes(s.sample(logits)));
    }),
    { numRuns: 200, seed: 3 },
  );
});

test("property: top-p keeps the minimal prefix with mass >= p", () => {
  fc.assert(
    fc.property(logitsArb, fc.double({ min: 0.01, max: 0.99, noNaN: true }), (logits, p) => {
      const s = new Sampler(logits.length, { top_k: 0, top_p: p, min_p: 0, temperature: 1, seed: 1 });
      s.sample(logits);
      const c = s.candidates;
      // probabilities here are those after the final softmax over the kept set; recompute the
      // pre-truncation ones to check the rule
      const m = Math.max(...logits);
      const z = logits.reduce((acc, v) => acc + Math.exp(v - m), 0);
      const pOf = (id: number) => Math.exp(logits[id]! - m) / z;
      let mass = 0;
      for (let i = 0; i < c.size; i++) mass += pOf(c.ids[i]!);
      let last = Infinity; // the least likely kept token
      for (let i = 0; i < c.size; i++) last = Math.min(last, pOf(c.ids[i]!));
      assert.ok(mass >= p - 1e-9, `mass ${mass} < p ${p}`);
      assert.ok(mass - last < p + 1e-9, `prefix without the last token already reaches p`);
      // kept tokens are the best ones (ties: lowest ids)
      const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
      const kept = Array.from(c.ids.subarray(0, c.size)).sort((a, b) => a - b);
      assert.deepEqual(kept, order.slice(0, c.size).sort((a, b) => a - b));
    }),
    { numRuns: 200, seed: 4 },
  );
});

test("property: min-p keeps exactly the tokens with p >= min_p * p_max", () => {
  fc.assert(
    fc.property(logitsArb, fc.double({ min: 0.001, max: 1, noNaN: true }), (logits, p) => {
      const s = new Sampler(logits.length, { top_k: 0, top_p: 1, min_p: p, temperature: 1, seed: 1 });
      s.sample(logits);
      const c = s.candidates;
      const keptSet = new Set(c.ids.subarray(0, c.size));
      const m = Math.max(...logits);
      for (let id = 0; id < logits.length; id++) {
        const ratio = Math.exp(logits[id]! - m); // p_id / p_max
        if (keptSet.has(id)) assert.ok(ratio >= p * (1 - 1e-6), `kept ${id} with ratio ${ratio} < ${p}`);
        else assert.ok(ratio < p * (1 + 1e-6), `dropped ${id} with ratio ${ratio} >= ${p}`);
      }
    }),
    { numRuns: 200, seed: 5 },
  );
});

test("a banned token is never sampled; logit_bias ids are checked against n_vocab", () => {
  const logits = Float32Array.from([5, 0, 0]);
  const s = new Sampler(3, { ...SPREAD, temperature: 1, seed: 1, logit_bias: { "0": false } });
  for (let i = 0; i < 200; i++) assert.notEqual(s.sample(logits), 0);
  const g = new Sampler(3, { temperature: 0, logit_bias: { "0": -100 } });
  assert.equal(g.sample(logits), 1);
  assert.throws(() => new Sampler(3, { logit_bias: { "3": 1 } }), { code: "INVALID_OPTION" });
});

test("property: top-k over a large random vocabulary equals the reference k best, in order", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(), (k, seed) => {
      const n = 3000;
      let x = seed | 1;
      const logits = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        logits[i] = (x % 50) / 7; // many ties
      }
      const s = new Sampler(n, { top_k: k, top_p: 1, min_p: 0, temperature: 1, seed: 1 });
      s.sample(logits);
      const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
      assert.deepEqual(Array.from(s.candidates.ids.subarray(0, s.candidates.size)), order.slice(0, k));
    }),
    { numRuns: 30, seed: 6 },
  );
});

test("a large vocabulary step with top_k does not sort everything and stays fast", () => {
  const n = 151936; // Qwen2 vocabulary size
  const logits = new Float32Array(n);
  for (let i = 0; i < n; i++) logits[i] = Math.sin(i * 0.37) * 4;
  const s = new Sampler(n, { seed: 1 }); // llama.cpp defaults: top_k 40, top_p 0.95, min_p 0.05, T 0.8
  const t0 = performance.now();
  let id = 0;
  for (let i = 0; i < 20; i++) id = s.sample(logits);
  const ms = (performance.now() - t0) / 20;
  console.log(`n_vocab ${n}: ${ms.toFixed(2)} ms per sampling step (default chain)`);
  assert.ok(s.candidates.size <= 40 && id >= 0 && id < n);
});
