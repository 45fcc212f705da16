/**
 * The reusable training loop: a run stopped after a checkpoint and resumed from it gives, step
 * for step, bit-identical losses, learning rates and gradient norms to a run that never stopped;
 * the log is cut back to the checkpoint and continued; the chart and checkpoint files exist.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadWasmKernels, type Kernels } from "../../src/kernels/index.js";
import { Tape } from "../../src/tensor/tape.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { BatchIterator, type BatchIteratorState } from "../../src/train/data/batches.js";
import type { PackedSequences } from "../../src/train/data/types.js";
import { evaluateHeldOut } from "../../src/train/evaluate.js";
import { mulberry32 } from "../../src/train/init.js";
import { LlamaTrainable, type LlamaConfig } from "../../src/train/llama.js";
import { readTrainLog, type TrainLogEntry } from "../../src/train/log.js";
import { runTrainLoop, type TrainLoopOptions } from "../../src/train/loop.js";
import { AdamW } from "../../src/train/optim.js";
import { lrAt } from "../../src/train/schedule.js";
import { trainStep } from "../../src/train/step.js";

const CFG: LlamaConfig = { nVocab: 40, nEmbd: 16, nLayer: 2, nHead: 2, nHeadKv: 1, nFf: 32, nCtx: 16, ropeFreqBase: 10000, rmsEps: 1e-5, tied: true };

function packed(nSeq: number, seed: number): PackedSequences {
  const L = CFG.nCtx + 1, rnd = mulberry32(seed);
  const tokens = new Int32Array(nSeq * L);
  // a learnable pattern with noise: next = (cur * 3 + 1) mod 40, sometimes random
  for (let r = 0; r < nSeq; r++) {
    let t = Math.floor(rnd() * 40);
    for (let j = 0; j < L; j++) { tokens[r * L + j] = t; t = rnd() < 0.8 ? (t * 3 + 1) % 40 : Math.floor(rnd() * 40); }
  }
  return { nSeq, seqLen: L, tokens, labels: tokens.slice(), documents: nSeq, targetTokens: nSeq * CFG.nCtx, paddingTokens: 0, bytes: nSeq * CFG.nCtx * 2 };
}

const MAX = 12;

function setup(k: Kernels, dir: string, initSeed: number) {
  const model = new LlamaTrainable(CFG, k, { seed: initSeed });
  const opt = new AdamW(model.params, { weightDecay: 0.1, beta2: 0.95 });
  const tape = new Tape(k);
  const base: Omit<TrainLoopOptions, "batches"> = {
    params: model.params, optimizer: opt, gradAccum: 2, maxSteps: MAX,
    step: (micro, lr) => trainStep(model, tape, opt, micro, { lr, clip: 1 }),
    lr: (s) => lrAt(s, { lr: 3e-3, minLr: 3e-4, warmupSteps: 3, totalSteps: MAX }),
    evaluate: () => evaluateHeldOut(model, held, { batchSize: 4 }), evalEvery: 4,
    checkpoint: { path: join(dir, "run.ckpt.gguf"), every: 5, state: () => ({ note: "test" }) },
    logPath: join(dir, "run.log.jsonl"), chart: { path: join(dir, "run.loss.svg"), title: "loop test" },
  };
  return { model, opt, base };
}
const train = packed(24, 5), held = packed(6, 9);

/** The deterministic fields of log entries (time-dependent ones dropped). */
function curve(es: readonly TrainLogEntry[]): unknown[] {
  return es.map((e) => e.kind === "train"
    ? { kind: e.kind, step: e.step, loss: e.loss, lr: e.lr, tokens: e.tokens, grad_norm: e.grad_norm, epoch: e.epoch }
    : { kind: e.kind, step: e.step, loss: e.loss, bpb: e.bits_per_byte });
}

