/**
 * Reuse of the KV cache across prompts that share a beginning (chat turns: each prompt is the
 * whole conversation so far, and only the new part needs evaluating).
 */
import type { LogitsSource } from "../generate/index.js";
import type { Backend } from "./backend.js";

/**
 * A LogitsSource over a Backend that remembers which tokens its KV cache holds. An eval at
 * position 0 whose tokens start with cached ones evaluates only the rest (at least the last
 * token, whose logits are needed); any other eval passes through. generate() always evaluates
 * its prompt at position 0, so wrapping the backend in this makes a run over a longer version of
 * the previous prompt cost only the new tokens. Note: generate()'s prompt timings then count
 * the reused tokens as if evaluated (ChatSession corrects them with `lastReused`).
 */
export class PrefixCache implements LogitsSource {
  /** Tokens at positions 0.. of the backend's KV cache, as far as known. */
  private cached = new Int32Array(256);
  private nCached = 0;
  /** Tokens reused (not evaluated) by the last eval at position 0. */
  lastReused = 0;

  constructor(readonly backend: Backend) {}

  get nVocab(): number {
    return this.backend.nVocab;
  }

  get nCtx(): number {
    return this.backend.nCtx;
  }

  /** Number of cached tokens that `tokens` (a prompt at position 0) would reuse. */
  commonPrefix(tokens: Int32Array): number {
    const n = Math.min(this.nCached, tokens.length - 1);
    let k = 0;
    while (k < n && this.cached[k] === tokens[k]) k++;
    return k;
  }

  async eval(tokens: Int32Array, startPos: number): Promise<Float32Array> {
    let from = startPos;
    if (startPos === 0 && tokens.length > 0) {
      from = this.commonPrefix(tokens);
      this.lastReused = from;
    }
    const known = from <= this.nCached; // do we know every token before `from`?
    this.nCached = 0; // unknown until the eval succeeds
    const rest = tokens.subarray(from - startPos);
    const logits = await this.backend.eval(rest, from);
    if (known) {
      this.nCached = from;
      this.append(rest);
    }
    return logits;
  }

  /** Forgets the cache (and resets the backend's). */
  async reset(): Promise<void> {
    this.nCached = 0;
    await this.backend.reset();
  }

  private append(t: Int32Array): void {
    if (this.nCached + t.length > this.cached.length) {
      const grown = new Int32Array(Math.max(2 * this.cached.length, this.nCached + t.length));
      grown.set(this.cached.subarray(0, this.nCached));
      this.cached = grown;
    }
    this.cached.set(t, this.nCached);
    this.nCached += t.length;
  }
}
