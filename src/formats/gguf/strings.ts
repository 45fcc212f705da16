/**
 * Lossless conversion between GGUF string bytes and JS strings.
 *
 * GGUF strings are "UTF-8" byte sequences, but nothing stops a file from holding bytes that are
 * not valid UTF-8 (tokenizer vocabularies sometimes do). A plain TextDecoder would replace those
 * with U+FFFD and a later write would change the file. We decode like Python's
 * `surrogateescape` error handler (PEP 383): every byte that is not part of a valid UTF-8
 * sequence becomes the lone low surrogate U+DC80..U+DCFF, and the encoder turns those back into
 * the original byte. Valid UTF-8 never decodes to a lone surrogate, so the mapping is exact in
 * both directions, and strings that are valid UTF-8 (almost all of them) are ordinary JS strings.
 * A leading byte-order mark is kept as U+FEFF, not dropped.
 */
import { GlassboxError } from "../../errors.js";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Decodes GGUF string bytes to a JS string; never throws. Invalid UTF-8 bytes become lone
 * surrogates U+DC80+byte so that `encodeGgufString(decodeGgufString(b))` equals `b` for every `b`.
 */
export function decodeGgufString(bytes: Uint8Array): string {
  return decodeGgufStringRange(bytes, 0, bytes.length);
}

/** decodeGgufString of `buf[start, end)` without making a subarray for short strings. */
export function decodeGgufStringRange(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) return decodeEscaping(buf, start, end); // short: plain JS beats a decoder call
  const bytes = buf.subarray(start, end);
  try {
    return strict.decode(bytes);
  } catch {
    return decodeEscaping(buf, start, end);
  }
}

/** Scratch UTF-16 buffer; decodes flush it every SCRATCH - 2 units. */
const SCRATCH = 4096;
const scratch = new Uint16Array(SCRATCH);

/** Decodes valid UTF-8 sequences and escapes every other byte as U+DC80+byte (surrogateescape). */
function decodeEscaping(b: Uint8Array, start: number, end: number): string {
  let out = "";
  let n = 0;
  let i = start;
  const cont = (k: number) => k < end && (b[k]! & 0xc0) === 0x80;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      scratch[n++] = c;
      i++;
    } else {
      let cp = -1, len = 1;
      if (c >= 0xc2 && c <= 0xdf) {
        if (cont(i + 1)) { cp = ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f); len = 2; }
      } else if (c >= 0xe0 && c <= 0xef) {
        const c1 = i + 1 < end ? b[i + 1]! : -1;
        const lo = c === 0xe0 ? 0xa0 : 0x80, hi = c === 0xed ? 0x9f : 0xbf; // no overlongs, no surrogates
        if (c1 >= lo && c1 <= hi && cont(i + 2)) {
          cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (b[i + 2]! & 0x3f); len = 3;
        }
      } else if (c >= 0xf0 && c <= 0xf4) {
        const c1 = i + 1 < end ? b[i + 1]! : -1;
        const lo = c === 0xf0 ? 0x90 : 0x80, hi = c === 0xf4 ? 0x8f : 0xbf; // no overlongs, <= U+10FFFF
        if (c1 >= lo && c1 <= hi && cont(i + 2) && cont(i + 3)) {
          cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f); len = 4;
        }
      }
      if (cp < 0) {
        scratch[n++] = 0xdc00 + c; // escape one invalid byte (always >= 0x80 here)
      } else if (cp >= 0x10000) {
        scratch[n++] = 0xd800 + ((cp - 0x10000) >> 10);
        scratch[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      } else {
        scratch[n++] = cp;
      }
      i += len;
    }
    if (n >= SCRATCH - 2) {
      out += String.fromCharCode.apply(null, scratch.subarray(0, n) as unknown as number[]);
      n = 0;
    }
  }
  return out + String.fromCharCode.apply(null, scratch.subarray(0, n) as unknown as number[]);
}

/**
 * Encodes a JS string to GGUF string bytes (UTF-8). Lone surrogates U+DC80..U+DCFF are written
 * as the single byte they escape (see decodeGgufString). Throws GlassboxError `GGUF_BAD_STRING`
 * for any other lone surrogate, which has no UTF-8 encoding.
 */
export function encodeGgufString(s: string): Uint8Array {
  if (s.length > 64 && !SURROGATE.test(s)) return encoder.encode(s);
  const out = new Uint8Array(3 * s.length);
  return out.slice(0, encodeGgufStringInto(s, out, 0));
}

/**
 * encodeGgufString written into `out` at `at`; returns the number of bytes written. `out` must
 * have room for 3 bytes per UTF-16 unit of `s` (the worst case). Same errors as encodeGgufString.
 */
export function encodeGgufStringInto(s: string, out: Uint8Array, at: number): number {
  let p = at;
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u < 0x80) { out[p++] = u; continue; }
    if (u < 0x800) { out[p++] = 0xc0 | (u >> 6); out[p++] = 0x80 | (u & 0x3f); continue; }
    if (u < 0xd800 || u > 0xdfff) {
      out[p++] = 0xe0 | (u >> 12); out[p++] = 0x80 | ((u >> 6) & 0x3f); out[p++] = 0x80 | (u & 0x3f);
      continue;
    }
    if (u <= 0xdbff && i + 1 < s.length) {
      const v = s.charCodeAt(i + 1);
      if (v >= 0xdc00 && v <= 0xdfff) {
        const cp = 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
        out[p++] = 0xf0 | (cp >> 18); out[p++] = 0x80 | ((cp >> 12) & 0x3f);
        out[p++] = 0x80 | ((cp >> 6) & 0x3f); out[p++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
    }
    if (u >= 0xdc80 && u <= 0xdcff) { out[p++] = u - 0xdc00; continue; }
    throw new GlassboxError("GGUF_BAD_STRING", `string has a lone surrogate U+${u.toString(16).toUpperCase()} at index ${i}, which UTF-8 cannot encode`);
  }
  return p - at;
}
