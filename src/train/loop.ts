/**
 * A reusable training loop: parameters + optimizer + batch source + step function + hooks, with
 * what every long run needs around the step: a progress bar (loss, tokens/s, ETA), the JSON-lines
 * log (log.ts), the loss-curve SVG (chart.ts), periodic held-out evaluation, atomic checkpoints
 * (checkpoint.ts) and exact resume. Pre-training (pretrain.ts) and fine-tuning (LoRA) both run on it.
 *
 * ```ts
 * const it = new BatchIterator(data.train, { batchSize: 8, seed: 1 });
 * const result = await runTrainLoop({
 *   params: model.params, optimizer: opt, batches: it, gradAccum: 2, maxSteps: 1000,
 *   step: (micro, lr) => trainStep(model, tape, opt, micro, { lr, clip: 1 }),
 *   lr: (s) => lrAt(s, { lr: 1e-3, warmupSteps: 100, totalSteps: 1000 }),
 *   evaluate: () => ({ loss: heldOutLoss() }), evalEvery: 100,
 *   checkpoint: { path: "run.ckpt.gguf", every: 50, kv: () => tokenizerKvs, state: () => ({ config }) },
 *   logPath: "run.log.jsonl", chart: { path: "run.loss.svg", title: "my model" },
 *   progress: startProgress("training", 1000),     // cli/progress.ts
 * });
 * // after a crash: const ck = readCheckpoint("run.ckpt.gguf");
 * //   batches = BatchIterator.fromState(data.train, ck.data as BatchIteratorState);
 * //   runTrainLoop({ ...same options, batches, resume: ck })  -> continues bit for bit
 * ```
 *
 * Determinism: step s (0-based) always consumes the next gradAccum micro-batches of the source
 * and the learning rate lr(s); the checkpoint after step s holds the parameters, the optimizer's
 * moments and step count, and the source's state() at that point, so a run resumed from it
 * computes exactly the same numbers as one that never stopped (given deterministic kernels:
 * our GEMMs split work by output rows, so thread count does not change any sum).
 * The loop itself draws no random numbers; a step function that does (dropout, sampling) must
 * save its generator state through `checkpoint.state` and restore it on resume.
 *
 * Log entries: {"kind":"train","step","loss","lr","tokens","tokens_per_second","elapsed",
 * "grad_norm","epoch"} per step and {"kind":"eval","step","loss","elapsed",...EvalResult} per
 * evaluation (see log.ts). `elapsed` counts wall time (steps, evaluations and checkpoints)
 * summed over every session of the run.
 */
import { GlassboxError } from "../errors.js";
import type { GgufKV } from "../formats/gguf/types.js";
import type { Tensor } from "../tensor/tensor.js";
import { lossSeriesFromLog, writeLossChart } from "./chart.js";
import { restoreCheckpoint, writeCheckpoint, type Checkpoint } from "./checkpoint.js";
import { TrainLog, type TrainLogEntry, type TrainLogEval, type TrainLogStep } from "./log.js";
import type { AdamW } from "./optim.js";
import type { MicroBatch, TrainStepResult } from "./step.js";

/** Where micro-batches come from. BatchIterator (data/batches.ts) is one. */
export interface LoopBatchSource {
  /** The next micro-batch. `targetCount` (targets that are not -1) is counted from `targets` when absent. */
  next(): MicroBatch & { readonly targetCount?: number; readonly epoch?: number };
  /** JSON-serializable state from which the caller can rebuild the source at this point. */
  state(): unknown;
}

/** What an evaluation reports: mean loss (nats per target token) and any other numbers to log. */
export interface EvalResult {
  loss: number;
  /** Bits per UTF-8 byte of the evaluated text, when known. */
  bits_per_byte?: number;
  [field: string]: number | undefined;
}

/** A progress display (cli/progress.ts's Progress fits). */
export interface LoopProgress {
  /** Absolute progress in steps, and a short text to show beside it. */
  update(value: number, extra?: string): void;
  stop(): void;
}

/** Checkpoint settings. */
export interface LoopCheckpointOptions {
  /** Checkpoint file (GGUF, written atomically; see checkpoint.ts). */
  path: string;
  /** Write one every this many steps (0 = only at the end); always one at the end and on abort. */
  every: number;
  /** Extra KVs to store (model and tokenizer metadata), called at each write. */
  kv?: () => readonly GgufKV[];
  /** Caller state to store as JSON (config, RNG states), called at each write. */
  state?: () => unknown;
}

/** Callbacks (all optional, synchronous). */
export interface TrainLoopHooks {
  /** After each optimizer step, with its log entry. */
  onStep?(entry: TrainLogStep): void;
  /** After each evaluation, with its log entry. */
  onEval?(entry: TrainLogEval): void;
  /** After each checkpoint is on disk. */
  onCheckpoint?(path: string, step: number): void;
}

