/**
 * Held-out evaluation: mean cross-entropy and bits per byte over packed rows.
 *
 *   loss          = Σ −ln p(target) / (targets counted)                 nats per token
 *   bits_per_byte = Σ −log2 p(target) / (UTF-8 bytes those targets spell)
 *
 * (the definition in shared/CLARIFICATIONS.md). With packing (data/pack.ts) every held-out token
 * after the first is a target exactly once, so over all rows the bytes are those of the held-out
 * text (PackedSequences.bytes); control tokens (BOS/EOS) spell no bytes but their −log2 p counts.
 */
import { GlassboxError } from "../errors.js";
import { Tape } from "../tensor/tape.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { gatherBatch } from "./data/batches.js";
import type { PackedSequences } from "./data/types.js";
import type { TrainableModel } from "./trainable.js";

/** What evaluateHeldOut measured. */
export type HeldOutEval = {
  /** Mean loss, nats per target token. */
  loss: number;
  /** Σ −log2 p / bytes. */
  bits_per_byte: number;
  /** Targets evaluated. */
  tokens: number;
  /** UTF-8 bytes those targets spell. */
  bytes: number;
  /** Rows evaluated. */
  sequences: number;
};

/** Options of evaluateHeldOut. */
export interface HeldOutEvalOptions {
  /** Rows per forward pass (default 8). */
  batchSize?: number;
  /** Evaluate only this many rows, spread evenly over the data (row ⌊i·nSeq/max⌋) (default all, in order). */
  maxSequences?: number;
  /** UTF-8 bytes of each token id (tokenBytesTable); needed to count bytes of a subset exactly. */
  tokenBytes?: Int32Array;
  /** Reused no-gradient tape (default: a new one on the model's kernels). */
  tape?: Tape;
}

/** bytes[id] = UTF-8 bytes that token id decodes to (0 for control tokens), for byte-level vocabularies. */
export function tokenBytesTable(tok: Tokenizer): Int32Array {
  const t = new Int32Array(tok.vocabSize);
  for (let id = 0; id < t.length; id++) t[id] = tok.decodeBytes([id]).length;
  return t;
}

/**
 * Evaluates `model` (a LlamaTrainable or a LoraLlama) on the rows of `data` (all, or an evenly spread subset), without gradients. Bytes: with all
 * rows and no `tokenBytes`, data.bytes; otherwise Σ tokenBytes[target] (throws TRAIN_BAD_INPUT
 * when a subset is asked for without tokenBytes).
 */
export function evaluateHeldOut(model: TrainableModel, data: PackedSequences, o: HeldOutEvalOptions = {}): HeldOutEval {
  const batch = o.batchSize ?? 8;
  const limit = Math.min(o.maxSequences ?? data.nSeq, data.nSeq);
  if (limit < data.nSeq && !o.tokenBytes) throw new GlassboxError("TRAIN_BAD_INPUT", "evaluating a subset of rows needs the tokenBytes table to count bytes");
  const tape = o.tape ?? new Tape(model.kernels);
  const wasGrad = tape.gradEnabled;
  tape.gradEnabled = false;
  // all rows in order, or `limit` rows spread evenly over the data (a representative subset)
  const pick = new Int32Array(limit);
  for (let i = 0; i < limit; i++) pick[i] = limit === data.nSeq ? i : Math.floor((i * data.nSeq) / limit);
  let nats = 0, tokens = 0, bytes = 0;
  try {
    for (let start = 0; start < limit; start += batch) {
      const b = gatherBatch(data, pick.subarray(start, Math.min(start + batch, limit)));
      let count = 0;
      for (let i = 0; i < b.targets.length; i++) {
        const t = b.targets[i]!;
        if (t < 0) continue;
        count++;
        if (o.tokenBytes) bytes += o.tokenBytes[t]!;
      }
      if (count > 0) {
        const { loss } = model.forward(tape, b.tokens, { batch: b.batch, targets: b.targets });
        nats += loss!.item() * count;
        tokens += count;
      }
      tape.reset();
    }
  } finally {
    tape.gradEnabled = wasGrad;
  }
  if (!o.tokenBytes) bytes = data.bytes;
  return { loss: tokens ? nats / tokens : Number.NaN, bits_per_byte: bytes ? nats / Math.LN2 / bytes : Number.NaN, tokens, bytes, sequences: limit };
}

/**
 * The held-out text that bits_per_byte divides by, as UTF-8 bytes: the tokens of every target
 * (positions 1..n_ctx of each row; rows overlap by one token, so this is the packed stream
 * without its very first token), padding (label −1) left out, decoded with `tok` (control tokens
 * spell nothing). For a byte-level BPE vocabulary its length equals evaluateHeldOut's `bytes`
 * over all rows, so `gzip -9` / `xz -9e` can be measured on exactly the same text.
 */
export function heldOutText(data: PackedSequences, tok: Tokenizer): Uint8Array {
  const L = data.seqLen;
  const ids = new Int32Array(data.nSeq * L);
  let n = 0;
  for (let r = 0; r < data.nSeq; r++) {
    for (let j = 1; j < L; j++) {
      if (data.labels[r * L + j]! < 0) continue; // padding (text documents have no other -1 labels)
      ids[n++] = data.tokens[r * L + j]!;
    }
  }
  return tok.decodeBytes(ids.subarray(0, n));
}
