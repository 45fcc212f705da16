/**
 * Batches over packed rows, with a resumable cursor. Epoch e visits the rows in the order
 * epochPermutation(nSeq, seed, e) (or in stored order without shuffling), batchSize rows per
 * batch; the cursor {epoch, index} names the next batch. Each epoch's order depends only on
 * (seed, epoch), so an iterator rebuilt from a saved cursor yields exactly the batches that the
 * first one would have yielded from that point on.
 *
 * ```ts
 * const it = new BatchIterator(data.train, { batchSize: 8, seed: 1 });
 * const b = it.next();                 // b.tokens / b.targets: Int32Array [8][n_ctx]
 * checkpoint.data = it.state();        // JSON-serializable
 * const again = BatchIterator.fromState(data.train, checkpoint.data);
 * ```
 */
import { createHash } from "node:crypto";
import { GlassboxError } from "../../errors.js";
import { epochPermutation } from "./shuffle.js";
import type { PackedSequences } from "./types.js";

/** Position of the next batch: epoch (from 0) and batch index within the epoch (from 0). */
export interface BatchCursor {
  epoch: number;
  index: number;
}

/** Options of BatchIterator. */
export interface BatchIteratorOptions {
  /** Rows per batch. */
  batchSize: number;
  /** Seed of the per-epoch order (default 0). */
  seed?: number;
  /** Shuffle rows every epoch (default true); false visits them in stored order. */
  shuffle?: boolean;
  /** Drop an epoch's last, incomplete batch (default true); false yields it smaller. */
  dropLast?: boolean;
  /** Where to start (default {epoch: 0, index: 0}). */
  cursor?: BatchCursor;
}

/** Everything needed to continue the same order: save it in a checkpoint (plain JSON). */
export interface BatchIteratorState extends BatchCursor {
  seed: number;
  batchSize: number;
  shuffle: boolean;
  dropLast: boolean;
  /** Rows of the data set it was made for (checked on restore). */
  nSeq: number;
  /** n_ctx + 1 of the data (checked on restore). */
  seqLen: number;
  /** packedFingerprint of the data (checked on restore when present). */
  fingerprint?: string;
}

/**
 * sha256 (hex) of a packed data set: nSeq and seqLen (u32 LE), then tokens and labels as i32 LE.
 * Identifies the exact rows a cursor refers to. About 1 s per GB.
 */
export function packedFingerprint(p: PackedSequences): string {
  const head = new Uint8Array(8);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, p.nSeq, true);
  dv.setUint32(4, p.seqLen, true);
  return createHash("sha256").update(head)
    .update(new Uint8Array(p.tokens.buffer, p.tokens.byteOffset, p.tokens.byteLength))
    .update(new Uint8Array(p.labels.buffer, p.labels.byteOffset, p.labels.byteLength))
    .digest("hex");
}

/**
 * One batch, ready for the model: `tokens` are the inputs and `targets` the next-token targets
 * (-1 = no loss), each Int32Array row-major [batch][nCtx]; compatible with train/step.ts
 * MicroBatch.
 */
export interface Batch {
  readonly tokens: Int32Array;
  readonly targets: Int32Array;
  readonly batch: number;
  readonly nCtx: number;
  /** Which rows of the data set, in batch order. */
  readonly rows: Int32Array;
  /** Targets that are not -1 (tokens trained on). */
  readonly targetCount: number;
  /** Where this batch was: its cursor. */
  readonly epoch: number;
  readonly index: number;
}

/**
 * Copies rows `rows` of `data` into a batch: tokens[b] = row[0..nCtx), targets[b] = labels[1..nCtx].
 * Throws DATA_INDEX when a row is out of range.
 */
export function gatherBatch(data: PackedSequences, rows: Int32Array, epoch = 0, index = 0): Batch {
  const L = data.seqLen;
  const nCtx = L - 1;
  const B = rows.length;
  const tokens = new Int32Array(B * nCtx);
  const targets = new Int32Array(B * nCtx);
  let targetCount = 0;
  for (let b = 0; b < B; b++) {
    const r = rows[b]!;
    if (r < 0 || r >= data.nSeq) throw new GlassboxError("DATA_INDEX", `row ${r} is out of range [0, ${data.nSeq})`);
    tokens.set(data.tokens.subarray(r * L, r * L + nCtx), b * nCtx);
    const lab = data.labels.subarray(r * L + 1, r * L + L);
    targets.set(lab, b * nCtx);
    for (let j = 0; j < nCtx; j++) if (lab[j]! >= 0) targetCount++;
  }
  return { tokens, targets, batch: B, nCtx, rows, targetCount, epoch, index };
}

