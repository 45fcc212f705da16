/**
 * The sampler's working set for one step, the same idea as llama.cpp's
 * `llama_token_data_array` (include/llama.h): a list of candidate token ids that each stage
 * may reorder or shorten, plus each token's current logit and probability.
 *
 * Here logits and probabilities are indexed by token id (arrays of n_vocab), and the candidate
 * list holds ids, so reordering moves only ids. All buffers are allocated once per vocabulary
 * size and reused every step.
 */
import { GlassboxError } from "../errors.js";
import { partialSortByKey, ranksBefore } from "./select.js";

export class Candidates {
  /** Vocabulary size (n_vocab). */
  readonly nVocab: number;
  /** Candidate token ids; ids[0, size) are live. */
  readonly ids: Int32Array;
  /** Current logit of every token, indexed by token id (a working copy of the model's logits). */
  readonly logits: Float32Array;
  /** Probability of each token, indexed by id; valid for live candidates after softmax(). */
  readonly probs: Float64Array;
  /** Number of live candidates. */
  size = 0;
  /** True when ids[0, size) are in rank order (highest logit first, lowest id on ties). */
  sorted = false;

  constructor(nVocab: number) {
    if (!Number.isInteger(nVocab) || nVocab <= 0) {
      throw new GlassboxError("INVALID_OPTION", `n_vocab must be a positive integer, got ${nVocab}`);
    }
    this.nVocab = nVocab;
    this.ids = new Int32Array(nVocab);
    this.logits = new Float32Array(nVocab);
    this.probs = new Float64Array(nVocab);
  }

  /**
   * Start a step: copy the model's logits (n_vocab floats) and make every token a candidate,
   * in id order. Throws GlassboxError LOGITS_SIZE when the length is not n_vocab and
   * LOGITS_NAN when a logit is NaN (a model bug that would otherwise sample garbage).
   */
  reset(modelLogits: Float32Array): void {
    const n = this.nVocab;
    if (modelLogits.length !== n) {
      throw new GlassboxError("LOGITS_SIZE", `expected ${n} logits (n_vocab), got ${modelLogits.length}`);
    }
    this.logits.set(modelLogits);
    const ids = this.ids;
    const l = this.logits;
    for (let i = 0; i < n; i++) {
      if (l[i] !== l[i]) throw new GlassboxError("LOGITS_NAN", `logit of token ${i} is NaN`);
      ids[i] = i;
    }
    this.size = n;
    this.sorted = false;
  }

  /**
   * Drop candidates whose logit is -Infinity (banned by logit bias), keeping order.
   * Throws GlassboxError NO_CANDIDATES when every token is banned.
   */
  dropBanned(): void {
    const ids = this.ids;
    const l = this.logits;
    let w = 0;
    for (let i = 0; i < this.size; i++) {
      const id = ids[i]!;
      if (l[id] !== -Infinity) ids[w++] = id;
    }
    if (w === 0) throw new GlassboxError("NO_CANDIDATES", "every token has logit -Infinity (all banned by logit_bias?)");
    this.size = w;
  }

  /** Highest logit among live candidates. */
  maxLogit(): number {
    if (this.sorted) return this.logits[this.ids[0]!]!;
    let m = -Infinity;
    for (let i = 0; i < this.size; i++) {
      const v = this.logits[this.ids[i]!]!;
      if (v > m) m = v;
    }
    return m;
  }

  /** Position in ids of the best-ranked candidate (highest logit, lowest id on ties). */
  argmaxPos(): number {
    if (this.sorted) return 0;
    let best = 0;
    for (let i = 1; i < this.size; i++) {
      if (ranksBefore(this.logits, this.ids[i]!, this.ids[best]!)) best = i;
    }
    return best;
  }

  /**
   * Softmax over live candidates: probs[id] = exp(logit[id] - max) / sum, in float64.
   * Returns the normalizing sum of exp(logit - max) (before division).
   */
  softmax(): number {
    const max = this.maxLogit();
    const ids = this.ids;
    const l = this.logits;
    const p = this.probs;
    let sum = 0;
    for (let i = 0; i < this.size; i++) {
      const id = ids[i]!;
      const e = Math.exp(l[id]! - max);
      p[id] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let i = 0; i < this.size; i++) p[ids[i]!]! *= inv;
    return sum;
  }

  /** Scratch ids (n_vocab), allocated on first use, for selections that need a second buffer. */
  get scratch(): Int32Array {
    this.scratchBuf ??= new Int32Array(this.nVocab);
    return this.scratchBuf;
  }
  private scratchBuf: Int32Array | undefined;

  /** Make ids[0, k) the k best candidates in rank order (partial sort); sets `sorted` when k >= size. */
  sortTop(k: number): void {
    if (this.sorted) return;
    partialSortByKey(this.ids, this.size, this.logits, k);
    if (k >= this.size) this.sorted = true;
  }
}
