/**
 * SentencePiece-style BPE ("llama" vocabularies), as llama.cpp's `llm_tokenizer_spm_session`
 * (src/llama-vocab.cpp) runs it:
 *
 * 1. The text (spaces already escaped to U+2581 by the caller) starts as one symbol per code point.
 * 2. Every adjacent pair whose concatenation is a vocabulary token is a candidate; repeatedly
 *    merge the candidate with the highest token score (ties: leftmost), then add the candidates
 *    the merge created.
 * 3. Each final symbol is its token; a symbol that is no token (a code point outside the
 *    vocabulary) becomes its UTF-8 bytes as byte tokens <0xNN> ("byte fallback").
 *
 * Instead of building and hashing strings for each candidate, every symbol carries an id (its
 * token id, or for single code points that are not tokens a private id) and a PairTable maps
 * (left id, right id) to the merged token, precomputed from every split of every token. Since
 * every symbol is always a token or one code point, this finds exactly the pairs llama.cpp does.
 */
import { GlassboxError } from "../errors.js";
import { runMerges } from "./merge-loop.js";
import { BigramQueue, IdBuffer, PairTable } from "./merge-queue.js";
import { putUtf8 } from "./unicode.js";
import { TOKEN_NULL, type Vocab } from "./vocab.js";

/** Symbol id of a code point that appears in no token at all. */
const NO_SYMBOL = -1;
const CACHE_LIMIT = 1 << 16;

/** SPM encoder for one vocabulary; holds the pair tables and a piece cache. */
export class SpmEncoder {
  private pairs: PairTable | undefined;
  /** Symbol id per BMP code point (token id, private id >= vocab size, or NO_SYMBOL). */
  private charSymBmp = new Int32Array(0);
  private charSymAstral = new Map<number, number>();
  private readonly byteTokens = new Int32Array(256);
  private readonly queue = new BigramQueue();
  // per-call symbol arrays, grown as needed
  private symId = new Int32Array(0);
  private symLen = new Int32Array(0);
  private symPrev = new Int32Array(0);
  private symNext = new Int32Array(0);
  private cps = new Int32Array(0);
  private unitStart = new Int32Array(1);
  private readonly tmp = new Uint8Array(4);
  /** Pairs of symbol ids that stand next to each other inside some token. */
  private adjacent: PairTable | undefined;
  private readonly cache = new Map<string, Int32Array>();

  constructor(private readonly vocab: Vocab) {
    for (let b = 0; b < 256; b++) {
      const hex = b.toString(16).toUpperCase().padStart(2, "0");
      let id = vocab.textToToken(`<0x${hex}>`);
      // llama.cpp falls back to the byte itself as a token; a byte >= 0x80 alone is not UTF-8,
      // so the GGUF reader hands it to us as the lone surrogate U+DC80+byte
      if (id === TOKEN_NULL) id = vocab.textToToken(String.fromCharCode(b < 0x80 ? b : 0xdc00 + b));
      this.byteTokens[b] = id;
    }
  }

  private charSym(cp: number): number {
    if (cp < 0x10000) return this.charSymBmp[cp]!;
    return this.charSymAstral.get(cp) ?? NO_SYMBOL;
  }

  /** Builds the (left, right) -> merged token table on first use. */
  private build(): PairTable {
    const v = this.vocab;
    const n = v.size;
    this.charSymBmp = new Int32Array(0x10000).fill(NO_SYMBOL);
    let nextPrivate = n;
    const setChar = (cp: number, id: number): void => {
      if (cp < 0x10000) this.charSymBmp[cp] = id;
      else this.charSymAstral.set(cp, id);
    };
    // single-code-point tokens first, then private ids for code points only seen inside tokens
    const split: number[][] = new Array(n);
    for (let id = 0; id < n; id++) {
      const cps: number[] = [];
      for (const ch of v.tokens[id]!) cps.push(ch.codePointAt(0)!);
      split[id] = cps;
      if (cps.length === 1) setChar(cps[0]!, id);
    }
    for (let id = 0; id < n; id++) {
      for (const cp of split[id]!) if (this.charSym(cp) === NO_SYMBOL) setChar(cp, nextPrivate++);
    }
    let pairsCount = 0;
    for (let id = 0; id < n; id++) pairsCount += Math.max(0, split[id]!.length - 1);
    const table = new PairTable(pairsCount);
    const adjacent = new PairTable(pairsCount);
    for (let id = 0; id < n; id++) {
      const cps = split[id]!;
      if (cps.length < 2) continue;
      const text = v.tokens[id]!;
      for (let k = 1; k < cps.length; k++) adjacent.insert(this.charSym(cps[k - 1]!), this.charSym(cps[k]!), 0, 0);
      let unit = 0;
      for (let k = 1; k < cps.length; k++) {
        unit += cps[k - 1]! > 0xffff ? 2 : 1;
        const left = k === 1 ? this.charSym(cps[0]!) : v.textToToken(text.slice(0, unit));
        if (left === TOKEN_NULL) continue;
        const right = k === cps.length - 1 ? this.charSym(cps[k]!) : v.textToToken(text.slice(unit));
        if (right === TOKEN_NULL) continue;
        table.insert(left, right, id, 0);
      }
    }
    this.pairs = table;
    this.adjacent = adjacent;
    return table;
  }

