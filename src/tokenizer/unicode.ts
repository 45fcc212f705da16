/**
 * Unicode facts the tokenizers need, with llama.cpp's definitions (src/unicode.cpp, unicode.h,
 * scripts/gen-unicode-data.py):
 *
 * - one category flag per code point from its General_Category: N -> NUMBER, L -> LETTER,
 *   Z -> SEPARATOR, M -> ACCENT_MARK, P -> PUNCTUATION, S -> SYMBOL, Cc/Cf/Co/Cs -> CONTROL,
 *   Cn (unassigned) -> UNDEFINED;
 * - a WHITESPACE bit for exactly the code points llama.cpp lists (U+0009..U+000D, U+0020,
 *   U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). This is
 *   not JavaScript's `\s` (which adds U+FEFF and lacks U+0085);
 * - simple (one-to-one) lower-casing and the first code point of a canonical decomposition (NFD),
 *   which is what llama.cpp's `unicode_cpts_normalize_nfd` returns for each code point.
 *
 * The categories come from the JavaScript engine's own Unicode tables (`\p{..}` regexes), built
 * lazily in blocks of 4096 code points, so startup costs nothing and only the scripts a text
 * uses are ever classified. Node's Unicode version can differ slightly from the one llama.cpp's
 * tables were generated from; that only matters for code points assigned in between.
 */

export const CPT_UNDEFINED = 0x0001;
export const CPT_NUMBER = 0x0002;
export const CPT_LETTER = 0x0004;
export const CPT_SEPARATOR = 0x0008;
export const CPT_ACCENT_MARK = 0x0010;
export const CPT_PUNCTUATION = 0x0020;
export const CPT_SYMBOL = 0x0040;
export const CPT_CONTROL = 0x0080;
/** Mask of the eight category bits (exactly one is set for every code point). */
export const CPT_CATEGORY_MASK = 0x00ff;
export const CPT_WHITESPACE = 0x0100;

export const MAX_CODEPOINTS = 0x110000;

const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;

/** Flags per code point; 0 = block not classified yet (every classified code point has a category bit). */
const flagsTable = new Uint16Array(MAX_CODEPOINTS);

const CATEGORY_REGEXES: ReadonlyArray<readonly [RegExp, number]> = [
  [/\p{N}+/gu, CPT_NUMBER],
  [/\p{L}+/gu, CPT_LETTER],
  [/\p{Z}+/gu, CPT_SEPARATOR],
  [/\p{M}+/gu, CPT_ACCENT_MARK],
  [/\p{P}+/gu, CPT_PUNCTUATION],
  [/\p{S}+/gu, CPT_SYMBOL],
  [/[\p{Cc}\p{Cf}\p{Co}]+/gu, CPT_CONTROL],
];

const WHITESPACE_CPTS: readonly number[] = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

function classifyBlock(block: number): void {
  const lo = block << BLOCK_BITS;
  const hi = Math.min(lo + BLOCK, MAX_CODEPOINTS);
  // Unassigned (Cn) unless a category regex below claims the code point.
  flagsTable.fill(CPT_UNDEFINED, lo, hi);
  // Surrogate code points: General_Category Cs.
  if (lo < 0xe000 && hi > 0xd800) flagsTable.fill(CPT_CONTROL, Math.max(lo, 0xd800), Math.min(hi, 0xe000));
  const cps: number[] = [];
  for (let c = lo; c < hi; c++) if (c < 0xd800 || c >= 0xe000) cps.push(c);
  const text = String.fromCodePoint(...cps);
  const astral = lo >= 0x10000;
  for (const [re, flag] of CATEGORY_REGEXES) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      // Within one block every code point has the same UTF-16 length.
      const a = astral ? m.index >> 1 : m.index;
      const n = astral ? m[0].length >> 1 : m[0].length;
      for (let k = a; k < a + n; k++) flagsTable[cps[k]!] = flag;
    }
  }
  for (const w of WHITESPACE_CPTS) if (w >= lo && w < hi) flagsTable[w] = flagsTable[w]! | CPT_WHITESPACE;
}

/** Flags of one code point (CPT_* bits); code points >= 0x110000 are UNDEFINED. */
export function cptFlags(cp: number): number {
  if (cp >= MAX_CODEPOINTS || cp < 0) return CPT_UNDEFINED;
  const f = flagsTable[cp]!;
  if (f !== 0) return f;
  classifyBlock(cp >> BLOCK_BITS);
  return flagsTable[cp]!;
}

/** The whole flags table, with the blocks covering `cps` classified (for hot loops that index it directly). */
export function flagsFor(cps: Int32Array | Uint32Array, n = cps.length): Uint16Array {
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    if (flagsTable[c] === 0) classifyBlock(c >> BLOCK_BITS);
  }
  return flagsTable;
}

const lowerCache = new Map<number, number>();

