/**
 * The sampler chain: from one step's logits to one token id.
 *
 * Order (llama.cpp's default chain, common/sampling.cpp common_sampler_init with
 * common_params_sampling.samplers = penalties, dry, top_n_sigma, top_k, typ_p, top_p, min_p,
 * xtc, temperature; logit bias goes first; then dist draws the token). The stages we have:
 *
 *   1. logit_bias                       logit[id] += bias   (-Infinity bans)
 *   2. penalties                        repeat (CTRL-style), frequency and presence
 *   3. top_k                            keep the k best
 *   4. top_p                            keep the smallest prefix with probability >= p
 *   5. min_p                            keep p_i >= min_p * p_max
 *   6. temperature                      logit /= T
 *   7. dist                             draw from softmax with the seeded PRNG (xoshiro128**)
 *
 * Note that top_p and min_p see the distribution before temperature, as in llama.cpp.
 * temperature = 0 is greedy: after stages 1-2, the argmax (lowest id on ties); stages 3-5 can
 * never remove the argmax, so they are skipped, and no random number is drawn.
 *
 * Buffers are sized to n_vocab once; a step allocates nothing unless logprobs are asked for.
 */
import { Candidates } from "./candidates.js";
import { logSumExp, topLogprobsRaw, type TopLogprob } from "./logprobs.js";
import { parseSamplingOptions, type SamplingOptions, type SamplingOptionsInput } from "./options.js";
import { randomSeed, Xoshiro128 } from "./rng.js";
import { applyLogitBias, makeLogitBias, type LogitBiasTable } from "./stages/logit-bias.js";
import { applyPenalties, PenaltyHistory } from "./stages/penalties.js";
import { applyTemperature } from "./stages/temperature.js";
import { sampleDist } from "./stages/dist.js";
import { minP, topK, topP } from "./stages/truncate.js";
import { partialSortByKey } from "./select.js";

/** Log-probability of the chosen token and its top alternatives. */
export interface TokenLogprobs {
  /** Natural-log probability of the chosen token. */
  logprob: number;
  /** The best alternatives (the chosen token may be among them), best first. */
  top: TopLogprob[];
}

/** Stateful sampler for one sequence: owns the RNG and the penalty history. */
export class Sampler {
  readonly nVocab: number;
  readonly options: Readonly<SamplingOptions>;
  /** The seed in use (drawn from crypto when options.seed was not given). */
  readonly seed: number;
  /** Candidates after the last sample() call (final distribution for post-sampling probs). */
  readonly candidates: Candidates;
  private readonly rng: Xoshiro128;
  private readonly bias: LogitBiasTable;
  private readonly history: PenaltyHistory;
  private scratch: Int32Array | undefined;
  private lastLogits: Float32Array | undefined;
  private lastChosen = -1;
  private lastGreedy = false;

  /**
   * @param nVocab vocabulary size (length of every logits array given to sample()).
   * @param options sampling options (validated here; defaults are llama.cpp's).
   * Throws GlassboxError INVALID_OPTION for invalid options or logit_bias ids outside [0, nVocab).
   */
  constructor(nVocab: number, options: SamplingOptionsInput | SamplingOptions = {}) {
    this.options = parseSamplingOptions(options);
    this.nVocab = nVocab;
    this.candidates = new Candidates(nVocab);
    this.seed = this.options.seed ?? randomSeed();
    this.rng = new Xoshiro128(this.seed);
    this.bias = makeLogitBias(this.options.logit_bias, nVocab);
    this.history = new PenaltyHistory(nVocab, this.options.repeat_last_n);
  }

  /** Add a token to the penalty history (call for every prompt token and every sampled token). */
  accept(id: number): void {
    this.history.accept(id);
  }

  /** Clear the penalty history (the RNG keeps its state). */
  resetHistory(): void {
    this.history.clear();
  }

  /**
   * Run the chain on one step's logits (n_vocab floats, not modified) and return the chosen id.
   * Does not accept() the token. Throws GlassboxError LOGITS_SIZE, LOGITS_NAN or NO_CANDIDATES.
   */
  sample(logits: Float32Array): number {
    const o = this.options;
    const c = this.candidates;
    c.reset(logits);
    applyLogitBias(c, this.bias);
    applyPenalties(c, this.history, o.repeat_penalty, o.frequency_penalty, o.presence_penalty);
    c.dropBanned();
    this.lastLogits = logits;
    let id: number;
    if (o.temperature === 0) {
      const pos = c.argmaxPos();
      id = c.ids[pos]!;
      this.lastGreedy = true;
    } else {
      topK(c, o.top_k);
      topP(c, o.top_p);
      minP(c, o.min_p);
      applyTemperature(c, o.temperature);
      id = c.ids[sampleDist(c, this.rng.nextDouble())]!;
      this.lastGreedy = false;
    }
    this.lastChosen = id;
    return id;
  }

  /**
   * Log-probabilities for the token chosen by the last sample() call, with the `nTop` best
   * alternatives (see logprobs.ts for the two conventions). Call before the logits buffer
   * passed to sample() is overwritten. postSampling = false: raw model distribution (default);
   * true: final sampling distribution (greedy: the chosen token has logprob 0, alone).
   */
  tokenLogprobs(nTop: number, postSampling = false): TokenLogprobs {
    const logits = this.lastLogits;
    const id = this.lastChosen;
    if (logits === undefined || id < 0) throw new Error("tokenLogprobs() called before sample()");
    if (!postSampling) {
      const lse = logSumExp(logits);
      this.scratch ??= new Int32Array(this.nVocab);
      return { logprob: logits[id]! - lse, top: topLogprobsRaw(logits, lse, nTop, this.scratch) };
    }
    if (this.lastGreedy) return { logprob: 0, top: nTop > 0 ? [{ id, logprob: 0 }] : [] };
    const c = this.candidates;
    const n = Math.min(nTop, c.size);
    if (n > 0 && !c.sorted) partialSortByKey(c.ids, c.size, c.logits, n);
    const top: TopLogprob[] = [];
    for (let i = 0; i < n; i++) {
      const t = c.ids[i]!;
      const p = c.probs[t]!;
      if (p === 0) break;
      top.push({ id: t, logprob: Math.log(p) });
    }
    return { logprob: Math.log(c.probs[id]!), top };
  }
}