test("a run resumed from a checkpoint continues the identical loss curve", async () => {
  const k = await loadWasmKernels({ threads: 2 });
  const dirA = mkdtempSync(join(tmpdir(), "gb-loop-a-")), dirB = mkdtempSync(join(tmpdir(), "gb-loop-b-"));
  try {
    // A: uninterrupted
    const a = setup(k, dirA, 1);
    const ra = await runTrainLoop({ ...a.base, batches: new BatchIterator(train, { batchSize: 3, seed: 7 }) });
    assert.equal(ra.status, "done");
    assert.equal(ra.step, MAX);
    const logA = readTrainLog(join(dirA, "run.log.jsonl")).entries;
    assert.equal(logA.filter((e) => e.kind === "train").length, MAX);
    assert.deepEqual(logA.filter((e) => e.kind === "eval").map((e) => e.step), [4, 8, 12]);
    assert.ok(ra.loss < logA[0]!.loss, `loss went down: ${logA[0]!.loss} -> ${ra.loss}`);
    assert.ok(existsSync(join(dirA, "run.loss.svg")) && readFileSync(join(dirA, "run.loss.svg"), "utf8").includes("<svg"));

    // B: keeps a copy of the step-5 checkpoint, then is stopped at step 8 (as a crash would)
    const b = setup(k, dirB, 1);
    const ctl = new AbortController();
    const ck5 = join(dirB, "ck5.gguf");
    const rb = await runTrainLoop({
      ...b.base, batches: new BatchIterator(train, { batchSize: 3, seed: 7 }), signal: ctl.signal,
      hooks: {
        onCheckpoint: (p, s) => { if (s === 5) copyFileSync(p, ck5); },
        onStep: (e) => { if (e.step === 8) ctl.abort(); },
      },
    });
    assert.equal(rb.status, "aborted");
    assert.equal(rb.step, 8);
    assert.equal(readCheckpoint(join(dirB, "run.ckpt.gguf")).step, 8, "an aborted run checkpoints where it stopped");

    // resume from step 5 into a model initialised differently: everything must come from the checkpoint
    const ck = readCheckpoint(ck5);
    assert.equal(ck.step, 5);
    assert.deepEqual(ck.state, { note: "test" });
    const c = setup(k, dirB, 99);
    const rc = await runTrainLoop({
      ...c.base, batches: BatchIterator.fromState(train, ck.data as BatchIteratorState), resume: ck,
    });
    ck.file.close();
    assert.equal(rc.startStep, 5);
    assert.equal(rc.status, "done");
    const logB = readTrainLog(join(dirB, "run.log.jsonl")).entries;
    assert.deepEqual(curve(logB), curve(logA));
    for (let i = 0; i < a.model.params.length; i++) {
      assert.deepEqual(c.model.params[i]!.data, a.model.params[i]!.data, `final ${a.model.params[i]!.name} bit-identical`);
    }
    console.log(`losses step 1 ${logA[0]!.loss.toFixed(4)} -> step ${MAX} ${ra.loss.toFixed(4)}; resumed run equal bit for bit over ${logB.length} log entries`);

    // resuming a finished run does nothing more and re-evaluates nothing
    const fin = readCheckpoint(join(dirB, "run.ckpt.gguf"));
    assert.equal(fin.step, MAX);
    const d = setup(k, dirB, 3);
    const rd = await runTrainLoop({ ...d.base, batches: BatchIterator.fromState(train, fin.data as BatchIteratorState), resume: fin });
    fin.file.close();
    assert.equal(rd.step, MAX);
    assert.deepEqual(curve(readTrainLog(join(dirB, "run.log.jsonl")).entries), curve(logA));
  } finally {
    await k.close();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});

test("bad loop settings are refused with TRAIN_BAD_CONFIG", async () => {
  const k = await loadWasmKernels({ threads: 1 });
  try {
    const dir = mkdtempSync(join(tmpdir(), "gb-loop-c-"));
    const a = setup(k, dir, 1);
    await assert.rejects(runTrainLoop({ ...a.base, maxSteps: 0, batches: new BatchIterator(train, { batchSize: 3 }) }), { code: "TRAIN_BAD_CONFIG" });
    await assert.rejects(runTrainLoop({ ...a.base, gradAccum: 1.5, batches: new BatchIterator(train, { batchSize: 3 }) }), { code: "TRAIN_BAD_CONFIG" });
    rmSync(dir, { recursive: true, force: true });
  } finally {
    await k.close();
  }
});
