/**
 * UTF-8 checks for data files: strict decoding (invalid bytes are a bad record, never silently
 * replaced) and the line number of the first invalid byte (found with util/utf8.ts).
 */

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes `bytes` as UTF-8 (a leading BOM is dropped); undefined when they are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** 1-based line of byte `offset` in `bytes` (lines end at "\n"). */
export function lineAtByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Length in bytes of `s` encoded as UTF-8 (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n += 4; i++; } else n += 3;
    } else n += 3;
  }
  return n;
}
