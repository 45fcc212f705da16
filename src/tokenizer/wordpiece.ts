/**
 * WordPiece ("bert" vocabularies), as llama.cpp's `llm_tokenizer_wpm_session`
 * (src/llama-vocab.cpp) runs it:
 *
 * 1. Normalize and split (BERT's BasicTokenizer): with strip_accents, each code point becomes
 *    the first code point of its NFD form and accent marks are dropped; whitespace separates
 *    words; NUL, U+FFFD and control characters are dropped; with lowercase, code points are
 *    lower-cased; punctuation, ASCII symbols and CJK ideographs are words on their own.
 * 2. Each word, prefixed with U+2581 (the vocabulary marks word starts that way), is cut
 *    greedily into the longest vocabulary tokens from the left. If some position matches no
 *    token, the whole word becomes [UNK].
 */
import { IdBuffer } from "./merge-queue.js";
import {
  CPT_ACCENT_MARK, CPT_CONTROL, CPT_PUNCTUATION, CPT_SYMBOL, CPT_WHITESPACE, cptFlags, cptNfdFirst, cptToLower,
  toCodepoints,
} from "./unicode.js";
import { TOKEN_NULL, type Vocab } from "./vocab.js";

/** CJK ideograph blocks BERT isolates (llama.cpp copies HF's ranges, including its 0x2B920 quirk). */
function isChineseChar(c: number): boolean {
  return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x20000 && c <= 0x2a6df) ||
    (c >= 0x2a700 && c <= 0x2b73f) || (c >= 0x2b740 && c <= 0x2b81f) || (c >= 0x2b920 && c <= 0x2ceaf) ||
    (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f);
}

/** WordPiece encoder for one vocabulary. */
export class WordPieceEncoder {
  /** Longest token in UTF-16 units (bounds the greedy search). */
  private readonly maxUnits: number;

  constructor(private readonly vocab: Vocab) {
    let m = 0;
    for (const t of vocab.tokens) if (t.length > m) m = t.length;
    this.maxUnits = m;
  }

  /** BERT basic tokenization of `text` into words. */
  preprocess(text: string): string[] {
    const [cps, n] = toCodepoints(text);
    const { lowercase, stripAccents } = this.vocab;
    const words: string[] = [];
    let cur = "";
    for (let i = 0; i < n; i++) {
      let c = cps[i]!;
      if (stripAccents) c = cptNfdFirst(c);
      const f = cptFlags(c);
      if (f & CPT_WHITESPACE) {
        if (cur) { words.push(cur); cur = ""; }
        continue;
      }
      if (c === 0 || c === 0xfffd || f & CPT_CONTROL) continue;
      if (stripAccents && f & CPT_ACCENT_MARK) continue;
      const s = String.fromCodePoint(lowercase ? cptToLower(c) : c);
      if (f & CPT_PUNCTUATION || (c < 0x7f && f & CPT_SYMBOL) || isChineseChar(c)) {
        if (cur) { words.push(cur); cur = ""; }
        words.push(s);
      } else {
        cur += s;
      }
    }
    if (cur) words.push(cur);
    return words;
  }

  /** Tokenizes one raw-text fragment and appends ids to `out`. */
  encode(text: string, out: IdBuffer): void {
    const v = this.vocab;
    for (const w of this.preprocess(text)) {
      const word = "\u2581" + w;
      const n = word.length;
      const mark = out.length;
      for (let i = 0; i < n;) {
        let matched = false;
        for (let j = Math.min(n, i + this.maxUnits); j > i; j--) {
          const id = v.tokenToId.get(word.slice(i, j));
          if (id !== undefined) {
            out.push(id);
            i = j;
            matched = true;
            break;
          }
        }
        if (!matched) {
          out.length = mark; // discard the partial word
          break;
        }
      }
      if (out.length === mark) out.push(v.unk === TOKEN_NULL ? 0 : v.unk);
    }
  }
}
