/**
 * GPT-2's byte-to-unicode mapping (openai/gpt-2 encoder.py `bytes_to_unicode`; the same table
 * llama.cpp uses in `unicode_byte_to_utf8`): every byte becomes one printable code point, so a
 * byte-level BPE vocabulary can be stored as text. Bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to
 * themselves; the other 68 bytes map, in increasing order, to U+0100, U+0101, ... (space 0x20 ->
 * U+0120 'Ġ', newline 0x0A -> U+010A 'Ċ').
 */

function build(): { toChar: string[]; toByte: Map<number, number> } {
  const toChar: string[] = new Array<string>(256);
  const toByte = new Map<number, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    const cp = printable ? b : 256 + extra++;
    toChar[b] = String.fromCodePoint(cp);
    toByte.set(cp, b);
  }
  return { toChar, toByte };
}

const TABLE = build();

/** The one-character string that stands for byte `b` (0..255). */
export function byteToUnicodeChar(b: number): string {
  return TABLE.toChar[b]!;
}

/** Maps bytes to their GPT-2 text form (one character per byte). */
export function bytesToGpt2Text(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += TABLE.toChar[bytes[i]!]!;
  return s;
}

/**
 * Maps GPT-2 text form back to bytes. Returns undefined if a character is not one of the 256
 * mapped ones (e.g. the text of a special token).
 */
export function gpt2TextToBytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (const ch of text) {
    const b = TABLE.toByte.get(ch.codePointAt(0)!);
    if (b === undefined) return undefined;
    out[n++] = b;
  }
  return out.subarray(0, n);
}
