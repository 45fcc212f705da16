/**
 * A plain encoder for a byte-level BPE vocabulary (as made by train.ts): GPT-2 pre-tokenization,
 * bytes to GPT-2 text form, then within each word repeatedly merge the adjacent pair with the
 * lowest merge rank, leftmost first (the rule of llama.cpp's llm_tokenizer_bpe_session and of
 * openai/gpt-2 encoder.py). Words are cached. Meant for evaluation (bytes per token) and as a
 * readable reference; src/tokenizer/bpe.ts is the general tokenizer.
 */
import { GlassboxError } from "../errors.js";
import { bytesToGpt2Text } from "./train-bytes.js";
import { gpt2Pretokenize, splitOnSpecials } from "./train-pretokenize.js";

/** Encoder over `tokens` (GGUF text form) and `merges` ("left right", rank order). */
export class ByteLevelBpeEncoder {
  private readonly idByText = new Map<string, number>();
  private readonly rank = new Map<string, number>();
  private readonly cache = new Map<string, Int32Array>();
  private readonly enc = new TextEncoder();

  /** `specialTokens`: texts matched as whole tokens by encode(..., {parseSpecial: true}). */
  constructor(tokens: readonly string[], merges: readonly string[], private readonly specialTokens: readonly string[] = []) {
    tokens.forEach((t, i) => { if (!this.idByText.has(t)) this.idByText.set(t, i); });
    merges.forEach((m, i) => { if (!this.rank.has(m)) this.rank.set(m, i); });
  }

  /**
   * Token ids of `text` as an Int32Array. No BOS/EOS is added. With `parseSpecial`, occurrences
   * of the special tokens become their ids; otherwise they are ordinary text.
   * Throws TOKENIZER_NO_TOKEN if a symbol has no token (a vocabulary without the 256 bytes).
   */
  encode(text: string, options: { parseSpecial?: boolean } = {}): Int32Array {
    let out = new Int32Array(Math.max(16, text.length >> 1));
    let n = 0;
    const push = (id: number) => {
      if (n === out.length) {
        const grown = new Int32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[n++] = id;
    };
    const pieces = options.parseSpecial ? splitOnSpecials(text, this.specialTokens) : [text];
    pieces.forEach((piece, i) => {
      if (i % 2 === 1) {
        push(this.idByText.get(piece)!);
        return;
      }
      for (const word of gpt2Pretokenize(piece)) {
        for (const id of this.encodeWord(word)) push(id);
      }
    });
    return out.slice(0, n);
  }

  private encodeWord(word: string): Int32Array {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const syms = [...bytesToGpt2Text(this.enc.encode(word))];
    for (;;) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.rank.get(`${syms[i]} ${syms[i + 1]}`);
        if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
      }
      if (best < 0) break;
      syms.splice(best, 2, syms[best]! + syms[best + 1]!);
    }
    const ids = new Int32Array(syms.length);
    syms.forEach((s, i) => {
      const id = this.idByText.get(s);
      if (id === undefined) throw new GlassboxError("TOKENIZER_NO_TOKEN", `no token for '${s}'`);
      ids[i] = id;
    });
    if (this.cache.size < 1 << 20) this.cache.set(word, ids);
    return ids;
  }
}