/** Options of {@link runTrainLoop}. */
export interface TrainLoopOptions {
  /** The trainable parameters (unique names): what checkpoints save and restore. */
  params: readonly Tensor[];
  /** The optimizer stepping `params` (its moments go into checkpoints). */
  optimizer: AdamW;
  /** The micro-batch source. On resume, pass one rebuilt from the checkpoint's `data`. */
  batches: LoopBatchSource;
  /** Micro-batches per optimizer step (default 1). */
  gradAccum?: number;
  /**
   * Runs one optimizer step on `micro` at learning rate `lr` (0-based step index `step`), e.g.
   * `(micro, lr) => trainStep(model, tape, opt, micro, { lr, clip })`.
   */
  step: (micro: MicroBatch[], lr: number, step: number) => TrainStepResult;
  /** Learning rate of 0-based step s (e.g. lrAt with a CosineSchedule). */
  lr: (step: number) => number;
  /** Steps of the whole run; the loop runs from the start (or resumed) step up to here. */
  maxSteps: number;
  /** Held-out evaluation, run every `evalEvery` steps and after the last step. */
  evaluate?: (step: number, final: boolean) => EvalResult | Promise<EvalResult>;
  /** Evaluate every this many steps (0 or absent = only after the last step). */
  evalEvery?: number;
  checkpoint?: LoopCheckpointOptions;
  /** JSON-lines log path (log.ts); on resume it is cut back to the checkpoint's step. */
  logPath?: string;
  /** Loss-curve SVG, rewritten after each evaluation, checkpoint and at the end. */
  chart?: { path: string; title?: string };
  /**
   * A progress display, updated after each step with (step, "| loss … | … tok/s | held-out …");
   * e.g. the CLI's `startProgress("training", maxSteps)` (cli/progress.ts). Stopped at the end.
   */
  progress?: LoopProgress;
  /** Continue from this checkpoint: restores params and optimizer, starts at its step, tokens and elapsed. */
  resume?: Checkpoint;
  hooks?: TrainLoopHooks;
  /** Stop after the current step when aborted (a checkpoint is written first). */
  signal?: AbortSignal;
}

/** What a run ended with. */
export interface TrainLoopResult {
  /** Optimizer steps done (cumulative over resumes). */
  step: number;
  /** Target tokens trained on (cumulative). */
  tokens: number;
  /** Seconds of wall time (cumulative). */
  elapsed: number;
  /** The step the run started from (0, or the checkpoint's). */
  startStep: number;
  /** Loss of the last step done (NaN when no step ran in this session and the log had none). */
  loss: number;
  /** The last evaluation (from the log when a finished run is resumed), if any. */
  eval: EvalResult | undefined;
  /** "done" when maxSteps was reached, "aborted" when the signal stopped it. */
  status: "done" | "aborted";
  /** Every log entry of the run (kept ones from earlier sessions included). */
  entries: TrainLogEntry[];
}

function countTargets(mb: MicroBatch & { targetCount?: number }): number {
  if (mb.targetCount !== undefined) return mb.targetCount;
  let n = 0;
  for (let i = 0; i < mb.targets.length; i++) if (mb.targets[i]! >= 0) n++;
  return n;
}

function fmtRate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

/**
 * Runs optimizer steps from the start (or `resume`'s step) to `maxSteps`; see the module comment.
 * Errors: TRAIN_BAD_CONFIG for bad counts; TRAIN_DIVERGED when a step's loss is not finite (the
 * entry is logged first; the last checkpoint is left as it was); TRAIN_BAD_CHECKPOINT when
 * `resume` does not fit the parameters; FILE_IO from the log, chart and checkpoint writes.
 */
