/**
 * Token lists in the shape llama.cpp's server reports them (tools/server, POST /tokenize with
 * `with_pieces`): `{ id, piece }` where `piece` is the token's text when its bytes are valid
 * UTF-8 and otherwise the array of byte values. We add `bytes`, always the exact byte values of
 * the piece (llama_token_to_piece with special = true), so a consumer never has to guess.
 */
import type { Tokenizer } from "./tokenizer.js";

/** One token with its piece. */
export interface TokenInfo {
  id: number;
  /** The piece as text when it is valid UTF-8, else its byte values (llama.cpp server convention). */
  piece: string | number[];
  /** The piece's bytes. */
  bytes: number[];
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Describes each id: id, piece (text or bytes), bytes. Throws TOKEN_OUT_OF_RANGE for bad ids. */
export function describeTokens(tok: Tokenizer, ids: ArrayLike<number>): TokenInfo[] {
  const out: TokenInfo[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const b = tok.tokenToPiece(id);
    let piece: string | number[];
    try {
      piece = strict.decode(b);
    } catch {
      piece = Array.from(b);
    }
    out.push({ id, piece, bytes: Array.from(b) });
  }
  return out;
}

/**
 * A piece as one printable line: JSON-style quoted text with control characters escaped, and
 * bytes that are not valid UTF-8 written as \xNN.
 */
export function printablePiece(bytes: Uint8Array): string {
  try {
    return JSON.stringify(strict.decode(bytes));
  } catch {
    let s = "";
    for (let i = 0; i < bytes.length;) {
      const n = validSequenceLength(bytes, i);
      if (n > 0) {
        s += JSON.stringify(strict.decode(bytes.subarray(i, i + n))).slice(1, -1);
        i += n;
      } else {
        s += "\\x" + bytes[i]!.toString(16).toUpperCase().padStart(2, "0");
        i++;
      }
    }
    return `"${s}"`;
  }
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  try {
    strict.decode(b.subarray(i, i + n));
    return n;
  } catch {
    return 0;
  }
}
