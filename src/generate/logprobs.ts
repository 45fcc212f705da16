/**
 * Log-probabilities for reporting (not for choosing tokens).
 *
 * Convention (the default, `post_sampling_probs: false`): like llama.cpp's server with
 * `n_probs` and `post_sampling_probs = false` (tools/server, get_token_probabilities), and like
 * OpenAI's `logprobs`, we report the model's own distribution: log softmax of the raw logits,
 * before logit bias, penalties, truncation and temperature. So a token's logprob does not depend
 * on the sampling settings, and greedy and sampled runs report the same numbers.
 *
 * With `post_sampling_probs: true` we report instead the probabilities of the final sampling
 * distribution (after the whole chain, temperature included), over the surviving candidates,
 * as llama.cpp's server does with `post_sampling_probs` (there as `prob`; here still as log).
 */
import { selectTopInto } from "./select.js";

/** One alternative token and its log-probability (natural log). */
export interface TopLogprob {
  id: number;
  logprob: number;
}

/**
 * log(sum_i exp(logits[i])) over all n_vocab logits, computed stably (max shift), in float64.
 * -Infinity entries contribute nothing. Throws nothing; returns -Infinity if all are -Infinity.
 */
export function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

/**
 * The `n` most likely tokens of the raw distribution, as {id, logprob} with
 * logprob = logits[id] - lse (lse from logSumExp), best first, ties by lowest id.
 * `scratch` must hold at least n ints; it is overwritten (no allocation besides the n result
 * objects). A bounded heap over the vocabulary: about one comparison per token.
 */
export function topLogprobsRaw(logits: Float32Array, lse: number, n: number, scratch: Int32Array): TopLogprob[] {
  const size = logits.length;
  n = Math.min(n, size);
  if (n <= 0) return [];
  selectTopInto(null, size, logits, n, scratch);
  const out: TopLogprob[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const id = scratch[i]!;
    out[i] = { id, logprob: logits[id]! - lse };
  }
  return out;
}
