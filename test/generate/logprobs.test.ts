// Logprobs: raw-distribution convention (default) and post-sampling convention.
import { test } from "node:test";
import assert from "node:assert/strict";
import { logSumExp, Sampler, topLogprobsRaw } from "../../src/generate/index.js";

const near = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("logSumExp and topLogprobsRaw on a hand-computed example", () => {
  const p = [0.1, 0.4, 0.2, 0.3];
  const logits = Float32Array.from(p, (x) => Math.log(x) + 3); // shift must not matter
  const lse = logSumExp(logits);
  const top = topLogprobsRaw(logits, lse, 3, new Int32Array(4));
  assert.deepEqual(top.map((t) => t.id), [1, 3, 2]);
  near(top[0]!.logprob, Math.log(0.4), 1e-6);
  near(top[1]!.logprob, Math.log(0.3), 1e-6);
  near(top[2]!.logprob, Math.log(0.2), 1e-6);
  assert.equal(logSumExp(Float32Array.from([-Infinity, -Infinity])), -Infinity);
});

test("raw logprobs ignore temperature, bias and truncation", () => {
  const logits = Float32Array.from([0.1, 0.4, 0.2, 0.3].map(Math.log));
  const s = new Sampler(4, { temperature: 0.3, top_k: 2, seed: 5, logit_bias: { "1": -2 } });
  const id = s.sample(logits);
  const lp = s.tokenLogprobs(4);
  near(lp.logprob, Math.log([0.1, 0.4, 0.2, 0.3][id]!), 1e-6);
  assert.deepEqual(lp.top.map((t) => t.id), [1, 3, 2, 0]);
  const sum = lp.top.reduce((a, t) => a + Math.exp(t.logprob), 0);
  near(sum, 1, 1e-6);
});

test("post-sampling logprobs describe the final distribution", () => {
  // top_k 2 keeps ids 1 (0.4) and 3 (0.3); T = 1: final p = 4/7, 3/7
  const logits = Float32Array.from([0.1, 0.4, 0.2, 0.3].map(Math.log));
  const s = new Sampler(4, { temperature: 1, top_k: 2, top_p: 1, min_p: 0, seed: 9 });
  const id = s.sample(logits);
  const lp = s.tokenLogprobs(5, true);
  assert.deepEqual(lp.top.map((t) => t.id), [1, 3]);
  near(lp.top[0]!.logprob, Math.log(4 / 7), 1e-6);
  near(lp.top[1]!.logprob, Math.log(3 / 7), 1e-6);
  near(lp.logprob, id === 1 ? Math.log(4 / 7) : Math.log(3 / 7), 1e-6);
  const g = new Sampler(4, { temperature: 0 });
  assert.equal(g.sample(logits), 1);
  assert.deepEqual(g.tokenLogprobs(3, true), { logprob: 0, top: [{ id: 1, logprob: 0 }] });
  near(g.tokenLogprobs(3).logprob, Math.log(0.4), 1e-6);
});
