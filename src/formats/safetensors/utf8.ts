/**
 * UTF-8 helpers for the header parser. Well-formedness follows the Unicode standard's table of
 * well-formed byte sequences (Unicode 15, table 3-7): no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF.
 */

/** A strict decoder: invalid UTF-8 throws instead of becoming U+FFFD, and a BOM is kept as text. */
export const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Index of the first byte in `b[from, to)` that starts an ill-formed UTF-8 sequence, or -1
 * when the whole range is well-formed. Used only to point an error at the right byte.
 */
export function firstInvalidUtf8(b: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n >= to) return i; // the sequence runs past the end
    const second = b[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= n; k++) {
      const cont = b[i + k]!;
      if (cont < 0x80 || cont > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** True when `s` has no lone UTF-16 surrogate, i.e. it can be written as UTF-8. */
export function isWellFormedString(s: string): boolean {
  return !/[\uD800-\uDFFF]/u.test(s);
}
