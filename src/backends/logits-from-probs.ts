/**
 * Recovering logits from the probabilities node-llama-cpp reports.
 *
 * node-llama-cpp 3.21.1 gives no raw logits; `controlledEvaluate` with
 * `generateNext.probabilities` returns, for every token left after its sampler chain,
 * p_i = exp(z_i - z_max) / sum_j exp(z_j - z_max) in f32, where z = logits / T after llama.cpp's
 * temperature sampler (llama_sampler_temp: logits divided by T; AddonContext.cpp SampleToken).
 * With the chain made a no-op otherwise (topK 0 = whole vocabulary, topP 1, minP 0),
 *
 *   logit_i - logit_max = T * (ln p_i - ln p_max)
 *
 * exactly up to f32 rounding: the result is the raw logits shifted by a constant so the largest
 * is 0. Softmax (sampling, log-probabilities) does not change under such a shift.
 *
 * Why T > 1: in f32, exp underflows below about -103 (and loses precision below -87, the
 * smallest normal), so at T = 1 tokens more than ~87 below the top would come back as -Infinity;
 * tiny random-weight test models have logit ranges of ~150-200. With T = 4 ranges up to ~340
 * stay exact in the f32 normal range; the price is that rounding of z (|z| up to ~85, ulp
 * ~7.6e-6) is multiplied by T: at most ~3e-5 absolute error for the least likely tokens, ~1e-6
 * near the top. (Measured on llama-gqa-f32: 3.2e-5 max over the whole vocabulary.)
 */

/** Temperature used to read logits out of probabilities (see the module comment). */
export const LOGIT_RECOVERY_TEMPERATURE = 4;

/**
 * Fills `out` (length n_vocab) with T * ln(p / p_max) for each [token, p] of `probs`, and
 * -Infinity for tokens absent from the map or with p = 0. Returns `out`.
 * Throws nothing; an empty map leaves every entry -Infinity.
 */
export function logitsFromProbabilities(probs: Map<number, number>, temperature: number, out: Float32Array): Float32Array {
  out.fill(-Infinity);
  let pMax = 0;
  for (const p of probs.values()) if (p > pMax) pMax = p;
  if (pMax === 0) return out;
  const lnMax = Math.log(pMax);
  const n = out.length;
  for (const [id, p] of probs) {
    if (id >= 0 && id < n && p > 0) out[id] = temperature * (Math.log(p) - lnMax);
  }
  return out;
}
