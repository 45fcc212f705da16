/**
 * UTF-8 helpers for the header parser and writer (the byte-level check that points an error at
 * the first ill-formed byte is util/utf8.ts `firstInvalidUtf8`).
 */

/** A strict decoder: invalid UTF-8 throws instead of becoming U+FFFD, and a BOM is kept as text. */
export const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** True when `s` has no lone UTF-16 surrogate, i.e. it can be written as UTF-8. */
export function isWellFormedString(s: string): boolean {
  return !/[\uD800-\uDFFF]/u.test(s);
}
