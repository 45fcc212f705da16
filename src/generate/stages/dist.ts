/**
 * The final stage: draw one token from the softmax of the remaining candidates, as
 * llama.cpp's `llama_sampler_dist` does (inverse CDF over the candidates in their current order).
 */
import type { Candidates } from "../candidates.js";

/**
 * Softmax the live candidates, then walk them in order until the running probability sum
 * reaches u (a uniform draw in [0, 1)). Returns the position in c.ids of the chosen token;
 * c.probs is left valid. Floating-point leftovers fall on the last candidate with p > 0.
 */
export function sampleDist(c: Candidates, u: number): number {
  c.softmax();
  const ids = c.ids;
  const probs = c.probs;
  let cum = 0;
  let lastPositive = 0;
  for (let i = 0; i < c.size; i++) {
    const p = probs[ids[i]!]!;
    if (p > 0) lastPositive = i;
    cum += p;
    if (u < cum) return i;
  }
  return lastPositive;
}
