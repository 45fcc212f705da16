/**
 * Streaming detokenizer: turns tokens into text one at a time, as a generation loop produces
 * them, and never emits part of a UTF-8 character. Bytes of a character split across tokens
 * (byte-fallback tokens <0xE2><0x82><0xAC>, or byte-level BPE pieces) are held back until the
 * character is complete.
 *
 * Concatenating every `push` result and the final `flush()` gives exactly
 * `tokenizer.decode(allIds, { same options, cleanSpaces: false })`: the same pieces, the same
 * leading-space rule for SPM vocabularies, and U+FFFD only where the bytes really are invalid.
 */
import type { PieceTable } from "./pieces.js";
import { TokenAttr, type Vocab } from "./vocab.js";

/** Options of a stream decoder. */
export interface StreamDecoderOptions {
  /** Render CONTROL and UNKNOWN tokens (e.g. "<s>") as their text (default false: nothing). */
  unparseSpecial?: boolean;
  /**
   * Strip one leading space from the first token's piece when the vocabulary adds a space
   * prefix (SPM), as `decode` does (default true). Set false when continuing a text whose
   * first tokens were already decoded elsewhere.
   */
  stripLeadingSpace?: boolean;
}

/** Incremental detokenizer; create it with `Tokenizer.createStreamDecoder()`. */
export class StreamDecoder {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  private first: boolean;
  private readonly unparseSpecial: boolean;

  constructor(private readonly vocab: Vocab, private readonly pieces: PieceTable, opts: StreamDecoderOptions = {}) {
    this.first = (opts.stripLeadingSpace ?? true) && vocab.addSpacePrefix;
    this.unparseSpecial = opts.unparseSpecial ?? false;
  }

  /**
   * Adds one token; returns the text that is now complete (possibly ""). Throws
   * TOKEN_OUT_OF_RANGE for an id outside the vocabulary.
   */
  push(id: number): string {
    let piece = this.pieces.piece(id);
    const strip = this.first;
    this.first = false;
    if (!this.unparseSpecial && this.vocab.attrs[id]! & (TokenAttr.UNKNOWN | TokenAttr.CONTROL)) return "";
    if (strip && piece.length > 0 && piece[0] === 0x20) piece = piece.subarray(1);
    if (piece.length === 0) return "";
    return this.decoder.decode(piece, { stream: true });
  }

  /** Adds several tokens; returns the text now complete. */
  pushAll(ids: ArrayLike<number>): string {
    let s = "";
    for (let i = 0; i < ids.length; i++) s += this.push(ids[i]!);
    return s;
  }

  /** Ends the stream: returns held-back bytes of an incomplete character as U+FFFD (or ""). */
  flush(): string {
    return this.decoder.decode();
  }
}
