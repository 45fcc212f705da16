/**
 * The truncation stages: top-k, top-p (nucleus) and min-p. Each keeps a subset of the
 * candidates and never drops the best one. Semantics follow llama.cpp's
 * `llama_sampler_top_k`, `_top_p` and `_min_p` (src/llama-sampler.cpp) with min_keep = 1.
 */
import type { Candidates } from "../candidates.js";

/**
 * Top-k (Fan et al. 2018): keep the k highest-logit candidates (ties: lowest id), sorted.
 * k <= 0 or k >= size keeps all. Uses partial selection: O(size + k log k).
 */
export function topK(c: Candidates, k: number): void {
  if (k <= 0 || k >= c.size) return;
  c.sortTop(k);
  c.size = k;
  c.sorted = true;
}

/** Candidates above this count are sorted lazily by top-p: first the best 256, then all. */
const TOP_P_LAZY_MIN = 1024;
const TOP_P_FIRST_CHUNK = 256;

/**
 * Top-p / nucleus sampling (Holtzman et al. 2019): with probabilities from a softmax of the
 * current logits, keep the shortest rank-ordered prefix whose probability sum reaches p
 * (at least one token). p >= 1 keeps all. Leaves candidates sorted and probs valid.
 * Like llama.cpp, on large unsorted sets it sorts only the best 256 first and sorts the rest
 * only when those do not reach p.
 */
export function topP(c: Candidates, p: number): void {
  if (p >= 1) return;
  c.softmax();
  if (!c.sorted) c.sortTop(c.size > TOP_P_LAZY_MIN ? TOP_P_FIRST_CHUNK : c.size);
  const ids = c.ids;
  const probs = c.probs;
  let sorted = c.sorted ? c.size : TOP_P_FIRST_CHUNK;
  let cum = 0;
  let keep = c.size;
  for (let i = 0; i < c.size; i++) {
    if (i === sorted) {
      c.sortTop(c.size);
      sorted = c.size;
    }
    cum += probs[ids[i]!]!;
    if (cum >= p) {
      keep = i + 1;
      break;
    }
  }
  c.size = keep;
  c.sorted = true;
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
