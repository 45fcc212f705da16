// Each sampler stage against small hand-computed examples.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyLogitBias,
  applyPenalties,
  applyTemperature,
  Candidates,
  makeLogitBias,
  minP,
  PenaltyHistory,
  sampleDist,
  topK,
  topP,
} from "../../src/generate/index.js";

function cands(logits: number[]): Candidates {
  const c = new Candidates(logits.length);
  c.reset(Float32Array.from(logits));
  return c;
}
const live = (c: Candidates) => Array.from(c.ids.subarray(0, c.size));
/** Live ids as a set (sorted numerically), for stages that may leave them unordered. */
const liveSet = (c: Candidates) => live(c).sort((a, b) => a - b);
const asSet = (ids: number[]) => [...ids].sort((a, b) => a - b);
const near = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("logit bias adds, bans with -Infinity / false, merges duplicate ids", () => {
  const c = cands([1, 2, 3, 4]);
  applyLogitBias(c, makeLogitBias({ "0": 5, "2": false, "3": -1.5 }, 4));
  c.dropBanned();
  assert.deepEqual(Array.from(c.logits), [6, 2, -Infinity, 2.5]);
  assert.deepEqual(live(c), [0, 1, 3]);
  const t = makeLogitBias([[1, 1], [1, 2], [0, -Infinity]], 4);
  assert.deepEqual(Array.from(t.ids), [1, 0]);
  assert.deepEqual(Array.from(t.values), [3, -Infinity]);
  assert.throws(() => makeLogitBias({ "4": 1 }, 4), { code: "INVALID_OPTION" });
  assert.throws(() => makeLogitBias({ x: 1 }, 4), { code: "INVALID_OPTION" });
  assert.throws(() => makeLogitBias(new Map([[0, Infinity]]), 4), { code: "INVALID_OPTION" });
  const all = cands([1, 2]);
  applyLogitBias(all, makeLogitBias({ 0: false, 1: false }, 2));
  assert.throws(() => all.dropBanned(), { code: "NO_CANDIDATES" });
});

test("penalties: repeat divides positive / multiplies non-positive, then frequency and presence", () => {
  // history 0,1,1,2; repeat 2, frequency 0.5, presence 0.25
  //   token 0 (count 1):  2 / 2       - (0.5 + 0.25) =  0.25
  //   token 1 (count 2): -1 * 2       - (1.0 + 0.25) = -3.25
  //   token 2 (count 1):  0 * 2       - (0.5 + 0.25) = -0.75
  //   tokens 3, 4 unseen: unchanged
  const h = new PenaltyHistory(5, -1);
  for (const t of [0, 1, 1, 2]) h.accept(t);
  const c = cands([2, -1, 0, 3, 1]);
  applyPenalties(c, h, 2, 0.5, 0.25);
  assert.deepEqual(Array.from(c.logits), [0.25, -3.25, -0.75, 3, 1]);
});

test("penalties only look at the last repeat_last_n tokens; 0 disables", () => {
  const h = new PenaltyHistory(5, 3);
  for (const t of [0, 1, 1, 2]) h.accept(t); // window: 1, 1, 2
  assert.deepEqual(Array.from(h.counts), [0, 2, 1, 0, 0]);
  const c = cands([2, -1, 0, 3, 1]);
  applyPenalties(c, h, 2, 0.5, 0.25);
  assert.deepEqual(Array.from(c.logits), [2, -3.25, -0.75, 3, 1]);
  for (const t of [3, 3, 3]) h.accept(t); // window: 3, 3, 3
  assert.deepEqual(Array.from(h.counts), [0, 0, 0, 3, 0]);
  const off = new PenaltyHistory(5, 0);
  off.accept(1);
  const c2 = cands([2, -1, 0, 3, 1]);
  applyPenalties(c2, off, 2, 0.5, 0.25);
  assert.deepEqual(Array.from(c2.logits), [2, -1, 0, 3, 1]);
});

test("top-k keeps the k best, ties to the lowest id, sorted", () => {
  const logits = [1, 3, 3, 2, 0.5];
  let c = cands(logits);
  topK(c, 2);
  assert.deepEqual(live(c), [1, 2]);
  assert.equal(c.sorted, true);
  c = cands(logits);
  topK(c, 1);
  assert.deepEqual(live(c), [1]);
  c = cands(logits);
  topK(c, 3);
  assert.deepEqual(live(c), [1, 2, 3]);
  c = cands(logits);
  topK(c, 0);
  assert.equal(c.size, 5);
});

