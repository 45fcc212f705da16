/**
 * Token -> bytes, and token sequence -> text, as llama.cpp does it (src/llama-vocab.cpp,
 * `token_to_piece` and `detokenize`).
 *
 * A piece is the bytes a token stands for; it need not be valid UTF-8 on its own (byte tokens
 * such as <0xE2>, or byte-level BPE tokens that hold part of a character).
 * - SPM and WordPiece: NORMAL tokens with U+2581 turned back into spaces; BYTE tokens <0xNN> as
 *   that byte; CONTROL, UNKNOWN and USER_DEFINED tokens as their text; UNUSED tokens as nothing.
 * - byte-level BPE: NORMAL tokens mapped back through GPT-2's byte<->unicode table (a code point
 *   outside the table becomes "[UNK_BYTE_0x<hex>" + token + "]", as llama.cpp writes it); the
 *   rest as for SPM.
 */
import { GlassboxError } from "../errors.js";
import { CPT_TO_BYTE, putUtf8, vocabStringBytes } from "./unicode.js";
import { TokenAttr, type Vocab } from "./vocab.js";

const ATTR_SPECIAL = TokenAttr.UNKNOWN | TokenAttr.CONTROL;
const SPACE = 0x20;

/** Options of `detokenize` (llama_detokenize). */
export interface DetokenizeOptions {
  /** Drop a leading BOS and a trailing EOS when the vocabulary adds them (default false). */
  removeSpecial?: boolean;
  /** Render CONTROL and UNKNOWN tokens as their text instead of nothing (default false). */
  unparseSpecial?: boolean;
  /**
   * Apply clean_up_tokenization_spaces (" ." -> ".", " 's" -> "'s", ...). llama_detokenize does
   * this for most byte-level BPE and WordPiece vocabularies (`Vocab.cleanSpaces`); it loses
   * information, so the default here is false (exact round trip).
   */
  cleanSpaces?: boolean;
}

/**
 * The piece of every token (llama_token_to_piece with special = true, lstrip = 0), computed on
 * first use and kept (llama.cpp fills the same cache at load time).
 */
export class PieceTable {
  private readonly cache: Array<Uint8Array | undefined>;

  constructor(private readonly vocab: Vocab) {
    this.cache = new Array<Uint8Array | undefined>(vocab.size);
  }

  /** Bytes of token `id` (shared; do not modify). Throws TOKEN_OUT_OF_RANGE for a bad id. */
  piece(id: number): Uint8Array {
    checkId(this.vocab, id);
    return (this.cache[id] ??= computePiece(this.vocab, id));
  }

  /**
   * llama_detokenize: the bytes of a token sequence. Throws TOKEN_OUT_OF_RANGE for a bad id.
   * Source: llama-vocab.cpp `llama_vocab::impl::detokenize`.
   */
  detokenize(ids: ArrayLike<number>, opts: DetokenizeOptions = {}): Uint8Array {
    const v = this.vocab;
    let begin = 0;
    let end = ids.length;
    let removeSpace = v.addSpacePrefix;
    if (opts.removeSpecial && v.addBos && end > begin && ids[begin] === v.bos) {
      removeSpace = false;
      begin++;
    }
    if (opts.removeSpecial && v.addEos && end > begin && ids[end - 1] === v.eos) end--;
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (let i = begin; i < end; i++) {
      const id = ids[i]!;
      let p = this.piece(id);
      const strip = removeSpace;
      removeSpace = false;
      if (!opts.unparseSpecial && v.attrs[id]! & ATTR_SPECIAL) continue;
      if (strip && p.length > 0 && p[0] === SPACE) p = p.subarray(1);
      pieces.push(p);
      total += p.length;
    }
    const out = new Uint8Array(total);
    let pos = 0;
    for (const p of pieces) {
      out.set(p, pos);
      pos += p.length;
    }
    const text = out.subarray(0, pos);
    return opts.cleanSpaces ? cleanUpSpaces(text) : text;
  }
}

function checkId(v: Vocab, id: number): void {
  if (!(Number.isInteger(id) && id >= 0 && id < v.size)) {
    throw new GlassboxError("TOKEN_OUT_OF_RANGE", `token id ${id} is outside the vocabulary [0, ${v.size})`);
  }
}

const UNK_BYTE_PREFIX = vocabStringBytes("[UNK_BYTE_0x");