function checkInt(name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new GlassboxError("INVALID_OPTION", `${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

/** An endless sequence of batches over epochs, resumable from a cursor. */
export class BatchIterator implements Iterable<Batch> {
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  private epoch = 0;
  private index = 0;
  private order: Int32Array | undefined;
  private orderEpoch = -1;
  private fp: string | undefined;

  /**
   * Errors: INVALID_OPTION for a bad batch size, seed or cursor; DATA_TOO_SMALL when the data
   * has no rows, or fewer rows than one batch with dropLast.
   */
  constructor(readonly data: PackedSequences, o: BatchIteratorOptions) {
    this.batchSize = checkInt("batchSize", o.batchSize, 1);
    this.seed = checkInt("seed", o.seed ?? 0, 0);
    this.shuffle = o.shuffle ?? true;
    this.dropLast = o.dropLast ?? true;
    this.batchesPerEpoch = this.dropLast ? Math.floor(data.nSeq / this.batchSize) : Math.ceil(data.nSeq / this.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new GlassboxError("DATA_TOO_SMALL", `${data.nSeq} sequences do not make one batch of ${this.batchSize}`);
    }
    this.seek(o.cursor ?? { epoch: 0, index: 0 });
  }

  /**
   * Rebuilds an iterator from a saved state. Throws DATA_CURSOR_MISMATCH when the data set is
   * not the one the state was made for (row count, row length or fingerprint differ).
   */
  static fromState(data: PackedSequences, s: BatchIteratorState): BatchIterator {
    if (s.nSeq !== data.nSeq || s.seqLen !== data.seqLen) {
      throw new GlassboxError(
        "DATA_CURSOR_MISMATCH",
        `the saved data cursor is for ${s.nSeq} rows of ${s.seqLen} tokens, this data has ${data.nSeq} rows of ${data.seqLen}`,
      );
    }
    const it = new BatchIterator(data, {
      batchSize: s.batchSize, seed: s.seed, shuffle: s.shuffle, dropLast: s.dropLast, cursor: { epoch: s.epoch, index: s.index },
    });
    if (s.fingerprint !== undefined && s.fingerprint !== it.fingerprint()) {
      throw new GlassboxError("DATA_CURSOR_MISMATCH", "the saved data cursor is for different data (same shape, other tokens)");
    }
    return it;
  }

  /** packedFingerprint of the data, computed once. */
  fingerprint(): string {
    this.fp ??= packedFingerprint(this.data);
    return this.fp;
  }

  /** The cursor of the next batch. */
  get cursor(): BatchCursor {
    return { epoch: this.epoch, index: this.index };
  }

  /** The state to save: cursor of the next batch, what fixes the order, and the data's fingerprint. */
  state(): BatchIteratorState {
    return {
      epoch: this.epoch, index: this.index, seed: this.seed, batchSize: this.batchSize,
      shuffle: this.shuffle, dropLast: this.dropLast, nSeq: this.data.nSeq, seqLen: this.data.seqLen,
      fingerprint: this.fingerprint(),
    };
  }

  /**
   * Moves to `cursor` (index may equal batchesPerEpoch: that is the next epoch's start).
   * Throws INVALID_OPTION for negative or non-integer values or an index past the epoch.
   */
  seek(cursor: BatchCursor): void {
    const epoch = checkInt("cursor.epoch", cursor.epoch, 0);
    const index = checkInt("cursor.index", cursor.index, 0);
    if (index > this.batchesPerEpoch) {
      throw new GlassboxError("INVALID_OPTION", `cursor.index ${index} is past the ${this.batchesPerEpoch} batches of an epoch`);
    }
    this.epoch = index === this.batchesPerEpoch ? epoch + 1 : epoch;
    this.index = index === this.batchesPerEpoch ? 0 : index;
  }

  /** The row order of `epoch` (Int32Array of nSeq; a fresh copy). */
  epochOrder(epoch: number): Int32Array {
    return this.orderOf(epoch).slice();
  }

  private orderOf(epoch: number): Int32Array {
    if (this.orderEpoch !== epoch || !this.order) {
      if (this.shuffle) this.order = epochPermutation(this.data.nSeq, this.seed, epoch);
      else {
        this.order = new Int32Array(this.data.nSeq);
        for (let i = 0; i < this.order.length; i++) this.order[i] = i;
      }
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /** The batch at the cursor; advances the cursor (into the next epoch after the last batch). */
  next(): Batch {
    const order = this.orderOf(this.epoch);
    const start = this.index * this.batchSize;
    const rows = order.slice(start, Math.min(start + this.batchSize, order.length));
    const b = gatherBatch(this.data, rows, this.epoch, this.index);
    this.index++;
    if (this.index === this.batchesPerEpoch) { this.epoch++; this.index = 0; }
    return b;
  }

  /** Endless: yields next() forever (break out of the loop). */
  *[Symbol.iterator](): Iterator<Batch> {
    for (;;) yield this.next();
  }
}

/**
 * All rows once, in stored order, `batchSize` at a time (the last batch may be smaller): for
 * held-out evaluation. Throws INVALID_OPTION for a bad batch size.
 */
export function* sequentialBatches(data: PackedSequences, batchSize: number): Generator<Batch> {
  checkInt("batchSize", batchSize, 1);
  for (let start = 0, index = 0; start < data.nSeq; start += batchSize, index++) {
    const rows = new Int32Array(Math.min(batchSize, data.nSeq - start));
    for (let i = 0; i < rows.length; i++) rows[i] = start + i;
    yield gatherBatch(data, rows, 0, index);
  }
}