test("top-p keeps the smallest prefix reaching p", () => {
  // probabilities by id: 0.1, 0.5, 0.2, 0.2 (order by rank: 1, 2, 3, 0)
  const logits = [0.1, 0.5, 0.2, 0.2].map(Math.log);
  const cases: Array<[number, number[]]> = [[0.5, [1]], [0.4, [1]], [0.69, [1, 2]], [0.71, [1, 2, 3]], [0.95, [1, 2, 3, 0]], [1, [0, 1, 2, 3]]];
  for (const [p, want] of cases) {
    const c = cands(logits);
    topP(c, p);
    assert.deepEqual(liveSet(c), asSet(want), `p=${p}`);
    const sorted = cands(logits);
    sorted.sortTop(4); // sorted input: the kept prefix keeps its order
    topP(sorted, p);
    assert.deepEqual(live(sorted), p < 1 ? want : [1, 2, 3, 0], `sorted, p=${p}`);
  }
  const c = cands(logits);
  topP(c, 0.69);
  near(c.probs[1]!, 0.5);
  near(c.probs[2]!, 0.2);
});

test("top-p on a large vocabulary (weighted quickselect) equals the full-sort answer", () => {
  const n = 5000;
  const logits = new Float32Array(n);
  for (let i = 0; i < n; i++) logits[i] = Math.sin(i * 12.9898) * 3; // spread-out values
  for (const p of [0.1, 0.5, 0.9, 0.999]) {
    const c = new Candidates(n);
    c.reset(logits);
    topP(c, p);
    // reference
    const order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
    const max = logits[order[0]!]!;
    const e = order.map((i) => Math.exp(logits[i]! - max));
    const z = e.reduce((s, v) => s + v, 0);
    let cum = 0;
    let keep = 0;
    while (keep < n) {
      cum += e[keep]! / z;
      keep++;
      if (cum >= p) break;
    }
    console.log(`top-p ${p} on ${n} tokens keeps ${keep}`);
    assert.deepEqual(liveSet(c), asSet(order.slice(0, keep)), `p=${p}`);
  }
});

test("min-p keeps tokens with p >= min_p * p_max, keeping order", () => {
  const logits = [0.1, 0.5, 0.2, 0.2].map(Math.log);
  let c = cands(logits);
  minP(c, 0.3); // threshold 0.15
  assert.deepEqual(live(c), [1, 2, 3]);
  c = cands(logits);
  minP(c, 0.5); // threshold 0.25
  assert.deepEqual(live(c), [1]);
  c = cands(logits);
  topK(c, 4); // sorted path
  minP(c, 0.3);
  assert.deepEqual(live(c), [1, 2, 3]);
  c = cands(logits);
  minP(c, 0);
  assert.equal(c.size, 4);
});

test("temperature divides logits; greedy argmax takes the lowest id on ties", () => {
  const c = cands([2, 4, -6]);
  applyTemperature(c, 2);
  assert.deepEqual(Array.from(c.logits), [1, 2, -3]);
  const g = cands([1, 5, 5, 2]);
  assert.equal(g.ids[g.argmaxPos()], 1);
});

test("dist: inverse CDF over the candidates in order", () => {
  const logits = [0.25, 0.75].map(Math.log);
  const pick = (u: number) => {
    const c = cands(logits);
    return c.ids[sampleDist(c, u)];
  };
  assert.equal(pick(0), 0);
  assert.equal(pick(0.2), 0);
  assert.equal(pick(0.3), 1);
  assert.equal(pick(0.999999), 1);
  // a token with probability 0 is never picked, even at u = 0
  const c = cands([-Infinity, 0]);
  assert.equal(c.ids[sampleDist(c, 0)], 1);
});

test("reset checks the logits length and rejects NaN", () => {
  const c = new Candidates(3);
  assert.throws(() => c.reset(new Float32Array(2)), { code: "LOGITS_SIZE" });
  assert.throws(() => c.reset(Float32Array.from([0, NaN, 1])), { code: "LOGITS_NAN" });
});
