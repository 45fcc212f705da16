/**
 * The truncation stages: top-k, top-p (nucleus) and min-p. Each keeps a subset of the
 * candidates and never drops the best one. Semantics follow llama.cpp's
 * `llama_sampler_top_k`, `_top_p` and `_min_p` (src/llama-sampler.cpp) with min_keep = 1.
 */
import type { Candidates } from "../candidates.js";
import { insertionSort, partition, selectTopInto } from "../select.js";

/**
 * Top-k (Fan et al. 2018): keep the k highest-logit candidates (ties: lowest id), sorted.
 * k <= 0 or k >= size keeps all. Uses a bounded heap, not a sort: about one comparison per
 * candidate, then k log k.
 */
export function topK(c: Candidates, k: number): void {
  if (k <= 0 || k >= c.size) return;
  if (c.sorted) {
    c.size = k;
    return;
  }
  const out = c.scratch;
  selectTopInto(c.ids, c.size, c.logits, k, out);
  c.ids.set(out.subarray(0, k));
  c.size = k;
  c.sorted = true;
}

/**
 * Top-p / nucleus sampling (Holtzman et al. 2019): with probabilities from a softmax of the
 * current logits, keep the smallest set of best-ranked tokens whose probability sum reaches p
 * (at least one token): the shortest rank-ordered prefix, as in llama.cpp. p >= 1 keeps all.
 * Leaves probs valid. When the candidates are sorted, scans the prefix; otherwise finds the
 * cut with a probability-weighted quickselect, O(size) expected and no full sort (a nucleus
 * can hold most of a flat 150k vocabulary), and the kept set is left unsorted.
 */
export function topP(c: Candidates, p: number): void {
  if (p >= 1) return;
  c.softmax();
  const ids = c.ids;
  const probs = c.probs;
  if (c.sorted) {
    let cum = 0;
    for (let i = 0; i < c.size; i++) {
      cum += probs[ids[i]!]!;
      if (cum >= p) {
        c.size = i + 1;
        return;
      }
    }
    return;
  }
  c.size = nucleusSize(ids, c.size, c.logits, probs, p);
}

const SMALL = 16;

/**
 * Rearrange ids[0, size) so that ids[0, m) are the m best-ranked tokens, for the smallest m whose
 * probability mass reaches p (m = size if none does), and return m. Quickselect (Hoare
 * partition, median-of-three) on rank, recursing into the side where the running mass
 * crosses p; small ranges are insertion-sorted and scanned.
 */
function nucleusSize(ids: Int32Array, size: number, key: Float32Array, probs: Float64Array, p: number): number {
  let lo = 0;
  let hi = size;
  let acc = 0; // mass of ids[0, lo), all ranked above ids[lo, hi)
  while (hi - lo > SMALL) {
    const j = partition(ids, lo, hi, key);
    let upper = 0;
    for (let q = lo; q <= j; q++) upper += probs[ids[q]!]!;
    if (acc + upper >= p) hi = j + 1;
    else {
      acc += upper;
      lo = j + 1;
    }
  }
  insertionSort(ids, lo, hi, key);
  for (let i = lo; i < hi; i++) {
    acc += probs[ids[i]!]!;
    if (acc >= p) return i + 1;
  }
  return size;
}

/**
 * Min-p (Nguyen et al. 2024, "Turning Up the Heat: Min-p Sampling"): keep tokens whose
 * probability is at least p times the top probability, i.e. logit >= max_logit + ln(p).
 * p <= 0 keeps all. Keeps the current order (sorted stays sorted).
 */
export function minP(c: Candidates, p: number): void {
  if (p <= 0 || c.size === 0) return;
  const threshold = c.maxLogit() + Math.log(p);
  const ids = c.ids;
  const l = c.logits;
  if (c.sorted) {
    let i = 1;
    while (i < c.size && l[ids[i]!]! >= threshold) i++;
    c.size = i;
    return;
  }
  let w = 0;
  for (let i = 0; i < c.size; i++) {
    const id = ids[i]!;
    if (l[id]! >= threshold) ids[w++] = id;
  }
  c.size = w;
}
