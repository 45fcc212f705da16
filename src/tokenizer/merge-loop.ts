/**
 * The merge loop both merge-based tokenizers run (SPM and byte-level BPE), as llama.cpp's
 * `llm_tokenizer_spm_session::tokenize` and `llm_tokenizer_bpe_session::tokenize`
 * (src/llama-vocab.cpp) run it. The tokenizers differ only in what a candidate pair is and how
 * it ranks (SPM: best token score; BPE: lowest merge rank), which they supply as `tryAdd`.
 */
import type { BigramQueue } from "./merge-queue.js";

/**
 * A tokenizer's per-call symbol arrays, indexed by symbol position: `symId` the symbol's id,
 * `symLen` its length in input units (0 once merged into its left neighbour), and
 * `symPrev` / `symNext` the doubly linked list of live symbols (-1 at either end).
 */
export interface MergeSymbols {
  symId: Int32Array;
  symLen: Int32Array;
  symPrev: Int32Array;
  symNext: Int32Array;
}

/**
 * Merges symbols [from, to) (their ids already in `s.symId`; to > from) in place. Links them as
 * length-1 symbols, offers every adjacent pair (l, r) to `tryAdd`, then pops `queue` until it is
 * empty: a popped pair whose sides have changed since it was pushed (one merged away, or their
 * lengths no longer summing to the pushed size) is stale and skipped; otherwise r joins l, l takes
 * the popped value as its id, and the two pairs the merge created are offered.
 *
 * `tryAdd(l, r)` gets two live adjacent positions (both >= 0); when they form a candidate it must
 * `queue.push(key, l, r, symLen[l] + symLen[r], mergedId)`. Afterwards the live symbols are the
 * list from `from` along `symNext`. The queue is cleared first.
 */
export function runMerges(
  s: MergeSymbols,
  queue: BigramQueue,
  from: number,
  to: number,
  tryAdd: (l: number, r: number) => void,
): void {
  const { symId, symLen, symPrev, symNext } = s;
  for (let i = from; i < to; i++) {
    symLen[i] = 1;
    symPrev[i] = i - 1;
    symNext[i] = i + 1;
  }
  symPrev[from] = -1;
  symNext[to - 1] = -1;
  queue.clear();
  for (let i = from + 1; i < to; i++) tryAdd(i - 1, i);
  while (queue.length > 0) {
    queue.pop();
    const l = queue.popLeft;
    const r = queue.popRight;
    const ll = symLen[l]!;
    const rl = symLen[r]!;
    if (ll === 0 || rl === 0 || ll + rl !== queue.popSize) continue;
    symLen[l] = ll + rl;
    symLen[r] = 0;
    symId[l] = queue.popValue;
    const nx = symNext[r]!;
    symNext[l] = nx;
    if (nx >= 0) symPrev[nx] = l;
    const pv = symPrev[l]!;
    if (pv >= 0) tryAdd(pv, l);
    if (nx >= 0) tryAdd(l, nx);
  }
}
