/**
 * The JSON-lines training log: append + read back round trip (NaN as null), a torn last line
 * after a crash, resuming at a step (later entries removed, new ones appended after), bad lines
 * named by line number.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isGlassboxError } from "../../src/errors.js";
import { readTrainLog, TrainLog, type TrainLogEntry } from "../../src/train/log.js";
import { tempDir } from "./data-fixtures.js";

const dir = (): string => tempDir();

function stepEntry(step: number, loss: number): TrainLogEntry {
  return { kind: "train", step, loss, lr: 1e-3 * step, tokens: 512 * step, tokens_per_second: 1000 + step, elapsed: step * 0.5, grad_norm: 1.5 };
}

test("entries are appended as JSON lines and read back equal", () => {
  const path = join(dir(), "log.jsonl");
  const log = TrainLog.open(path);
  const written: TrainLogEntry[] = [];
  for (let s = 1; s <= 5; s++) {
    const e = stepEntry(s, 5 / s);
    log.append(e);
    written.push(e);
    // Flushed at once: the file already holds the line.
    assert.equal(readFileSync(path, "utf8").split("\n").length - 1, written.length);
  }
  const ev: TrainLogEntry = { kind: "eval", step: 5, loss: 1.25, elapsed: 2.6, bits_per_byte: 1.8 };
  log.append(ev);
  written.push(ev);
  log.append(stepEntry(6, Number.NaN));
  log.close();
  log.close();
  assert.throws(() => log.append(stepEntry(7, 1)), (e) => isGlassboxError(e, "TRAIN_LOG_CLOSED"));
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  assert.equal(lines[0], '{"kind":"train","step":1,"loss":5,"lr":0.001,"tokens":512,"tokens_per_second":1001,"elapsed":0.5,"grad_norm":1.5}');
  assert.match(lines[6]!, /"loss":null/);
  const { entries, tornTail } = readTrainLog(path);
  assert.equal(tornTail, false);
  assert.deepEqual(entries.slice(0, 6), written);
  assert.ok(Number.isNaN(entries[6]!.loss), "a NaN loss comes back as NaN");
  assert.throws(() => log.append({ kind: "train", step: 1.5 } as unknown as TrainLogEntry), (e) => isGlassboxError(e));
});

test("resume: entries after the resumed step are removed, a torn last line is dropped, new entries follow", () => {
  const path = join(dir(), "log.jsonl");
  const log = TrainLog.open(path, { fsync: false });
  for (let s = 1; s <= 10; s++) log.append(stepEntry(s, 10 - s));
  log.append({ kind: "eval", step: 5, loss: 6, elapsed: 3 });
  log.close();
  appendFileSync(path, '{"kind":"train","step":11,"lo'); // crash in the middle of a write
  const torn = readTrainLog(path);
  assert.equal(torn.tornTail, true);
  assert.equal(torn.entries.length, 11);

  const resumed = TrainLog.open(path, { resumeStep: 6 });
  assert.deepEqual(resumed.kept.map((e) => [e.kind, e.step]), [
    ["train", 1], ["train", 2], ["train", 3], ["train", 4], ["train", 5], ["train", 6], ["eval", 5],
  ]);
  resumed.append(stepEntry(7, 0.5));
  resumed.close();
  const after = readTrainLog(path);
  assert.equal(after.tornTail, false);
  assert.deepEqual(after.entries.map((e) => e.step), [1, 2, 3, 4, 5, 6, 5, 7]);
  assert.equal(after.entries.at(-1)!.loss, 0.5);

  // A fresh open replaces the log; resuming with no file creates one.
  TrainLog.open(path).close();
  assert.equal(readFileSync(path, "utf8"), "");
  const other = join(dir(), "new.jsonl");
  const l2 = TrainLog.open(other, { resumeStep: 3 });
  assert.deepEqual(l2.kept, []);
  l2.close();
  assert.equal(readFileSync(other, "utf8"), "");
});

test("a malformed line in the middle is an error naming path:line; a missing file is FILE_NOT_FOUND", () => {
  const d = dir();
  const path = join(d, "bad.jsonl");
  writeFileSync(path, '{"kind":"train","step":1,"loss":1,"lr":1,"tokens":1,"tokens_per_second":1,"elapsed":1}\n{oops}\n{"kind":"eval","step":1,"loss":1,"elapsed":1}\n');
  assert.throws(() => readTrainLog(path), (e) => isGlassboxError(e, "TRAIN_LOG_BAD") && e.message.includes(`${path}:2:`));
  writeFileSync(path, '{"kind":"train","step":1,"loss":"high","lr":1,"tokens":1,"tokens_per_second":1,"elapsed":1}\n');
  assert.throws(() => readTrainLog(path), (e) => isGlassboxError(e, "TRAIN_LOG_BAD") && /:1: loss must be a number/.test(e.message));
  assert.throws(() => TrainLog.open(path, { resumeStep: 0 }), (e) => isGlassboxError(e, "TRAIN_LOG_BAD"));
  assert.throws(() => readTrainLog(join(d, "none.jsonl")), (e) => isGlassboxError(e, "FILE_NOT_FOUND"));
});
