/**
 * The whole tokenizer-training job behind `glassbox tokenizer train`: read text files, hold out
 * the end of the corpus, count words, train byte-level BPE (train.ts), measure bytes per token on
 * the held-out text, write a vocabulary-only GGUF (train-gguf.ts).
 */
import { stat } from "node:fs/promises";
import { GlassboxError } from "../errors.js";
import { checkOutputPath } from "../util/output-path.js";
import { BpeWordCounter, DEFAULT_SPECIAL_TOKEN, trainBpeFromCounts, type TrainedBpe } from "./train.js";
import { ByteLevelBpeEncoder } from "./train-encode.js";
import { readTextFile } from "./text-input.js";
import { writeTrainedBpeGguf, type BpeGgufOptions } from "./train-gguf.js";

/** Options of {@link trainTokenizerFiles}. */
export interface TrainFilesOptions extends BpeGgufOptions {
  /** Target vocabulary size (special tokens and the 256 bytes included). */
  vocabSize: number;
  /** Output GGUF path; nothing is written when undefined. */
  out?: string;
  /** Special tokens after "<|endoftext|>" (which is always first: BOS and EOS). */
  extraSpecialTokens?: readonly string[];
  /** Fraction of the corpus, taken from its end, kept out of training to measure bytes/token (default 0.05; 0 = none). */
  holdOut?: number;
  /** Pairs seen fewer times are not merged (default 2). */
  minFrequency?: number;
  /** Progress: phase "count" in UTF-16 code units of training text, "merge" in tokens of vocabulary. */
  onProgress?: (phase: "count" | "merge", done: number, total: number) => void;
}

/** What a training run did. Times in seconds, sizes in bytes (UTF-8). */
export interface TrainFilesSummary {
  files: string[];
  out: string | null;
  vocabSize: number;
  requestedVocabSize: number;
  merges: number;
  stoppedBecause: TrainedBpe["stoppedBecause"];
  specialTokens: string[];
  trainBytes: number;
  heldOutBytes: number;
  words: number;
  uniqueWords: number;
  countSeconds: number;
  mergeSeconds: number;
  /** trainBytes / (countSeconds + mergeSeconds) / 1e6. */
  trainMBPerSecond: number;
  /** Tokens of the held-out text (no BOS/EOS), or null without a held-out part. */
  heldOutTokens: number | null;
  /** heldOutBytes / heldOutTokens, or null. */
  heldOutBytesPerToken: number | null;
  outBytes: number | null;
}

/** Characters that may count as whitespace for the pre-tokenizer (a superset of llama.cpp's set). */
const MAYBE_SPACE = /[\s\u0085]/u;

/**
 * True when `text` may be cut before index `c`: text[c-1] is a "\n" with non-space characters on
 * both sides. GPT-2's pre-tokenizer makes that "\n" a word of its own, so the words on either side
 * are the same whether the text is cut there or not.
 */
function isCutPoint(text: string, c: number): boolean {
  return c >= 2 && c < text.length && text.charCodeAt(c - 1) === 10 &&
    !MAYBE_SPACE.test(text[c - 2]!) && !MAYBE_SPACE.test(text[c]!);
}

/**
 * Splits `text` into pieces of about `target` UTF-16 units, cut only at isCutPoint positions, so
 * counting the pieces one by one gives the same words as counting the whole text.
 */
export function* chunkAtLineStarts(text: string, target: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let cut = Math.min(text.length, start + target);
    while (cut < text.length && !isCutPoint(text, cut)) cut++;
    yield text.slice(start, cut);
    start = cut;
  }
}

/**
 * The first index >= `from` in `text` where a line starts (after "\n", at a non-space character),
 * else where a word starts (after any whitespace), else text.length. Hold-out cuts need no more
 * than a clean boundary; a paragraph-per-line file (blank lines between) has no isCutPoint at all.
 */
function holdOutCut(text: string, from: number): number {
  const space = (i: number) => MAYBE_SPACE.test(text[i]!);
  for (let c = Math.max(1, from); c < text.length; c++) if (text.charCodeAt(c - 1) === 10 && !space(c)) return c;
  for (let c = Math.max(1, from); c < text.length; c++) if (space(c - 1) && !space(c)) return c;
  return text.length;
}

/**
 * Cuts the corpus (files in order) at `1 - holdOut` of its length, moved forward to the next line
 * start, or word start when the rest of that file has no line start (see holdOutCut; to the file's
 * end if there is neither). Returns the training texts and the held-out text.
 */
