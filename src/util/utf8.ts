/**
 * Locating ill-formed UTF-8, for errors that point at the offending byte. Well-formedness follows
 * the Unicode standard's table of well-formed byte sequences (Unicode 15, table 3-7; the same as
 * RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */

/**
 * Index of the first byte in `b[from, to)` that starts an ill-formed UTF-8 sequence (including a
 * sequence cut off by `to`), or -1 when the whole range is well-formed. Defaults: all of `b`.
 */
export function firstInvalidUtf8(b: Uint8Array, from = 0, to = b.length): number {
  let i = from;
  while (i < to) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let len: number;
    let lo = 0x80; // allowed range of the second byte
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + len > to) return i;
    const second = b[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k < len; k++) {
      const cont = b[i + k]!;
      if (cont < 0x80 || cont > 0xbf) return i;
    }
    i += len;
  }
  return -1;
}