function computePiece(v: Vocab, id: number): Uint8Array {
  const attr = v.attrs[id]!;
  const text = v.tokens[id]!;
  if (attr & (ATTR_SPECIAL | TokenAttr.USER_DEFINED)) return vocabStringBytes(text);
  if (attr & TokenAttr.NORMAL) {
    if (v.model !== "gpt2" || v.escapeWhitespaces) return vocabStringBytes(text.replaceAll("\u2581", " "));
    return decodeByteLevel(text);
  }
  if (attr & TokenAttr.BYTE) return Uint8Array.of(parseInt(text.slice(3, 5), 16) & 0xff);
  return new Uint8Array(0);
}

/**
 * Largest piece decodeByteLevel builds. Each code point outside GPT-2's table repeats the whole
 * token text, so a long non-byte-level token in a hostile vocabulary would grow quadratically
 * (a 90 KB file asked for gigabytes); real vocabularies stay far below this.
 */
const MAX_PIECE_BYTES = 1 << 20;

/**
 * llama_decode_text: each code point of a byte-level BPE token back to its byte. Throws
 * GlassboxError TOKENIZER_BAD_VOCAB when the piece would exceed MAX_PIECE_BYTES.
 */
function decodeByteLevel(text: string): Uint8Array {
  const out: number[] = [];
  const tmp = new Uint8Array(4);
  let textBytes: Uint8Array | undefined;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const b = cp < CPT_TO_BYTE.length ? CPT_TO_BYTE[cp]! : -1;
    if (b >= 0) {
      out.push(b);
      continue;
    }
    textBytes ??= vocabStringBytes(text);
    if (out.length + UNK_BYTE_PREFIX.length + 8 + textBytes.length + 1 > MAX_PIECE_BYTES) {
      throw new GlassboxError(
        "TOKENIZER_BAD_VOCAB",
        `a byte-level BPE token of ${text.length} characters is not GPT-2 byte text; its piece would exceed ${MAX_PIECE_BYTES} bytes`,
      );
    }
    for (const x of UNK_BYTE_PREFIX) out.push(x);
    const n = putUtf8(cp, tmp, 0);
    for (let k = 0; k < n; k++) for (const x of vocabStringBytes(tmp[k]!.toString(16).padStart(2, "0"))) out.push(x);
    for (const x of textBytes) out.push(x);
    out.push(0x5d);
  }
  return Uint8Array.from(out);
}

const QUOTE = 0x27;

/**
 * clean_up_tokenization_spaces on UTF-8 bytes, three passes as llama_detokenize runs them:
 * drop the space before ? ! . , ; turn " ' " into "'" ; drop the space before 's 'm 're 've.
 */
export function cleanUpSpaces(src: Uint8Array): Uint8Array {
  // pass 1
  let a = Uint8Array.from(src);
  let n = a.length;
  let out = new Uint8Array(n);
  let total = n ? 1 : 0;
  if (n) out[0] = a[0]!;
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    if (a[i - 1] === SPACE && (x === 0x3f || x === 0x21 || x === 0x2e || x === 0x2c)) total--;
    out[total++] = x;
  }
  // pass 2 (the space after a lone quote is zeroed in the source, as llama.cpp does in place)
  a = out.slice(0, total);
  n = total;
  out = new Uint8Array(n);
  total = n ? 1 : 0;
  if (n) out[0] = a[0]!;
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    if (x === QUOTE && i + 1 < n && a[i - 1] === SPACE && a[i + 1] === SPACE) {
      total--;
      a[++i] = 0;
    }
    out[total++] = x;
  }
  // pass 3
  a = out.slice(0, total);
  n = total;
  out = new Uint8Array(n);
  total = n ? 1 : 0;
  if (n) out[0] = a[0]!;
  for (let i = 1; i < n; i++) {
    const x = a[i]!;
    if (a[i - 1] === SPACE && x === QUOTE && i + 1 < n) {
      const x1 = a[i + 1]!;
      if (x1 === 0x73 || x1 === 0x6d) { // 's 'm
        total--;
      } else if (x1 !== 0x74 && x1 !== 0x64 && i + 2 < n) { // not 't 'd
        const x2 = a[i + 2]!;
        if ((x1 === 0x72 && x2 === 0x65) || (x1 === 0x76 && x2 === 0x65)) total--; // 're 've
      }
    }
    out[total++] = x;
  }
  return out.subarray(0, total);
}
