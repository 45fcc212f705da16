/**
 * Packing into rows of n_ctx + 1 (shapes, stride-n_ctx overlap, BOS/EOS placement, joined text
 * pieces), seeded shuffling (a permutation, same seed same order, no modulo bias), the held-out
 * split (deterministic, by document, independent of file order, duplicates on one side) and the
 * batch cursor (resuming at batch k yields exactly the batches from k on).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { isGlassboxError } from "../../src/errors.js";
import { Xoshiro128 } from "../../src/generate/rng.js";
import { BatchIterator, gatherBatch, sequentialBatches, type Batch, type BatchIteratorState } from "../../src/train/data/batches.js";
import { loadTrainingData } from "../../src/train/data/dataset.js";
import { packDocuments, type PackOptions } from "../../src/train/data/pack.js";
import { epochPermutation, shuffleInPlace, uniformInt } from "../../src/train/data/shuffle.js";
import { splitHeldOut } from "../../src/train/data/split.js";
import type { PackedSequences, TokenizedDocument } from "../../src/train/data/types.js";
import { tempDataDir, tinyTokenizer } from "./data-fixtures.js";

function textDoc(ids: number[], unit: number, extra: Partial<TokenizedDocument> = {}): TokenizedDocument {
  return {
    kind: "text", ids: Int32Array.from(ids), labels: undefined, file: "f", line: 1, fileIndex: unit, part: -1,
    unit, bytes: ids.length, ...extra,
  };
}

const BOS = 1;
const EOS = 2;
const PAD = 0;
const opts = (nCtx: number, more: Partial<PackOptions> = {}): PackOptions => ({ nCtx, bos: BOS, eos: EOS, pad: PAD, addBos: true, addEos: true, ...more });

function row(p: PackedSequences, r: number, what: "tokens" | "labels" = "tokens"): number[] {
  return Array.from(p[what].subarray(r * p.seqLen, (r + 1) * p.seqLen));
}

test("packing: rows of n_ctx + 1 with stride n_ctx, documents as BOS ids EOS, last row padded", () => {
  const docs = [textDoc([10, 11, 12], 0), textDoc([20, 21, 22, 23, 24], 1), textDoc([30], 2)];
  const p = packDocuments(docs, opts(4));
  // Stream: 1 10 11 12 2 | 1 20 21 22 23 24 2 | 1 30 2 -> 15 tokens, 14 targets -> ceil(14 / 4) = 4 rows.
  const stream = [1, 10, 11, 12, 2, 1, 20, 21, 22, 23, 24, 2, 1, 30, 2];
  assert.equal(p.seqLen, 5);
  assert.equal(p.nSeq, Math.ceil((stream.length - 1) / 4));
  assert.ok(p.tokens instanceof Int32Array && p.labels instanceof Int32Array);
  assert.equal(p.tokens.length, p.nSeq * p.seqLen);
  assert.deepEqual(row(p, 0), [1, 10, 11, 12, 2]);
  assert.deepEqual(row(p, 1), [2, 1, 20, 21, 22]);
  assert.deepEqual(row(p, 2), [22, 23, 24, 2, 1]);
  assert.deepEqual(row(p, 3), [1, 30, 2, PAD, PAD]);
  assert.deepEqual(row(p, 3, "labels"), [1, 30, 2, -1, -1]);
  for (let r = 0; r + 1 < p.nSeq; r++) assert.equal(row(p, r)[4], row(p, r + 1)[0], "consecutive rows share one token");
  assert.equal(p.targetTokens, stream.length - 1, "every token after the first is a target exactly once");
  assert.equal(p.paddingTokens, 2);
  assert.equal(p.documents, 3);
  assert.equal(p.bytes, 9);

  // Batches: inputs are row[0..n_ctx), targets are labels[1..n_ctx].
  const b = gatherBatch(p, Int32Array.from([3, 0]));
  assert.deepEqual(Array.from(b.tokens), [1, 30, 2, PAD, 1, 10, 11, 12]);
  assert.deepEqual(Array.from(b.targets), [30, 2, -1, -1, 10, 11, 12, 2]);
  assert.equal(b.targetCount, 6);
  assert.throws(() => gatherBatch(p, Int32Array.from([4])), (e) => isGlassboxError(e, "DATA_INDEX"));

  // Without BOS: documents separated by EOS only.
  const q = packDocuments(docs, opts(8, { addBos: false }));
  assert.deepEqual(row(q, 0), [10, 11, 12, 2, 20, 21, 22, 23, 24]);
  assert.throws(() => packDocuments(docs, opts(4, { bos: -1 })), (e) => isGlassboxError(e, "DATA_NO_SPECIAL"));
  assert.throws(() => packDocuments(docs, opts(0)), (e) => isGlassboxError(e, "INVALID_OPTION"));
});

test("packing: pieces of one text file are joined without EOS/BOS; chat labels and separators", () => {
  const piece = (ids: number[], part: number, unit: number): TokenizedDocument => textDoc(ids, unit, { fileIndex: 7, part });
  const p = packDocuments([piece([10, 11], 0, 0), piece([12, 13], 1, 1), piece([15], 3, 2)], opts(16));
  // Parts 0 and 1 are adjacent: one document; part 3 follows a gap (part 2 held out): a new one.
  assert.deepEqual(row(p, 0).slice(0, 10), [1, 10, 11, 12, 13, 2, 1, 15, 2, PAD]);

  const chat: TokenizedDocument = {
    kind: "chat", ids: Int32Array.from([50, 51, 52, 53]), labels: Int32Array.from([-1, -1, 52, 53]),
    file: "c", line: 1, fileIndex: 9, part: -1, unit: 3, bytes: 2,
  };
  const c = packDocuments([chat, textDoc([60], 4)], opts(16, { chatAddEos: true }));
  assert.deepEqual(row(c, 0).slice(0, 9), [1, 50, 51, 52, 53, 2, 1, 60, 2]);
  assert.deepEqual(row(c, 0, "labels").slice(0, 9), [-1, -1, -1, 52, 53, -1, 1, 60, 2], "BOS/EOS around chat are not targets");
  const padded = packDocuments([textDoc([60], 4), chat], opts(6, { chatPacking: "pad" }));
  assert.equal(padded.nSeq, 2);
  assert.deepEqual(row(padded, 1), [1, 50, 51, 52, 53, PAD, PAD]);
  assert.throws(() => packDocuments([chat], opts(3, { chatPacking: "pad" })), (e) => isGlassboxError(e, "DATA_TOO_LONG"));
  // A row without any target is dropped.
  const promptOnly = { ...chat, labels: Int32Array.from([-1, -1, -1, -1]) };
  assert.equal(packDocuments([promptOnly], opts(6, { chatPacking: "pad" })).nSeq, 0);
  // In the stream too: only the row holding the two answer tokens is kept.
  const longChat: TokenizedDocument = {
    ...chat, ids: Int32Array.from({ length: 10 }, (_, i) => 70 + i),
    labels: Int32Array.from({ length: 10 }, (_, i) => (i >= 8 ? 70 + i : -1)),
  };
  const kept = packDocuments([longChat], opts(3, { addBos: false, addEos: false }));
  assert.equal(kept.nSeq, 1);
  assert.deepEqual(row(kept, 0), [76, 77, 78, 79]);
  assert.deepEqual(row(kept, 0, "labels"), [-1, -1, 78, 79]);
  assert.equal(kept.targetTokens, 2);
});

test("shuffling: Fisher-Yates permutations, same seed same order, uniform draws without bias", () => {
  const a = epochPermutation(1000, 42, 0);
  assert.deepEqual(Array.from(a).sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(epochPermutation(1000, 42, 0), a);
  assert.notDeepEqual(epochPermutation(1000, 43, 0), a);
  assert.notDeepEqual(epochPermutation(1000, 42, 1), a);
  // Regression: the order is part of the checkpoint format; it must never change silently.
  assert.deepEqual(Array.from(epochPermutation(10, 1, 0)), REGRESSION_ORDER);
  // Each position equally likely: 3! = 6 orders of 3 items, 60000 shuffles.
  const counts = new Map<string, number>();
  const rng = new Xoshiro128(7);
  for (let i = 0; i < 60000; i++) {
    const k = shuffleInPlace([0, 1, 2], rng).join("");
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  for (const [k, c] of counts) assert.ok(Math.abs(c - 10000) < 500, `${k}: ${c}`);
  // A bound just above 2^31 would be biased by a plain modulo (2/3 of draws below 2^31).
  let low = 0;
  const n = 2 ** 31 + 2 ** 30;
  for (let i = 0; i < 20000; i++) if (uniformInt(rng, n) < 2 ** 31) low++;
  assert.ok(Math.abs(low / 20000 - 2 / 3) < 0.02, `${low}`);
  assert.throws(() => epochPermutation(3, -1, 0), (e) => isGlassboxError(e, "INVALID_OPTION"));
});
const REGRESSION_ORDER = [0, 1, 6, 8, 4, 3, 7, 2, 9, 5];

test("held-out split: deterministic by seed, by document, independent of order, duplicates together", () => {
  const docs = Array.from({ length: 100 }, (_, i) => textDoc([i, i + 1, i + 2], i));
  docs.push(textDoc([5, 6, 7], 100)); // same content as unit 5
  const s1 = splitHeldOut(docs, { fraction: 0.1, seed: 3 });
  const s2 = splitHeldOut(docs, { fraction: 0.1, seed: 3 });
  assert.deepEqual(s1.heldOut.map((d) => d.unit), s2.heldOut.map((d) => d.unit));
  assert.equal(s1.heldOutUnits, 10);
  assert.equal(s1.trainUnits, 91);
  assert.equal(s1.train.length + s1.heldOut.length, docs.length);
  const units = (ds: TokenizedDocument[]): number[] => ds.map((d) => d.unit);
  assert.deepEqual(units(s1.train), [...units(s1.train)].sort((x, y) => x - y), "original order kept");
  const other = splitHeldOut(docs, { fraction: 0.1, seed: 4 });
  assert.notDeepEqual(units(other.heldOut), units(s1.heldOut));
  // Reversed input order: the same documents are held out.
  const rev = splitHeldOut([...docs].reverse(), { fraction: 0.1, seed: 3 });
  const key = (ds: TokenizedDocument[]): string[] => ds.map((d) => Array.from(d.ids).join(",")).sort();
  assert.deepEqual(key(rev.heldOut), key(s1.heldOut));
  // Duplicates land on the same side, for any seed.
  for (let seed = 0; seed < 40; seed++) {
    const s = splitHeldOut(docs, { count: 30, seed });
    const held = new Set(units(s.heldOut));
    assert.equal(held.has(5), held.has(100), `seed ${seed}`);
  }
  assert.equal(splitHeldOut(docs, { count: 7 }).heldOut.length >= 7, true);
  assert.equal(splitHeldOut(docs, { fraction: 0.001 }).heldOutUnits, 1, "a positive fraction holds out at least one");
  assert.equal(splitHeldOut(docs, {}).heldOut.length, 0);
  assert.throws(() => splitHeldOut(docs, { count: 101 }), (e) => isGlassboxError(e, "DATA_TOO_SMALL"));
  assert.throws(() => splitHeldOut(docs, { fraction: 1 }), (e) => isGlassboxError(e, "INVALID_OPTION"));
  assert.throws(() => splitHeldOut(docs, { fraction: 0.1, count: 2 }), (e) => isGlassboxError(e, "INVALID_OPTION"));
  // Several documents of one unit (a conversation split per turn) stay together.
  const multi = [textDoc([1], 0), textDoc([2], 0), textDoc([3], 1), textDoc([4], 1), textDoc([5], 2)];
  for (let seed = 0; seed < 20; seed++) {
    const s = splitHeldOut(multi, { count: 1, seed });
    assert.ok(s.heldOut.length >= 1 && s.heldOut.every((d) => d.unit === s.heldOut[0]!.unit));
  }
});

function packedRows(n: number, seqLen = 3): PackedSequences {
  const tokens = new Int32Array(n * seqLen);
  for (let i = 0; i < tokens.length; i++) tokens[i] = i;
  return { nSeq: n, seqLen, tokens, labels: tokens.slice(), documents: n, targetTokens: n * (seqLen - 1), paddingTokens: 0, bytes: 0 };
}

function sameBatch(a: Batch, b: Batch, what: string): void {
  assert.deepEqual([a.epoch, a.index], [b.epoch, b.index], what);
  assert.deepEqual(a.rows, b.rows, what);
  assert.deepEqual(a.tokens, b.tokens, what);
  assert.deepEqual(a.targets, b.targets, what);
}

test("batch cursor: resuming from the state saved before batch k yields exactly batches k, k+1, ...", () => {
  const data = packedRows(23);
  const it = new BatchIterator(data, { batchSize: 4, seed: 9 });
  assert.equal(it.batchesPerEpoch, 5);
  const states: BatchIteratorState[] = [];
  const batches: Batch[] = [];
  for (let k = 0; k < 17; k++) {
    states.push(JSON.parse(JSON.stringify(it.state())) as BatchIteratorState);
    batches.push(it.next());
  }
  // Each epoch visits distinct rows; epochs differ in order.
  const epoch0 = batches.slice(0, 5).flatMap((b) => Array.from(b.rows));
  assert.equal(new Set(epoch0).size, 20);
  assert.notDeepEqual(batches.slice(5, 10).flatMap((b) => Array.from(b.rows)), epoch0);
  assert.deepEqual([batches[5]!.epoch, batches[5]!.index], [1, 0]);
  for (const k of [0, 1, 4, 5, 6, 12, 16]) {
    const resumed = BatchIterator.fromState(data, states[k]!);
    for (let j = k; j < 17; j++) sameBatch(resumed.next(), batches[j]!, `resume at ${k}, batch ${j}`);
  }
  // The same seed gives the same order from scratch; another seed does not.
  const again = new BatchIterator(data, { batchSize: 4, seed: 9 });
  for (const b of batches) sameBatch(again.next(), b, "fresh");
  assert.notDeepEqual(new BatchIterator(data, { batchSize: 4, seed: 10 }).next().rows, batches[0]!.rows);
  // Cursor at the end of an epoch is the start of the next.
  const atEnd = new BatchIterator(data, { batchSize: 4, seed: 9, cursor: { epoch: 0, index: 5 } });
  assert.deepEqual(atEnd.cursor, { epoch: 1, index: 0 });
  assert.throws(() => BatchIterator.fromState(packedRows(24), states[3]!), (e) => isGlassboxError(e, "DATA_CURSOR_MISMATCH"));
  const changed = packedRows(23);
  changed.tokens[7] = 99;
  assert.throws(() => BatchIterator.fromState(changed, states[3]!), (e) => isGlassboxError(e, "DATA_CURSOR_MISMATCH") && /other tokens/.test(e.message));
  assert.match(states[3]!.fingerprint!, /^[0-9a-f]{64}$/);
  assert.throws(() => new BatchIterator(data, { batchSize: 4, cursor: { epoch: 0, index: 6 } }), (e) => isGlassboxError(e, "INVALID_OPTION"));
  assert.throws(() => new BatchIterator(data, { batchSize: 24 }), (e) => isGlassboxError(e, "DATA_TOO_SMALL"));
});

test("batches: no shuffle visits rows in order; dropLast false keeps the short batch; sequential covers all once", () => {
  const data = packedRows(10);
  const it = new BatchIterator(data, { batchSize: 4, shuffle: false, dropLast: false });
  assert.equal(it.batchesPerEpoch, 3);
  assert.deepEqual([...Array(4)].map(() => Array.from(it.next().rows)), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3]]);
  const seq = [...sequentialBatches(data, 3)];
  assert.deepEqual(seq.map((b) => b.batch), [3, 3, 3, 1]);
  assert.deepEqual(seq.flatMap((b) => Array.from(b.rows)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("end to end: same files and seed give identical train and held-out rows; fraction and count agree", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[`doc${String(i).padStart(2, "0")}.txt`] = `Document ${i}: the whale swam ${i} times in the sea.`;
  const dir = tempDataDir(files);
  const o = { tokenizer: tinyTokenizer(), nCtx: 16, heldOut: { count: 4 }, seed: 5 };
  const a = await loadTrainingData([dir], o);
  const b = await loadTrainingData([dir], o);
  assert.deepEqual(a.train.tokens, b.train.tokens);
  assert.deepEqual(a.heldOut!.tokens, b.heldOut!.tokens);
  assert.equal(a.summary.documents.heldOut, 4);
  assert.equal(a.summary.documents.train, 36);
  assert.equal(a.train.targetTokens + a.heldOut!.targetTokens, a.summary.targetTokens.train + a.summary.targetTokens.heldOut);
  // The token stream of packed rows: consecutive rows share one token.
  const stream = (p: PackedSequences): Int32Array => {
    const parts = [p.tokens.subarray(0, p.seqLen)];
    for (let r = 1; r < p.nSeq; r++) parts.push(p.tokens.subarray(r * p.seqLen + 1, (r + 1) * p.seqLen));
    return Int32Array.from(parts.flatMap((x) => Array.from(x)));
  };
  const heldText = (d: typeof a): string => o.tokenizer.decode(stream(d.heldOut!).filter((t) => t !== o.tokenizer.eos));
  // A 10% fraction of 40 documents is also 4.
  const f = await loadTrainingData([dir], { ...o, heldOut: { fraction: 0.1 } });
  assert.equal(heldText(f), heldText(a));
  assert.match(heldText(a), /^(Document \d+: the whale swam \d+ times in the sea\.){4}$/);
  // A folder read via a different path form gives the same data.
  const c = await loadTrainingData([join(dir, ".")], o);
  assert.deepEqual(c.train.tokens, a.train.tokens);
});
