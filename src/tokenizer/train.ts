/**
 * Byte-level BPE trainer (GPT-2 style), producing a vocabulary that llama.cpp loads as
 * `tokenizer.ggml.model = "gpt2"`, `tokenizer.ggml.pre = "gpt-2"`.
 *
 * Algorithm (Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword Units";
 * byte-level form from Radford et al. 2019, GPT-2; the fast incremental form as in Hugging Face
 * tokenizers' BpeTrainer):
 * 1. Split the corpus around special tokens, pre-tokenize each piece with GPT-2's regex
 *    (train-pretokenize.ts) and count the distinct words in a Map.
 * 2. Each distinct word becomes its UTF-8 bytes, one base symbol per byte: the full 256-byte
 *    alphabet is always in the vocabulary, so every text can be encoded.
 * 3. Count adjacent symbol pairs over all words (weighted by word count), remember which words
 *    hold each pair, and keep the pairs in a max-priority queue.
 * 4. Repeatedly merge the most frequent pair into a new symbol; only the words that hold it are
 *    rewritten, and only their pair counts change (incremental update, lazy queue deletion).
 *    Ties go to the pair whose left token's bytes are lexicographically smallest, then the right
 *    token's bytes (unsigned byte order; a prefix sorts first), so training is deterministic.
 * 5. Stop at the requested vocabulary size, or when the best pair occurs fewer than
 *    `minFrequency` times.
 *
 * Vocabulary layout: special tokens first (ids 0..k-1; the first one is BOS and EOS), then the 256
 * bytes in byte order (id k+b), then one token per merge that made a new string, in merge order.
 * Token text is GPT-2's byte-to-unicode form (train-bytes.ts); merges are "left right" in that form.
 */
import { GlassboxError } from "../errors.js";
import { bytesToGpt2Text } from "./train-bytes.js";
import { PairHeap } from "./train-heap.js";
import { gpt2PretokenRegex, splitOnSpecials } from "./train-pretokenize.js";

/** llama.cpp token types (enum llama_token_type): NORMAL = 1, CONTROL = 3. */
export const TOKEN_TYPE_NORMAL = 1;
export const TOKEN_TYPE_CONTROL = 3;
/** Special token added when none are given; used as BOS and EOS, as in GPT-2. */
export const DEFAULT_SPECIAL_TOKEN = "<|endoftext|>";
/** Largest vocabulary the trainer builds (pair keys pack two ids into one float64). */
export const MAX_TRAIN_VOCAB = 1 << 21;

const PAIR = MAX_TRAIN_VOCAB;

/** Options of {@link trainBpe} / {@link trainBpeFromCounts}. */
export interface BpeTrainOptions {
  /** Target number of tokens, counting the special tokens and the 256 byte tokens. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged (default 2). */
  minFrequency?: number;
  /** Called now and then while merging. */
  onProgress?: (p: BpeTrainProgress) => void;
}

/** Progress of the merge phase. */
export interface BpeTrainProgress {
  /** Merges done so far. */
  merges: number;
  /** Current vocabulary size. */
  vocab: number;
  /** Target vocabulary size. */
  vocabSize: number;
}

/** A byte-level BPE vocabulary: what the GGUF holds. */
export interface ByteLevelBpeVocab {
  /** Token texts by id (GPT-2 byte-to-unicode form; special tokens as given). */
  readonly tokens: string[];
  /** llama.cpp token type per id (CONTROL for special tokens, NORMAL otherwise). */
  readonly tokenTypes: Int32Array;
  /** Merges in rank order, each "left right" in token-text form. */
  readonly merges: string[];
  /** The special tokens, in id order (ids 0..specialTokens.length-1). */
  readonly specialTokens: string[];
  readonly bosTokenId: number;
  readonly eosTokenId: number;
}

/** A trained byte-level BPE vocabulary. */
export interface TrainedBpe extends ByteLevelBpeVocab {
  /** Why training stopped. */
  readonly stoppedBecause: "vocab-size" | "min-frequency" | "no-pairs";
}

/** A growable Int32 list (word indices per pair). */
class IntList {
  data = new Int32Array(4);
  n = 0;
  push(v: number): void {
    if (this.n > 0 && this.data[this.n - 1] === v) return;
    if (this.n === this.data.length) {
      const d = new Int32Array(this.n * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.n++] = v;
  }
}

function compareBytes(x: Uint8Array, y: Uint8Array): number {
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i]! - y[i]!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Counts GPT-2 pre-tokenized words of a corpus, text by text. Special-token strings in the text
 * are cut out (they never take part in merges). Memory: one Map entry per distinct word.
 */
export class BpeWordCounter {
  /** Distinct word -> occurrences. */
  readonly counts = new Map<string, number>();
  /** Words seen in total. */
  totalWords = 0;
  /** UTF-16 code units of text added. */
  totalChars = 0;
  private readonly specials: string[];

  constructor(specialTokens: readonly string[] = [DEFAULT_SPECIAL_TOKEN]) {
    this.specials = [...specialTokens];
  }