export function splitHoldOut(texts: readonly string[], holdOut: number): { train: string[]; heldOut: string } {
  const total = texts.reduce((n, t) => n + t.length, 0);
  if (holdOut <= 0 || total === 0) return { train: [...texts], heldOut: "" };
  let cut = Math.floor(total * (1 - holdOut));
  const train: string[] = [];
  const held: string[] = [];
  for (const t of texts) {
    if (cut >= t.length) {
      train.push(t);
      cut -= t.length;
      continue;
    }
    if (cut < 0) {
      held.push(t);
      continue;
    }
    const c = cut === 0 ? 0 : holdOutCut(t, cut);
    train.push(t.slice(0, c));
    held.push(t.slice(c));
    cut = -1;
  }
  return { train: train.filter((t) => t.length > 0), heldOut: held.join("") };
}

/**
 * Trains a byte-level BPE tokenizer on text `files` (UTF-8) and, with `out`, writes it as a
 * vocabulary-only GGUF. Errors: TOKENIZER_TRAIN_NO_INPUT (no files / no text), FILE_NOT_FOUND,
 * FILE_IO, TEXT_NOT_UTF8 (a file that is not UTF-8, e.g. a binary file), OUTPUT_IS_INPUT (`out`
 * is one of `files`; checked, like a directory or device at `out`, before any training),
 * plus those of trainBpeFromCounts and writeGgufFile.
 */
export async function trainTokenizerFiles(files: readonly string[], options: TrainFilesOptions): Promise<TrainFilesSummary> {
  if (files.length === 0) throw new GlassboxError("TOKENIZER_TRAIN_NO_INPUT", "no training files given");
  // Before training, which can take hours: the output must be writable and must not be a training file.
  if (options.out !== undefined) checkOutputPath(options.out, files);
  const texts: string[] = [];
  for (const f of files) texts.push(await readTextFile(f));
  const { train, heldOut } = splitHoldOut(texts, options.holdOut ?? 0.05);
  const trainChars = train.reduce((n, t) => n + t.length, 0);
  if (trainChars === 0) throw new GlassboxError("TOKENIZER_TRAIN_NO_INPUT", "the training files hold no text");

  const specials = [DEFAULT_SPECIAL_TOKEN, ...(options.extraSpecialTokens ?? []).filter((s) => s !== DEFAULT_SPECIAL_TOKEN)];
  const counter = new BpeWordCounter(specials);
  const t0 = performance.now();
  let done = 0;
  for (const t of train) {
    for (const chunk of chunkAtLineStarts(t, 1 << 20)) {
      counter.addText(chunk);
      done += chunk.length;
      options.onProgress?.("count", done, trainChars);
    }
  }
  const t1 = performance.now();
  const model = trainBpeFromCounts(counter, specials, {
    vocabSize: options.vocabSize,
    minFrequency: options.minFrequency,
    onProgress: (p) => options.onProgress?.("merge", p.vocab, p.vocabSize),
  });
  const t2 = performance.now();

  const enc = new TextEncoder();
  const trainBytes = train.reduce((n, t) => n + enc.encode(t).length, 0);
  const heldOutBytes = enc.encode(heldOut).length;
  let heldOutTokens: number | null = null;
  if (heldOut.length > 0) heldOutTokens = new ByteLevelBpeEncoder(model.tokens, model.merges).encode(heldOut).length;

  let outBytes: number | null = null;
  if (options.out !== undefined) {
    await writeTrainedBpeGguf(options.out, model, options);
    outBytes = (await stat(options.out)).size;
  }
  const countSeconds = (t1 - t0) / 1000, mergeSeconds = (t2 - t1) / 1000;
  return {
    files: [...files], out: options.out ?? null,
    vocabSize: model.tokens.length, requestedVocabSize: options.vocabSize, merges: model.merges.length,
    stoppedBecause: model.stoppedBecause, specialTokens: model.specialTokens,
    trainBytes, heldOutBytes, words: counter.totalWords, uniqueWords: counter.counts.size,
    countSeconds, mergeSeconds, trainMBPerSecond: trainBytes / 1e6 / Math.max(1e-9, countSeconds + mergeSeconds),
    heldOutTokens, heldOutBytesPerToken: heldOutTokens ? heldOutBytes / heldOutTokens : null, outBytes,
  };
}