  private ensure(n: number): void {
    if (this.symId.length >= n) return;
    const cap = Math.max(n, this.symId.length * 2, 64);
    this.symId = new Int32Array(cap);
    this.symLen = new Int32Array(cap);
    this.symPrev = new Int32Array(cap);
    this.symNext = new Int32Array(cap);
    this.cps = new Int32Array(cap);
    this.unitStart = new Int32Array(cap + 1);
  }

  /**
   * Tokenizes `text` (whitespace already escaped, prefix space already added) and appends the
   * ids to `out`. Throws TOKENIZER_NO_BYTE_TOKEN if a byte needs a fallback token the vocabulary
   * lacks and it has no UNK token.
   *
   * The text is cut wherever two neighbouring code points occur next to each other in no
   * token: no merge can ever cross such a point, so each piece merges on its own with exactly
   * the result of merging the whole text (merges never interact across pieces). Pieces (mostly
   * words) are cached.
   */
  encode(text: string, out: IdBuffer): void {
    const pairs = this.pairs ?? this.build();
    const adjacent = this.adjacent!;
    this.ensure(text.length);
    const { symId, cps, unitStart } = this;
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      unitStart[n] = i;
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      cps[n] = c;
      symId[n] = this.charSym(c);
      n++;
    }
    unitStart[n] = text.length;
    let segStart = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n) {
        const a = symId[i - 1]!;
        const b = symId[i]!;
        if (a >= 0 && b >= 0 && adjacent.find(a, b) >= 0) continue;
      }
      const key = text.slice(unitStart[segStart]!, unitStart[i]!);
      let ids = this.cache.get(key);
      if (ids === undefined) {
        ids = this.mergeSegment(pairs, segStart, i);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(key, ids);
      }
      out.pushAll(ids);
      segStart = i;
    }
  }

  /** The merge loop (llama.cpp's SPM session) over symbols [from, to), whose ids are in symId. */
  private mergeSegment(pairs: PairTable, from: number, to: number): Int32Array {
    const { symId, symLen, symPrev, symNext, cps, queue } = this;
    const scores = this.vocab.scores;
    runMerges({ symId, symLen, symPrev, symNext }, queue, from, to, (l, r) => {
      const a = symId[l]!;
      const b = symId[r]!;
      if (a < 0 || b < 0) return;
      const s = pairs.find(a, b);
      if (s < 0) return;
      const tok = pairs.v0(s);
      queue.push(-scores[tok]!, l, r, symLen[l]! + symLen[r]!, tok);
    });
    // emit tokens, byte fallback for code points that are no token
    const nVocab = this.vocab.size;
    const res: number[] = [];
    for (let i = from; i !== -1; i = symNext[i]!) {
      const id = symId[i]!;
      if (id >= 0 && id < nVocab) {
        res.push(id);
        continue;
      }
      const nb = putUtf8(cps[i]!, this.tmp, 0);
      for (let k = 0; k < nb; k++) res.push(this.byteToken(this.tmp[k]!));
    }
    return Int32Array.from(res);
  }

  /** llama.cpp byte_to_token for SPM: <0xNN>, else the byte itself, else (our choice) UNK. */
  byteToken(b: number): number {
    const id = this.byteTokens[b]!;
    if (id !== TOKEN_NULL) return id;
    if (this.vocab.unk !== TOKEN_NULL) return this.vocab.unk;
    throw new GlassboxError("TOKENIZER_NO_BYTE_TOKEN", `vocabulary has no token for byte 0x${b.toString(16).padStart(2, "0")} and no UNK token`);
  }
}
