/**
 * Byte-level BPE ("gpt2" vocabularies), as llama.cpp's `llm_tokenizer_bpe_session`
 * (src/llama-vocab.cpp) runs it:
 *
 * 1. The pre-tokenizer splits the text into words (pretokenizers.ts).
 * 2. Each word's UTF-8 bytes become one symbol per byte (GPT-2's byte<->unicode mapping; a byte
 *    b is the vocabulary string of the code point BYTE_TO_CPT[b]).
 * 3. Repeatedly merge the adjacent pair with the lowest merge rank (`tokenizer.ggml.merges`
 *    line index; ties: leftmost).
 * 4. Each final symbol is its token; a symbol that is not a token becomes one token per byte
 *    (bytes without a token are dropped, as llama.cpp does).
 *
 * Symbols carry string ids (token id, or a private id for merge parts that are not tokens); a
 * PairTable maps (left id, right id) to (rank, merged id). Results are cached per word.
 */
import { runMerges } from "./merge-loop.js";
import { BigramQueue, IdBuffer, PairTable } from "./merge-queue.js";
import { PreTokenizer } from "./pretokenizers.js";
import { BYTE_TO_CPT, putUtf8, toCodepoints } from "./unicode.js";
import { TOKEN_NULL, type Vocab } from "./vocab.js";

const CACHE_LIMIT = 1 << 16;

/** Byte-level BPE encoder for one vocabulary: pre-tokenizer, merge table, word cache. */
export class BpeEncoder {
  readonly pre: PreTokenizer;
  private readonly pairs: PairTable;
  /** Symbol id of each byte's one-character string. */
  private readonly byteSym = new Int32Array(256);
  /** Token id of each byte's one-character string, or TOKEN_NULL. */
  private readonly byteTok = new Int32Array(256);
  /** Byte-encoded string of each byte (for ignore_merges lookups). */
  private readonly byteStr: string[] = [];
  private readonly cache = new Map<string, Int32Array>();
  private readonly queue = new BigramQueue();
  private bytes = new Uint8Array(256);
  private symId = new Int32Array(256);
  private symLen = new Int32Array(256);
  private symPrev = new Int32Array(256);
  private symNext = new Int32Array(256);
  private cpsBuf = new Int32Array(256);

  constructor(private readonly vocab: Vocab, merges: readonly string[]) {
    this.pre = new PreTokenizer(vocab.pre!);
    const n = vocab.size;
    const extra = new Map<string, number>();
    const sid = (s: string): number => {
      const t = vocab.tokenToId.get(s);
      if (t !== undefined) return t;
      let e = extra.get(s);
      if (e === undefined) {
        e = n + extra.size;
        extra.set(s, e);
      }
      return e;
    };
    for (let b = 0; b < 256; b++) {
      const s = String.fromCodePoint(BYTE_TO_CPT[b]!);
      this.byteStr.push(s);
      this.byteSym[b] = sid(s);
      this.byteTok[b] = vocab.textToToken(s);
    }
    this.pairs = new PairTable(merges.length);
    for (let rank = 0; rank < merges.length; rank++) {
      const line = merges[rank]!;
      const sp = line.indexOf(" ", 1);
      if (sp < 0) continue; // llama.cpp stores ("", ""), which never matches a symbol
      const first = line.slice(0, sp);
      const second = line.slice(sp + 1);
      if (first === "" || second === "") continue;
      this.pairs.insert(sid(first), sid(second), rank, sid(first + second));
    }
  }

  private ensure(n: number): void {
    if (this.symId.length >= n) return;
    let cap = this.symId.length;
    while (cap < n) cap *= 2;
    this.bytes = new Uint8Array(cap);
    this.symId = new Int32Array(cap);
    this.symLen = new Int32Array(cap);
    this.symPrev = new Int32Array(cap);
    this.symNext = new Int32Array(cap);
  }

  /** Tokenizes one raw-text fragment (no special tokens in it) and appends ids to `out`. */
  encode(text: string, out: IdBuffer): void {
    if (text.length === 0) return;
    if (this.cpsBuf.length < text.length) this.cpsBuf = new Int32Array(Math.max(text.length, this.cpsBuf.length * 2));
    const [cps, n] = toCodepoints(text, this.cpsBuf);
    const words = this.pre.splitWords(cps, n);
    const bmp = n === text.length;
    let cp = 0;
    let unit = 0;
    for (const len of words) {
      let uEnd = unit + len;
      if (!bmp) {
        uEnd = unit;
        for (let k = cp; k < cp + len; k++) uEnd += cps[k]! > 0xffff ? 2 : 1;
      }
      const word = text.slice(unit, uEnd);
      let ids = this.cache.get(word);
      if (ids === undefined) {
        ids = this.encodeWord(cps, cp, len);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
      out.pushAll(ids);
      cp += len;
      unit = uEnd;
    }
  }

  /** BPE over the UTF-8 bytes of code points cps[from, from + count). */
  private encodeWord(cps: Int32Array, from: number, count: number): Int32Array {
    this.ensure(count * 4);
    const { bytes, symId, symLen, symPrev, symNext, queue, pairs } = this;
    let nb = 0;
    for (let k = from; k < from + count; k++) nb = putUtf8(cps[k]!, bytes, nb);
    if (this.vocab.ignoreMerges) {
      let s = "";
      for (let i = 0; i < nb; i++) s += this.byteStr[bytes[i]!];
      const t = this.vocab.textToToken(s);
      if (t !== TOKEN_NULL) return Int32Array.of(t);
    }
    for (let i = 0; i < nb; i++) symId[i] = this.byteSym[bytes[i]!]!;
    runMerges({ symId, symLen, symPrev, symNext }, queue, 0, nb, (l, r) => {
      const s = pairs.find(symId[l]!, symId[r]!);
      if (s >= 0) queue.push(pairs.v0(s), l, r, symLen[l]! + symLen[r]!, pairs.v1(s));
    });
    const nVocab = this.vocab.size;
    const res: number[] = [];
    for (let i = 0; i !== -1; i = symNext[i]!) {
      const id = symId[i]!;
      if (id < nVocab) {
        res.push(id);
        continue;
      }
      for (let k = i; k < i + symLen[i]!; k++) {
        const t = this.byteTok[bytes[k]!]!;
        if (t !== TOKEN_NULL) res.push(t);
      }
    }
    return Int32Array.from(res);
  }
}
