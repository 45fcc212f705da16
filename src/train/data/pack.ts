/**
 * Packing tokenized documents into fixed-length rows of n_ctx + 1 tokens (inputs = row[0..n_ctx),
 * targets = labels[1..n_ctx], shifted by one), as GPT-2 / nanoGPT-style pre-training does.
 *
 * - "pack": documents are concatenated into one stream, each as [BOS] tokens [EOS] (BOS and EOS
 *   per options), and the stream is cut into rows with a stride of n_ctx: row r holds stream
 *   tokens [r*n_ctx, r*n_ctx + n_ctx + 1). Consecutive rows share one token, so every token
 *   after the first is the target of exactly one position (nothing is lost at row edges, and a
 *   held-out loss counts each token once). Documents are split across rows; attention crosses
 *   document boundaries within a row (no document masking), as in GPT-2. The last row is
 *   padded.
 * - "pad" (chat only, option chatPacking): each chat example gets a row of its own, padded at
 *   the end, so no example is split across rows. Text documents are always packed.
 * Pieces of one text file (splitTextChars) that follow each other in the list are joined
 * without EOS/BOS between them. Padding uses the pad token (else EOS, else 0) with label -1.
 * BOS and EOS of a text document are targets like its other tokens; those added around a chat
 * example are not (the template's own end-of-turn text is). Rows without any target are dropped.
 */
import { GlassboxError } from "../../errors.js";
import type { PackedSequences, TokenizedDocument } from "./types.js";

/** Options of packDocuments. */
export interface PackOptions {
  /** Context length n_ctx (rows are n_ctx + 1 tokens). */
  nCtx: number;
  /** BOS token id (needed when addBos), EOS id (needed when addEos / chatAddEos), padding id. */
  bos: number;
  eos: number;
  pad: number;
  /** Put BOS before each document. Default false. */
  addBos?: boolean;
  /** Put EOS after each text document. Default false. */
  addEos?: boolean;
  /** Put EOS after each chat example (not a target). Default false. */
  chatAddEos?: boolean;
  /** "pack" (default) or "pad": see the file comment. */
  chatPacking?: "pack" | "pad";
}

/** Tokens a document takes once BOS/EOS are added (without neighbours). */
export function documentLength(d: TokenizedDocument, o: PackOptions, joinPrev = false, joinNext = false): number {
  const bos = o.addBos && !joinPrev ? 1 : 0;
  const eos = d.kind === "text" ? (o.addEos && !joinNext ? 1 : 0) : (o.chatAddEos ? 1 : 0);
  return bos + d.ids.length + eos;
}

function continues(prev: TokenizedDocument | undefined, d: TokenizedDocument): boolean {
  return prev !== undefined && d.kind === "text" && prev.kind === "text" && d.part > 0 &&
    prev.fileIndex === d.fileIndex && prev.part === d.part - 1;
}

/** Checks n_ctx and the special ids the options need. Throws INVALID_OPTION / DATA_NO_SPECIAL. */
export function checkPackOptions(o: PackOptions): void {
  if (!Number.isSafeInteger(o.nCtx) || o.nCtx < 1) throw new GlassboxError("INVALID_OPTION", `n_ctx must be an integer >= 1, got ${o.nCtx}`);
  if (o.chatPacking !== undefined && o.chatPacking !== "pack" && o.chatPacking !== "pad") {
    throw new GlassboxError("INVALID_OPTION", `chatPacking must be "pack" or "pad", got ${String(o.chatPacking)}`);
  }
  if (o.addBos && o.bos < 0) throw new GlassboxError("DATA_NO_SPECIAL", "BOS was asked for but the vocabulary has no BOS token");
  if ((o.addEos || o.chatAddEos) && o.eos < 0) throw new GlassboxError("DATA_NO_SPECIAL", "EOS was asked for but the vocabulary has no EOS token");
  if (!Number.isSafeInteger(o.pad) || o.pad < 0) throw new GlassboxError("INVALID_OPTION", `pad id must be an integer >= 0, got ${o.pad}`);
}

/**
 * Packs `docs` (in order) into rows of n_ctx + 1 tokens: stream rows first, then padded chat
 * rows. Returns typed arrays (row-major [nSeq][n_ctx + 1]). Errors: those of checkPackOptions;
 * DATA_TOO_LONG when a "pad" chat example does not fit in one row (tokenizeRecords normally
 * reports those as bad records first).
 */