/**
 * Simple lower-case mapping of one code point (UnicodeData.txt field 13, as llama.cpp's
 * `unicode_tolower`): the code point itself when it has none or when lower-casing would
 * produce more than one code point (U+0130 maps to U+0069 as in UnicodeData).
 */
export function cptToLower(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  if (cp === 0x130) return 0x69;
  let r = lowerCache.get(cp);
  if (r === undefined) {
    const s = String.fromCodePoint(cp).toLowerCase();
    const first = s.codePointAt(0)!;
    r = s.length === (first > 0xffff ? 2 : 1) ? first : cp;
    lowerCache.set(cp, r);
  }
  return r;
}

const nfdCache = new Map<number, number>();

/** First code point of the canonical decomposition (NFD) of `cp`, as llama.cpp's NFD table holds. */
export function cptNfdFirst(cp: number): number {
  if (cp < 0xc0) return cp;
  let r = nfdCache.get(cp);
  if (r === undefined) {
    r = String.fromCodePoint(cp).normalize("NFD").codePointAt(0)!;
    nfdCache.set(cp, r);
  }
  return r;
}

/**
 * Code points of a JS string into `out` (grown as needed); returns [codepoints, count].
 * Lone surrogates become U+FFFD, the code point llama.cpp substitutes for invalid UTF-8.
 */
export function toCodepoints(text: string, out?: Int32Array): [Int32Array, number] {
  let buf = out && out.length >= text.length ? out : new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c < 0xe000) {
      const d = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    buf[n++] = c;
  }
  return [buf, n];
}

/** Number of UTF-8 bytes of code point `cp`. */
export function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** Writes the UTF-8 bytes of `cp` at `out[pos]`; returns the new position. */
export function putUtf8(cp: number, out: Uint8Array, pos: number): number {
  if (cp < 0x80) {
    out[pos++] = cp;
  } else if (cp < 0x800) {
    out[pos++] = 0xc0 | (cp >> 6);
    out[pos++] = 0x80 | (cp & 0x3f);
  } else if (cp < 0x10000) {
    out[pos++] = 0xe0 | (cp >> 12);
    out[pos++] = 0x80 | ((cp >> 6) & 0x3f);
    out[pos++] = 0x80 | (cp & 0x3f);
  } else {
    out[pos++] = 0xf0 | (cp >> 18);
    out[pos++] = 0x80 | ((cp >> 12) & 0x3f);
    out[pos++] = 0x80 | ((cp >> 6) & 0x3f);
    out[pos++] = 0x80 | (cp & 0x3f);
  }
  return pos;
}

const textEncoder = new TextEncoder();
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * UTF-8 bytes of a vocabulary string. GGUF strings that were not valid UTF-8 reach us with each
 * bad byte as a lone surrogate U+DC80..U+DCFF (PEP 383 "surrogateescape", as the GGUF reader
 * decodes them); those become the original byte again. Other lone surrogates become U+FFFD.
 */
export function vocabStringBytes(s: string): Uint8Array {
  if (!SURROGATE.test(s)) return textEncoder.encode(s);
  const out = new Uint8Array(s.length * 3);
  let pos = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xe000) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else if (c >= 0xdc80 && c <= 0xdcff) {
        out[pos++] = c - 0xdc00;
        continue;
      } else {
        c = 0xfffd;
      }
    }
    pos = putUtf8(c, out, pos);
  }
  return out.slice(0, pos);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` with every lone UTF-16 surrogate replaced by U+FFFD (String.prototype.toWellFormed). */
export function toWellFormed(text: string): string {
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, "\uFFFD") : text;
}

/** Byte length of `vocabStringBytes(s)` without building it. */
export function vocabStringByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) n += 1; // an escaped raw byte
    else n += 3;
  }
  return n;
}

/** UTF-8 encoding of a JS string (lone surrogates become U+FFFD). */
export function utf8Encode(s: string): Uint8Array {
  return textEncoder.encode(s);
}

/**
 * GPT-2's byte <-> unicode table (`bytes_to_unicode` in OpenAI's encoder.py; llama.cpp's
 * `unicode_byte_to_utf8_map`): printable bytes '!'..'~', U+00A1..U+00AC, U+00AE..U+00FF map to
 * themselves; the other 68 bytes map, in increasing order, to U+0100, U+0101, ...
 * Returns the code point for each byte.
 */
export const BYTE_TO_CPT: Uint32Array = (() => {
  const t = new Uint32Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    t[b] = printable ? b : 256 + n++;
  }
  return t;
})();

/** Inverse of BYTE_TO_CPT: byte for a code point, or -1 (for code points < 0x144). */
export const CPT_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(0x144).fill(-1);
  for (let b = 0; b < 256; b++) t[BYTE_TO_CPT[b]!] = b;
  return t;
})();
