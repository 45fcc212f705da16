/**
 * One call from data paths to training-ready sequences:
 * files (list-files.ts) -> records (read-records.ts) -> tokenized documents with loss labels
 * (documents.ts, chat-mask.ts) -> held-out split by document (split.ts) -> packed rows of
 * n_ctx + 1 tokens (pack.ts). Iterate the result with BatchIterator (batches.ts).
 *
 * ```ts
 * const data = await loadTrainingData(["corpus/"], { tokenizer, nCtx: 256, heldOut: { fraction: 0.05 } });
 * data.summary.recordsRead === data.summary.recordsUsed + data.summary.recordsSkipped; // always
 * ```
 */
import { GlassboxError } from "../../errors.js";
import type { Tokenizer } from "../../tokenizer/tokenizer.js";
import { BadRecordLog } from "./bad-records.js";
import { tokenizeRecords } from "./documents.js";
import { listDataFiles } from "./list-files.js";
import { packDocuments, checkPackOptions, type PackOptions } from "./pack.js";
import { readDataFile, type ReadRecordsOptions } from "./read-records.js";
import { splitHeldOut, type HeldOutOptions } from "./split.js";
import type { BadRecord, BadRecordPolicy, DataFormat, DataRecord, PackedSequences } from "./types.js";

/** Options of loadTrainingData. */
export interface TrainingDataOptions extends ReadRecordsOptions {
  /** The model's tokenizer. */
  tokenizer: Tokenizer;
  /** Context length: rows are n_ctx + 1 tokens. */
  nCtx: number;
  /** "skip" (default): bad records are listed, counted and left out; "error": DATA_BAD_RECORD at the first. */
  onBadRecord?: BadRecordPolicy;
  /** BOS before each document (default: the tokenizer's add_bos_token). */
  addBos?: boolean;
  /** EOS after each text document (default: true when the vocabulary has an EOS). */
  addEos?: boolean;
  /**
   * EOS after each chat example, as a separator that is not a target (the template's own
   * end-of-turn text is). Default: true with "pack" (documents in a stream are separated by
   * EOS) when the vocabulary has an EOS, false with "pad".
   */
  chatAddEos?: boolean;
  /** "pack" (default) or "pad" (one chat example per row, never split; see pack.ts). */
  chatPacking?: "pack" | "pad";
  /** Held-out split (default: none). Its seed defaults to `seed`. */
  heldOut?: HeldOutOptions;
  /** Seed of the held-out choice when heldOut.seed is not given (default 0). */
  seed?: number;
  /** Jinja chat template (e.g. the model's `tokenizer.chat_template`). */
  chatTemplate?: string;
  /** Built-in chat template name (wins over chatTemplate). */
  chatTemplateName?: string;
  /** Wall-clock limit of one sandboxed template render, ms. */
  chatTimeoutMs?: number;
  /** Documents with more tokens than this are bad records (default: no limit). */
  maxRecordTokens?: number;
}

/** What happened to the data, for printing and for the training log. */
export interface DataSummary {
  /** Files read, in order. */
  readonly files: string[];
  /** Files per format. */
  readonly formats: Record<DataFormat, number>;
  /** Records found (text files / pieces, JSONL lines that are not blank). */
  readonly recordsRead: number;
  /** Records that gave training or held-out documents. */
  readonly recordsUsed: number;
  /** Bad records left out (recordsRead = recordsUsed + recordsSkipped). */
  readonly recordsSkipped: number;
  /** The bad records (the first 1000). */
  readonly badRecords: BadRecord[];
  /** Blank JSONL lines (not records). */
  readonly blankLines: number;
  /** Records (split units) on each side of the held-out split. */
  readonly units: { readonly train: number; readonly heldOut: number };
  readonly documents: { readonly train: number; readonly heldOut: number };
  readonly sequences: { readonly train: number; readonly heldOut: number };
  readonly targetTokens: { readonly train: number; readonly heldOut: number };
  /** Chat template used ("builtin:<name>" or "model"), when there were chat records. */
  readonly chatTemplate: string | undefined;
  /** Chat records turned into one example per assistant turn (see chat-mask.ts). */
  readonly perTurnChats: number;
}

/** Packed train and held-out rows plus the summary. */
export interface TrainingData {
  readonly train: PackedSequences;
  /** Undefined when no held-out split was asked for (or it came out empty, e.g. fraction 0). */
  readonly heldOut: PackedSequences | undefined;
  readonly summary: DataSummary;
}

/**
 * Reads, tokenizes, splits and packs the data under `paths` (files and folders, see
 * listDataFiles). Errors: FILE_NOT_FOUND / FILE_IO, DATA_NO_FILES, DATA_BAD_RECORD (policy
 * "error"), DATA_EMPTY when no record is usable, DATA_TOO_SMALL (held-out takes everything),
 * DATA_NO_SPECIAL (BOS/EOS asked for but missing), INVALID_OPTION.
 */
