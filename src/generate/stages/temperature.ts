/**
 * Temperature: divide the candidates' logits by T (T > 0). T = 0 means greedy decoding, which
 * the sampler handles by argmax instead (see Candidates.argmaxPos: lowest id on ties), as
 * llama.cpp's `llama_sampler_temp` keeps only the maximum when temp <= 0.
 */
import type { Candidates } from "../candidates.js";

/** logit /= temperature for every live candidate. temperature must be > 0; 1 is a no-op. */
export function applyTemperature(c: Candidates, temperature: number): void {
  if (temperature === 1) return;
  const inv = 1 / temperature;
  const ids = c.ids;
  const l = c.logits;
  for (let i = 0; i < c.size; i++) {
    const id = ids[i]!;
    l[id] = l[id]! * inv;
  }
}