export function packDocuments(docs: readonly TokenizedDocument[], o: PackOptions): PackedSequences {
  checkPackOptions(o);
  const nCtx = o.nCtx;
  const seqLen = nCtx + 1;
  const padChat = o.chatPacking === "pad";
  const inStream = (d: TokenizedDocument): boolean => d.kind === "text" || !padChat;

  // Stream length and padded-row count.
  let streamLen = 0;
  let padRows = 0;
  let bytes = 0;
  const streamDocs: TokenizedDocument[] = [];
  for (const d of docs) {
    bytes += d.bytes;
    if (inStream(d)) { streamDocs.push(d); continue; }
    const n = documentLength(d, o);
    if (n > seqLen) {
      throw new GlassboxError("DATA_TOO_LONG", `${d.file}:${d.line}: chat example of ${n} tokens does not fit in a row of n_ctx + 1 = ${seqLen}`);
    }
    padRows++;
  }
  // joined[i]: document i continues document i - 1 (pieces of one text file).
  const joined = new Uint8Array(streamDocs.length + 1);
  for (let i = 1; i < streamDocs.length; i++) joined[i] = continues(streamDocs[i - 1], streamDocs[i]!) ? 1 : 0;
  for (let i = 0; i < streamDocs.length; i++) {
    streamLen += documentLength(streamDocs[i]!, o, joined[i] === 1, joined[i + 1] === 1);
  }

  const streamRows = streamLen >= 2 ? Math.ceil((streamLen - 1) / nCtx) : 0;
  const maxRows = streamRows + padRows;
  const tokens = new Int32Array(maxRows * seqLen);
  const labels = new Int32Array(maxRows * seqLen);

  // Write the stream straight into its rows: stream position p is column p % n_ctx of row
  // p / n_ctx, and also the last column of the row before when it starts a row.
  let at = 0;
  const put = (tok: number, lab: number): void => {
    const r = Math.floor(at / nCtx);
    const c = at - r * nCtx;
    if (r < streamRows) { tokens[r * seqLen + c] = tok; labels[r * seqLen + c] = lab; }
    if (c === 0 && r > 0) { tokens[r * seqLen - 1] = tok; labels[r * seqLen - 1] = lab; }
    at++;
  };
  const emit = (d: TokenizedDocument, joinPrev: boolean, joinNext: boolean, write: (tok: number, lab: number) => void): void => {
    const text = d.kind === "text";
    if (o.addBos && !joinPrev) write(o.bos, text ? o.bos : -1);
    if (d.labels) for (let i = 0; i < d.ids.length; i++) write(d.ids[i]!, d.labels[i]!);
    else for (let i = 0; i < d.ids.length; i++) write(d.ids[i]!, d.ids[i]!);
    if (text ? o.addEos && !joinNext : o.chatAddEos) write(o.eos, text ? o.eos : -1);
  };
  for (let i = 0; i < streamDocs.length; i++) emit(streamDocs[i]!, joined[i] === 1, joined[i + 1] === 1, put);

  // Pad the row at `from` after `filled` tokens and keep it (moved down to `rows`) when it has a
  // target; rows without any target are dropped.
  let rows = 0;
  let targetTokens = 0;
  let paddingTokens = 0;
  const commit = (from: number, filled: number): void => {
    const base = from * seqLen;
    for (let j = filled; j < seqLen; j++) { tokens[base + j] = o.pad; labels[base + j] = -1; }
    let targets = 0;
    for (let j = 1; j < seqLen; j++) if (labels[base + j]! >= 0) targets++;
    if (targets === 0) return;
    if (from !== rows) {
      tokens.copyWithin(rows * seqLen, base, base + seqLen);
      labels.copyWithin(rows * seqLen, base, base + seqLen);
    }
    targetTokens += targets;
    paddingTokens += seqLen - filled;
    rows++;
  };
  for (let r = 0; r < streamRows; r++) commit(r, Math.min(seqLen, streamLen - r * nCtx));
  let next = streamRows;
  for (const d of docs) {
    if (inStream(d)) continue;
    const base = next * seqLen;
    let j = 0;
    emit(d, false, false, (tok, lab) => { tokens[base + j] = tok; labels[base + j] = lab; j++; });
    commit(next++, j);
  }
  return {
    nSeq: rows, seqLen,
    tokens: rows === maxRows ? tokens : tokens.slice(0, rows * seqLen),
    labels: rows === maxRows ? labels : labels.slice(0, rows * seqLen),
    documents: docs.length, targetTokens, paddingTokens, bytes,
  };
}