  /** Adds one text (a document or a chunk cut at a line boundary). */
  addText(text: string): void {
    this.totalChars += text.length;
    const pieces = splitOnSpecials(text, this.specials);
    for (let p = 0; p < pieces.length; p += 2) {
      const piece = pieces[p]!;
      if (piece.length === 0) continue;
      const re = gpt2PretokenRegex();
      const counts = this.counts;
      let m: RegExpExecArray | null;
      let n = 0;
      while ((m = re.exec(piece)) !== null) {
        const w = m[0];
        counts.set(w, (counts.get(w) ?? 0) + 1);
        n++;
      }
      this.totalWords += n;
    }
  }
}

function checkSpecials(specials: readonly string[]): void {
  const byteTexts = new Set<string>();
  for (let b = 0; b < 256; b++) byteTexts.add(bytesToGpt2Text(Uint8Array.of(b)));
  const seen = new Set<string>();
  for (const s of specials) {
    if (s.length === 0) throw new GlassboxError("TOKENIZER_TRAIN_BAD_SPECIAL", "a special token cannot be empty");
    if (seen.has(s)) throw new GlassboxError("TOKENIZER_TRAIN_BAD_SPECIAL", `special token '${s}' is given twice`);
    if (byteTexts.has(s)) throw new GlassboxError("TOKENIZER_TRAIN_BAD_SPECIAL", `special token '${s}' is the text of a byte token`);
    seen.add(s);
  }
}

/**
 * Trains byte-level BPE merges on the words counted by `counter`. Deterministic for the same
 * counts and options. Errors (GlassboxError): TOKENIZER_TRAIN_BAD_VOCAB_SIZE when `vocabSize` is
 * below specials + 256 or above MAX_TRAIN_VOCAB; TOKENIZER_TRAIN_BAD_SPECIAL for empty, repeated or
 * byte-colliding special tokens. Time: O(total pair updates) with Map lookups; memory: the symbols
 * of the distinct words (Int32Array) plus pair maps.
 */
export function trainBpeFromCounts(
  counter: BpeWordCounter, specialTokens: readonly string[], options: BpeTrainOptions,
): TrainedBpe {
  const specials = [...specialTokens];
  checkSpecials(specials);
  const base = specials.length;
  const { vocabSize } = options;
  const minFrequency = Math.max(1, options.minFrequency ?? 2);
  if (!Number.isInteger(vocabSize) || vocabSize < base + 256 || vocabSize > MAX_TRAIN_VOCAB) {
    throw new GlassboxError(
      "TOKENIZER_TRAIN_BAD_VOCAB_SIZE",
      `vocab size must be an integer from ${base + 256} (specials + 256 bytes) to ${MAX_TRAIN_VOCAB}, got ${vocabSize}`,
    );
  }

  // Vocabulary: specials, then bytes.
  const tokens: string[] = [...specials];
  const tokenBytes: Uint8Array[] = specials.map((s) => new TextEncoder().encode(s));
  const idByText = new Map<string, number>();
  specials.forEach((s, i) => idByText.set(s, i));
  for (let b = 0; b < 256; b++) {
    const t = bytesToGpt2Text(Uint8Array.of(b));
    idByText.set(t, tokens.length);
    tokens.push(t);
    tokenBytes.push(Uint8Array.of(b));
  }
  const specialSet = new Set(specials);

  // Words as symbol runs in one Int32Array.
  const enc = new TextEncoder();
  const nWords = counter.counts.size;
  const wordCount = new Float64Array(nWords);
  const wordStart = new Int32Array(nWords);
  const wordLen = new Int32Array(nWords);
  const encoded: Uint8Array[] = new Array<Uint8Array>(nWords);
  let total = 0, w = 0;
  for (const [word, c] of counter.counts) {
    const bytes = enc.encode(word);
    encoded[w] = bytes;
    wordCount[w] = c;
    wordStart[w] = total;
    wordLen[w] = bytes.length;
    total += bytes.length;
    w++;
  }
  const sym = new Int32Array(total);
  for (let i = 0; i < nWords; i++) {
    const bytes = encoded[i]!, s = wordStart[i]!;
    for (let j = 0; j < bytes.length; j++) sym[s + j] = base + bytes[j]!;
  }
  encoded.length = 0;

  // Pair counts and where each pair occurs.
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, IntList>();
  const addWord = (key: number, word: number) => {
    let l = pairWords.get(key);
    if (!l) pairWords.set(key, (l = new IntList()));
    l.push(word);
  };
  for (let i = 0; i < nWords; i++) {
    const s = wordStart[i]!, c = wordCount[i]!;
    for (let j = 0; j + 1 < wordLen[i]!; j++) {
      const key = sym[s + j]! * PAIR + sym[s + j + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
      addWord(key, i);
    }
  }
  const heap = new PairHeap((k1, k2) => {
    const a1 = Math.floor(k1 / PAIR), a2 = Math.floor(k2 / PAIR);
    const d = a1 === a2 ? 0 : compareBytes(tokenBytes[a1]!, tokenBytes[a2]!);
    if (d !== 0) return d < 0;
    return compareBytes(tokenBytes[k1 - a1 * PAIR]!, tokenBytes[k2 - a2 * PAIR]!) < 0;
  });
  for (const [key, c] of pairCount) heap.push(c, key);

  const merges: string[] = [];
  const stamp = new Int32Array(nWords).fill(-1);
  const forbidden = new Set<number>();
  let stoppedBecause: TrainedBpe["stoppedBecause"] = "no-pairs";
  const progressEvery = Math.max(1, Math.floor((vocabSize - tokens.length) / 200));

  while (heap.size > 0) {
    if (tokens.length >= vocabSize) {
      stoppedBecause = "vocab-size";
      break;
    }
    const top = heap.peek()!;
    heap.pop();
    const key = top.key;
    const cur = pairCount.get(key) ?? 0;
    if (cur !== top.count) {
      if (cur > 0) heap.push(cur, key);
      continue;
    }
    if (forbidden.has(key)) continue;
    if (cur < minFrequency) {
      stoppedBecause = "min-frequency";
      break;
    }
    const a = Math.floor(key / PAIR), b = key - a * PAIR;
    const text = tokens[a]! + tokens[b]!;
    if (specialSet.has(text)) {
      forbidden.add(key);
      continue;
    }
    let t = idByText.get(text);
    if (t === undefined) {
      t = tokens.length;
      tokens.push(text);
      const bytes = new Uint8Array(tokenBytes[a]!.length + tokenBytes[b]!.length);
      bytes.set(tokenBytes[a]!, 0);
      bytes.set(tokenBytes[b]!, tokenBytes[a]!.length);
      tokenBytes.push(bytes);
      idByText.set(text, t);
    }
    merges.push(`${tokens[a]} ${tokens[b]}`);
    const iter = merges.length;

    // Rewrite the words that hold the pair; update pair counts for them only.
    const list = pairWords.get(key)!;
    pairWords.delete(key);
    const grown = new Set<number>();
    for (let li = 0; li < list.n; li++) {
      const wi = list.data[li]!;
      if (stamp[wi] === iter) continue;
      stamp[wi] = iter;
      const s = wordStart[wi]!, len = wordLen[wi]!, c = wordCount[wi]!;
      let found = false;
      for (let j = 0; j + 1 < len; j++) {
        if (sym[s + j] === a && sym[s + j + 1] === b) { found = true; break; }
      }
      if (!found) continue;
      for (let j = 0; j + 1 < len; j++) {
        const k = sym[s + j]! * PAIR + sym[s + j + 1]!;
        const v = pairCount.get(k)! - c;
        if (v > 0) pairCount.set(k, v);
        else pairCount.delete(k);
      }
      let out = 0;
      for (let j = 0; j < len;) {
        if (j + 1 < len && sym[s + j] === a && sym[s + j + 1] === b) {
          sym[s + out++] = t;
          j += 2;
        } else {
          sym[s + out++] = sym[s + j++]!;
        }
      }
      wordLen[wi] = out;
      for (let j = 0; j + 1 < out; j++) {
        const x = sym[s + j]!, y = sym[s + j + 1]!;
        const k = x * PAIR + y;
        pairCount.set(k, (pairCount.get(k) ?? 0) + c);
        if (x === t || y === t) {
          addWord(k, wi);
          grown.add(k);
        }
      }
    }
    for (const k of grown) {
      const v = pairCount.get(k);
      if (v !== undefined && v > 0) heap.push(v, k);
    }
    if (options.onProgress && iter % progressEvery === 0) {
      options.onProgress({ merges: iter, vocab: tokens.length, vocabSize });
    }
  }
  if (tokens.length >= vocabSize) stoppedBecause = "vocab-size";
  options.onProgress?.({ merges: merges.length, vocab: tokens.length, vocabSize });

  const tokenTypes = new Int32Array(tokens.length).fill(TOKEN_TYPE_NORMAL);
  tokenTypes.fill(TOKEN_TYPE_CONTROL, 0, base);
  return {
    tokens, tokenTypes, merges, specialTokens: specials,
    bosTokenId: base > 0 ? 0 : -1, eosTokenId: base > 0 ? 0 : -1, stoppedBecause,
  };
}

/**
 * Trains a byte-level BPE vocabulary on `texts` (see the file comment for the algorithm).
 * `specialTokens` defaults to ["<|endoftext|>"]; the first special token is BOS and EOS.
 * Errors: those of trainBpeFromCounts.
 */
export function trainBpe(
  texts: Iterable<string>, options: BpeTrainOptions & { specialTokens?: readonly string[] },
): TrainedBpe {
  const specials = options.specialTokens ?? [DEFAULT_SPECIAL_TOKEN];
  const counter = new BpeWordCounter(specials);
  for (const t of texts) counter.addText(t);
  return trainBpeFromCounts(counter, specials, options);
}
