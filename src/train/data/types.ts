/**
 * Shapes shared by the training-data pipeline (src/train/data): records read from files, bad
 * records, tokenized documents and packed sequences.
 *
 * Pipeline: files -> records (read-*.ts) -> documents (documents.ts: token ids + loss labels)
 * -> held-out split (split.ts) -> packed sequences (pack.ts) -> batches (batches.ts).
 */
import type { ChatMessage } from "../../tokenizer/chat/types.js";

/** How a file's content is read: plain text, JSONL of {"text"}, or JSONL of {"messages"}. */
export type DataFormat = "text" | "jsonl" | "chat";

/** One record as read from a file, before tokenization. `line` is 1-based. */
export type DataRecord = TextRecord | ChatRecord;

/** A plain-text document: a whole text file, a piece of one, or one JSONL {"text"} record. */
export interface TextRecord {
  readonly kind: "text";
  readonly text: string;
  /** The file as it was named (a folder's files are joined onto the folder path given). */
  readonly file: string;
  /** 1-based line where the record starts. */
  readonly line: number;
  /**
   * For a plain-text file cut into pieces (splitTextChars): the piece index within the file.
   * Adjacent pieces that end up in the same split are joined without BOS/EOS between them.
   * -1 when the record is a whole document.
   */
  readonly part: number;
  /** Index of the file in the file list (identifies the file the pieces belong to). */
  readonly fileIndex: number;
}

/** A conversation (OpenAI message shape), system prompt already folded into `messages`. */
export interface ChatRecord {
  readonly kind: "chat";
  readonly messages: ChatMessage[];
  readonly file: string;
  readonly line: number;
  readonly fileIndex: number;
}

/** A record that was not used, with where it is and why. */
export interface BadRecord {
  readonly file: string;
  /** 1-based line number of the record (for a plain-text file: the line of the problem, or 1). */
  readonly line: number;
  /** Human-readable reason, e.g. "invalid JSON: Unexpected token } in JSON at position 12". */
  readonly reason: string;
}

/** What to do with a bad record: skip it (listed and counted) or fail with DATA_BAD_RECORD. */
export type BadRecordPolicy = "skip" | "error";

/**
 * One tokenized document: content tokens (no BOS/EOS yet; the packer adds them) and, for chat,
 * the loss labels. `labels[i]` is `ids[i]` where the token is a training target and -1 where it
 * is not; `labels` undefined means every token is a target (plain text).
 */
export interface TokenizedDocument {
  readonly kind: "text" | "chat";
  readonly ids: Int32Array;
  readonly labels: Int32Array | undefined;
  readonly file: string;
  readonly line: number;
  readonly fileIndex: number;
  /** Piece index of a cut text file, else -1 (see TextRecord.part). */
  readonly part: number;
  /** The split unit (record) this document came from; a unit goes wholly to train or held-out. */
  readonly unit: number;
  /** UTF-8 bytes of the source text (text records), or of the pieces of the target tokens (chat). */
  readonly bytes: number;
}

/**
 * Fixed-length token sequences, row-major `[nSeq][seqLen]` with seqLen = n_ctx + 1. A row gives
 * the model inputs `tokens[r][0..n_ctx)` and the next-token targets `labels[r][1..n_ctx]`
 * (shifted by one); a label of -1 means no loss at that position (padding, prompt tokens).
 */
export interface PackedSequences {
  readonly nSeq: number;
  /** n_ctx + 1. */
  readonly seqLen: number;
  /** Token ids, Int32Array of nSeq * seqLen. */
  readonly tokens: Int32Array;
  /** Loss labels (token id or -1), Int32Array of nSeq * seqLen. */
  readonly labels: Int32Array;
  /** Documents packed. */
  readonly documents: number;
  /** Targets with a loss: count of labels[r][1..seqLen) that are not -1, over all rows. */
  readonly targetTokens: number;
  /** Padding tokens written (label -1). */
  readonly paddingTokens: number;
  /** UTF-8 bytes of the documents' source text (for bits per byte). */
  readonly bytes: number;
}