export async function runTrainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const gradAccum = o.gradAccum ?? 1;
  const evalEvery = o.evalEvery ?? 0;
  for (const [name, v, min] of [["maxSteps", o.maxSteps, 1], ["gradAccum", gradAccum, 1], ["evalEvery", evalEvery, 0], ["checkpoint.every", o.checkpoint?.every ?? 0, 0]] as const) {
    if (!Number.isSafeInteger(v) || v < min) throw new GlassboxError("TRAIN_BAD_CONFIG", `${name} must be an integer >= ${min}, got ${v}`);
  }
  let step = 0, tokens = 0, elapsed = 0;
  if (o.resume) {
    restoreCheckpoint(o.resume, o.params, o.optimizer);
    ({ step, tokens, elapsed } = o.resume);
    if (step > o.maxSteps) throw new GlassboxError("TRAIN_BAD_CHECKPOINT", `the checkpoint is at step ${step}, past this run's ${o.maxSteps} steps`);
  }
  const startStep = step;
  const log = o.logPath !== undefined ? TrainLog.open(o.logPath, o.resume ? { resumeStep: step } : {}) : undefined;
  const entries: TrainLogEntry[] = log ? [...log.kept] : [];
  const bar: LoopProgress = o.progress ?? { update() {}, stop() {} };
  bar.update(step);

  let lastLoss = Number.NaN;
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.kind === "train") { lastLoss = entries[i]!.loss; break; }
  let lastEval: EvalResult | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.kind === "eval") {
      const { kind: _k, step: _s, elapsed: _e, ...rest } = e;
      lastEval = rest as EvalResult;
      break;
    }
  }
  let evalText = lastEval ? ` | held-out ${lastEval.loss.toFixed(3)}` : "";
  let sessionTokens = 0, sessionTime = 0;
  let wall = performance.now();
  const tick = (): void => { // adds the wall time since the last tick to elapsed
    const now = performance.now();
    elapsed += (now - wall) / 1000;
    wall = now;
  };
  const append = (e: TrainLogEntry): void => {
    log?.append(e);
    entries.push(e);
  };
  const drawChart = async (): Promise<void> => {
    if (!o.chart) return;
    const { train, heldOut } = lossSeriesFromLog(entries);
    await writeLossChart(o.chart.path, train, heldOut.x.length ? heldOut : undefined, { title: o.chart.title ?? "Loss" });
  };
  const runEval = async (final: boolean): Promise<void> => {
    if (!o.evaluate) return;
    const r = await o.evaluate(step, final);
    tick();
    const e: TrainLogEval = { ...r, kind: "eval", step, loss: r.loss, elapsed };
    append(e);
    lastEval = r;
    evalText = ` | held-out ${r.loss.toFixed(3)}` + (r.bits_per_byte !== undefined ? ` (${r.bits_per_byte.toFixed(3)} bpb)` : "");
    o.hooks?.onEval?.(e);
    await drawChart();
  };
  const saveCheckpoint = async (): Promise<void> => {
    const c = o.checkpoint;
    if (!c) return;
    tick();
    await writeCheckpoint(c.path, {
      step, tokens, elapsed, params: o.params, optimizer: o.optimizer, data: o.batches.state(),
      state: c.state?.(), kv: c.kv?.() ?? [],
    });
    o.hooks?.onCheckpoint?.(c.path, step);
  };

  let status: TrainLoopResult["status"] = "done";
  try {
    // A finished run resumed again only re-evaluates when its log lacks the final evaluation.
    const needFinalEval = !(step === o.maxSteps && startStep > 0 && entries.some((e) => e.kind === "eval" && e.step === step));
    while (step < o.maxSteps) {
      if (o.signal?.aborted) { status = "aborted"; break; }
      const t0 = performance.now();
      const micro: MicroBatch[] = [];
      let targets = 0, epoch: number | undefined;
      for (let a = 0; a < gradAccum; a++) {
        const mb = o.batches.next();
        targets += countTargets(mb);
        epoch = mb.epoch;
        micro.push(mb);
      }
      const lr = o.lr(step);
      const r = o.step(micro, lr, step);
      const dt = (performance.now() - t0) / 1000;
      step++;
      tokens += targets;
      tick();
      sessionTokens += targets;
      sessionTime += dt;
      lastLoss = r.loss;
      const e: TrainLogStep = {
        kind: "train", step, loss: r.loss, lr, tokens, tokens_per_second: targets / Math.max(dt, 1e-9), elapsed,
        grad_norm: r.gradNorm, ...(epoch !== undefined ? { epoch } : {}),
      };
      append(e);
      o.hooks?.onStep?.(e);
      bar.update(step, `| loss ${r.loss.toFixed(3)} | ${fmtRate(sessionTokens / Math.max(sessionTime, 1e-9))} tok/s${evalText}`);
      if (!Number.isFinite(r.loss)) throw new GlassboxError("TRAIN_DIVERGED", `the loss is ${r.loss} at step ${step}; lower the learning rate or resume from the last checkpoint`);
      if (evalEvery > 0 && step % evalEvery === 0 && step < o.maxSteps) await runEval(false);
      if ((o.checkpoint?.every ?? 0) > 0 && step % o.checkpoint!.every === 0 && step < o.maxSteps) {
        await saveCheckpoint();
        await drawChart();
      }
    }
    if (status === "done" && needFinalEval) await runEval(true);
    await saveCheckpoint();
    await drawChart();
  } finally {
    bar.stop();
    log?.close();
  }
  tick();
  return { step, tokens, elapsed, startStep, loss: lastLoss, eval: lastEval, status, entries };
}
