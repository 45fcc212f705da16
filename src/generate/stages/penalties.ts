/**
 * Repetition, frequency and presence penalties over the recent token history, as
 * llama.cpp's `llama_sampler_init_penalties` (src/llama-sampler.cpp):
 *   for every token t seen c_t > 0 times in the last `repeat_last_n` tokens:
 *     logit_t = logit_t <= 0 ? logit_t * repeat_penalty : logit_t / repeat_penalty
 *       (the CTRL paper, Keskar et al. 2019, divides only; multiplying negatives keeps the
 *        penalty a penalty), then
 *     logit_t -= c_t * frequency_penalty + presence_penalty
 *       (OpenAI's frequency/presence penalties).
 * The history holds prompt tokens as well as generated ones (llama.cpp's CLI and server both
 * feed the prompt to the sampler).
 */
import type { Candidates } from "../candidates.js";

/**
 * Counts of each token over a sliding window of the last `lastN` accepted tokens
 * (lastN = -1: every token ever accepted; 0: nothing is remembered). O(1) per accepted token;
 * the window's distinct tokens are kept in a list so applying penalties costs O(window).
 */
export class PenaltyHistory {
  readonly lastN: number;
  /** counts[id]: occurrences of token id in the window. */
  readonly counts: Int32Array;
  /** distinct[0, nDistinct): the tokens with counts > 0. */
  private readonly distinct: Int32Array;
  /** where[id]: index of id in `distinct`, valid while counts[id] > 0. */
  private readonly where: Int32Array;
  private nDistinct = 0;
  /** Ring buffer of the window (unused when lastN <= 0). */
  private readonly ring: Int32Array;
  private ringStart = 0;
  private ringLen = 0;

  constructor(nVocab: number, lastN: number) {
    this.lastN = lastN;
    this.counts = new Int32Array(nVocab);
    this.distinct = new Int32Array(lastN > 0 ? Math.min(lastN, nVocab) : lastN < 0 ? nVocab : 0);
    this.where = new Int32Array(nVocab);
    this.ring = new Int32Array(lastN > 0 ? lastN : 0);
  }

  /** Number of distinct tokens in the window. */
  get distinctCount(): number {
    return this.nDistinct;
  }

  /** Distinct token at index i < distinctCount. */
  distinctAt(i: number): number {
    return this.distinct[i]!;
  }

  /** Record one token (prompt or generated); evicts the oldest when the window is full. */
  accept(id: number): void {
    if (this.lastN === 0) return;
    if (this.lastN > 0) {
      if (this.ringLen === this.lastN) {
        this.remove(this.ring[this.ringStart]!);
        this.ring[this.ringStart] = id;
        this.ringStart = (this.ringStart + 1) % this.lastN;
      } else {
        this.ring[(this.ringStart + this.ringLen) % this.lastN] = id;
        this.ringLen++;
      }
    }
    if (this.counts[id]!++ === 0) {
      this.where[id] = this.nDistinct;
      this.distinct[this.nDistinct++] = id;
    }
  }

  private remove(id: number): void {
    if (--this.counts[id]! === 0) {
      const at = this.where[id]!;
      const last = this.distinct[--this.nDistinct]!;
      this.distinct[at] = last;
      this.where[last] = at;
    }
  }

  /** Forget everything. */
  clear(): void {
    for (let i = 0; i < this.nDistinct; i++) this.counts[this.distinct[i]!] = 0;
    this.nDistinct = 0;
    this.ringStart = 0;
    this.ringLen = 0;
  }
}

/**
 * Apply the penalties (formula above) to c.logits for every token in the history window.
 * No-op when repeatPenalty == 1 and both other penalties are 0.
 */
export function applyPenalties(
  c: Candidates,
  history: PenaltyHistory,
  repeatPenalty: number,
  frequencyPenalty: number,
  presencePenalty: number,
): void {
  if (repeatPenalty === 1 && frequencyPenalty === 0 && presencePenalty === 0) return;
  const l = c.logits;
  const n = history.distinctCount;
  for (let i = 0; i < n; i++) {
    const id = history.distinctAt(i);
    const count = history.counts[id]!;
    let v = l[id]!;
    if (v === -Infinity) continue;
    v = v <= 0 ? v * repeatPenalty : v / repeatPenalty;
    l[id] = v - (count * frequencyPenalty + presencePenalty);
  }
  if (n > 0) c.sorted = false;
}