export async function loadTrainingData(paths: readonly string[], o: TrainingDataOptions): Promise<TrainingData> {
  const tok = o.tokenizer;
  const pack: PackOptions = {
    nCtx: o.nCtx,
    bos: tok.bos,
    eos: tok.eos,
    pad: tok.pad >= 0 ? tok.pad : tok.eos >= 0 ? tok.eos : 0,
    addBos: o.addBos ?? tok.addBos,
    addEos: o.addEos ?? tok.eos >= 0,
    chatAddEos: o.chatAddEos ?? ((o.chatPacking ?? "pack") === "pack" && tok.eos >= 0),
    chatPacking: o.chatPacking ?? "pack",
  };
  checkPackOptions(pack);
  for (const [name, v] of [["maxRecordChars", o.maxRecordChars], ["maxRecordTokens", o.maxRecordTokens], ["splitTextChars", o.splitTextChars]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw new GlassboxError("INVALID_OPTION", `${name} must be an integer >= 1, got ${v}`);
  }
  const bad = new BadRecordLog(o.onBadRecord ?? "skip");
  const files = await listDataFiles(paths);
  const formats: Record<DataFormat, number> = { text: 0, jsonl: 0, chat: 0 };
  const records: DataRecord[] = [];
  let recordsRead = 0;
  let blankLines = 0;
  for (let i = 0; i < files.length; i++) {
    const fr = await readDataFile(files[i]!, i, bad, o);
    formats[fr.format]++;
    recordsRead += fr.read;
    blankLines += fr.blankLines;
    for (const r of fr.records) records.push(r);
  }

  const seqLen = o.nCtx + 1;
  const extra = (pack.addBos ? 1 : 0) + (pack.chatAddEos ? 1 : 0);
  const tokd = await tokenizeRecords(records, tok, bad, {
    ...(o.chatTemplate !== undefined ? { chatTemplate: o.chatTemplate } : {}),
    ...(o.chatTemplateName !== undefined ? { chatTemplateName: o.chatTemplateName } : {}),
    ...(o.chatTimeoutMs !== undefined ? { chatTimeoutMs: o.chatTimeoutMs } : {}),
    ...(o.maxRecordTokens !== undefined ? { maxRecordTokens: o.maxRecordTokens } : {}),
    addBos: pack.addBos ?? false,
    ...(pack.chatPacking === "pad"
      ? { maxChatTokens: seqLen - extra, maxChatTokensReason: `do not fit in one sequence of n_ctx + 1 = ${seqLen} tokens (chat padding)` }
      : {}),
  });
  if (tokd.documents.length === 0) {
    const first = bad.list[0];
    throw new GlassboxError(
      "DATA_EMPTY",
      `no usable records in ${files.length} file(s): ${bad.count} bad` + (first ? `; first: ${first.file}:${first.line}: ${first.reason}` : ""),
    );
  }
  const split = splitHeldOut(tokd.documents, { ...o.heldOut, seed: o.heldOut?.seed ?? o.seed ?? 0 });
  const train = packDocuments(split.train, pack);
  const heldOut = o.heldOut !== undefined && split.heldOut.length > 0 ? packDocuments(split.heldOut, pack) : undefined;
  return {
    train,
    heldOut,
    summary: {
      files, formats, recordsRead, recordsUsed: tokd.used, recordsSkipped: bad.count, badRecords: bad.list, blankLines,
      units: { train: split.trainUnits, heldOut: split.heldOutUnits },
      documents: { train: split.train.length, heldOut: split.heldOut.length },
      sequences: { train: train.nSeq, heldOut: heldOut?.nSeq ?? 0 },
      targetTokens: { train: train.targetTokens, heldOut: heldOut?.targetTokens ?? 0 },
      chatTemplate: tokd.chatTemplate,
      perTurnChats: tokd.perTurnChats,
    },
  };
}

/** A few lines for people: counts, split, and the first bad records (at most `maxBad`, default 10). */
export function describeDataSummary(s: DataSummary, maxBad = 10): string {
  const lines = [
    `files: ${s.files.length} (text ${s.formats.text}, jsonl ${s.formats.jsonl}, chat ${s.formats.chat})`,
    `records: ${s.recordsRead} read, ${s.recordsUsed} used, ${s.recordsSkipped} skipped`,
    `documents: ${s.documents.train} train, ${s.documents.heldOut} held-out`,
    `sequences: ${s.sequences.train} train, ${s.sequences.heldOut} held-out`,
    `target tokens: ${s.targetTokens.train} train, ${s.targetTokens.heldOut} held-out`,
  ];
  if (s.chatTemplate !== undefined) lines.push(`chat template: ${s.chatTemplate}` + (s.perTurnChats ? ` (${s.perTurnChats} conversations split per turn)` : ""));
  for (const b of s.badRecords.slice(0, maxBad)) lines.push(`skipped ${b.file}:${b.line}: ${b.reason}`);
  if (s.recordsSkipped > maxBad) lines.push(`... and ${s.recordsSkipped - maxBad} more skipped`);
  return lines.join("\n");
}
