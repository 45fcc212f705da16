/**
 * LoRA fine-tuning of a llama GGUF: the job behind `glassbox finetune`. Steps:
 *   1. base: tokenizer and chat template from the base GGUF; the frozen weights stay in their
 *      stored type (lora-llama.ts, QLoRA-style for quantized bases);
 *   2. data: loadTrainingData (text, JSONL {"text"}, chat JSONL {"messages"} with loss on the
 *      assistant turns only; bad records listed and skipped), optional held-out split;
 *   3. AdamW on the adapters' A and B, warmup + cosine (schedule.ts), lora-step.ts;
 *   4. runTrainLoop (loop.ts): progress bar (loss, tokens/s, ETA), JSON-lines log, loss SVG,
 *      held-out evaluation, atomic checkpoints, exact resume (dropout masks are a function of
 *      (seed, step), so nothing else needs saving);
 *   5. the adapter GGUF in llama.cpp's format (lora-gguf.ts), and optionally the merged model.
 *
 * Files beside `out` ("dir/name.gguf"): dir/name.ckpt.gguf, dir/name.log.jsonl, dir/name.loss.svg.
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { GlassboxError } from "../errors.js";
import { kv } from "../formats/gguf/kv.js";
import { GgufFile } from "../formats/gguf/reader.js";
import type { GgufKV } from "../formats/gguf/types.js";
import { writeGgufFile } from "../formats/gguf/writer.js";
import { loadWasmKernels, type Kernels } from "../kernels/index.js";
import { readLoraAdapter } from "../models/lora.js";
import { Tape } from "../tensor/tape.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { checkOutputPath } from "../util/output-path.js";
import { readCheckpoint, type Checkpoint } from "./checkpoint.js";
import { BatchIterator, type BatchIteratorState } from "./data/batches.js";
import { loadTrainingData } from "./data/dataset.js";
import { listDataFiles } from "./data/list-files.js";
import { evaluateHeldOut, tokenBytesTable, type HeldOutEval } from "./evaluate.js";
import { runTrainLoop } from "./loop.js";
import { resolveLoraConfig, type LoraConfig, type ResolvedLoraConfig } from "./lora-config.js";
import { mergeLoraIntoGguf } from "./lora-gguf.js";
import { LoraLlama } from "./lora-llama.js";
import { loraTrainStep } from "./lora-step.js";
import { AdamW } from "./optim.js";
import { outputStem } from "./pretrain.js";
import type { TrainRunOptions, TrainRunResult } from "./run-options.js";
import { lrAt } from "./schedule.js";

/** Training hyperparameters of a fine-tuning run (defaults in brackets). */
export interface FinetuneTraining {
  /** Peak learning rate [1e-4]. */
  lr?: number;
  /** Floor of the cosine decay [lr / 10]. */
  minLr?: number;
  /** Linear warmup steps [0]. */
  warmupSteps?: number;
  /** Optimizer steps of the run; or give `epochs` [1 epoch]. */
  steps?: number;
  /** Passes over the training rows (when `steps` is not given) [1]. */
  epochs?: number;
  /** Rows of nCtx tokens per micro-batch [4; at most the number of rows]. */
  batchSize?: number;
  /** Micro-batches per optimizer step [1]. */
  gradAccum?: number;
  /** Training context in tokens [min(256, the base's context_length)]. */
  nCtx?: number;
  /** Seed of A's init, the held-out split, the batch order and dropout [0]. */
  seed?: number;
  /** Global gradient-norm clip, 0 = none [1]. */
  clip?: number;
  /** AdamW decoupled weight decay on A and B [0]. */
  weightDecay?: number;
  /** Fraction of records held out for evaluation [0]. */
  heldOut?: number;
  /** Held-out evaluation every this many steps, 0 = only at the end [0]. */
  evalEvery?: number;
  /** A checkpoint every this many steps, 0 = only at the end [50]. */
  checkpointEvery?: number;
}

/** Options of {@link finetune} (the run options shared with pretrain in run-options.ts). */
export interface FinetuneOptions extends TrainRunOptions {
  /** The base model (a llama GGUF; F32, F16 or quantized). */
  base: string;
  /** Training data files and folders (.txt/.md, .jsonl with {"text"} or {"messages"}). */
  data: readonly string[];
  /** The adapter GGUF to write. */
  out: string;
  lora?: LoraConfig;
  training?: FinetuneTraining;
  /** Storage type of the adapter's A and B ["f32"]. */
  adapterType?: "f32" | "f16";
  /** Also write the base with the adapter merged in (export-lora style) here. */
  merge?: string;
  /** Built-in chat template name for chat records (default: the base's tokenizer.chat_template). */
  chatTemplateName?: string;
}

/** What finetune did (`out` is the adapter). Times in seconds. */
export interface FinetuneResult extends TrainRunResult {
  /** The merged model written (options.merge), if any. */
  merged: string | undefined;
  lora: ResolvedLoraConfig;
  /** A and B scalars trained. */
  trainableCount: number;
  /** Bytes of the frozen base in memory (its stored types). */
  baseBytes: number;
}

type ResolvedTraining = Required<Omit<FinetuneTraining, "steps" | "minLr">> & { steps: number | undefined; minLr: number };

/** Fills in the defaults and checks the values. @throws TRAIN_BAD_CONFIG naming the field. */
export function resolveFinetuneTraining(t: FinetuneTraining, baseCtx: number): ResolvedTraining {
  const lr = t.lr ?? 1e-4;
  const r: ResolvedTraining = {
    lr, minLr: t.minLr ?? lr / 10, warmupSteps: t.warmupSteps ?? 0, steps: t.steps, epochs: t.epochs ?? 1,
    batchSize: t.batchSize ?? 4, gradAccum: t.gradAccum ?? 1, nCtx: t.nCtx ?? Math.min(256, baseCtx), seed: t.seed ?? 0,
    clip: t.clip ?? 1, weightDecay: t.weightDecay ?? 0, heldOut: t.heldOut ?? 0, evalEvery: t.evalEvery ?? 0, checkpointEvery: t.checkpointEvery ?? 50,
  };
  const bad = (m: string): never => { throw new GlassboxError("TRAIN_BAD_CONFIG", m); };
  const int = (name: string, v: number, min: number) => { if (!Number.isSafeInteger(v) || v < min) bad(`${name} must be an integer >= ${min}, got ${v}`); };
  if (!(r.lr > 0 && Number.isFinite(r.lr))) bad(`lr must be > 0, got ${r.lr}`);
  if (!(r.minLr >= 0 && r.minLr <= r.lr)) bad(`min lr must be in [0, lr], got ${r.minLr}`);
  if (r.steps !== undefined) int("steps", r.steps, 1);
  if (!(r.epochs > 0 && Number.isFinite(r.epochs))) bad(`epochs must be > 0, got ${r.epochs}`);
  int("warmup steps", r.warmupSteps, 0);
  int("batch size", r.batchSize, 1);
  int("grad accum", r.gradAccum, 1);
  int("ctx size", r.nCtx, 2);
  if (r.nCtx > baseCtx) bad(`ctx size ${r.nCtx} exceeds the base model's context_length ${baseCtx}`);
  int("seed", r.seed, 0);
  if (!(r.clip >= 0)) bad(`clip must be >= 0, got ${r.clip}`);
  if (!(r.weightDecay >= 0)) bad(`weight decay must be >= 0, got ${r.weightDecay}`);
  if (!(r.heldOut >= 0 && r.heldOut < 1)) bad(`held-out fraction must be in [0, 1), got ${r.heldOut}`);
  int("eval every", r.evalEvery, 0);
  int("checkpoint every", r.checkpointEvery, 0);
  return r;
}

/** Identity of a base model without reading its weights: sha256 of its size, KVs (scalars) and tensor infos. */
export function baseFingerprint(g: GgufFile, path: string): string {
  const h = createHash("sha256").update(String(statSync(path).size));
  for (const k of g.kv.values()) if (typeof k.value !== "object") h.update(`${k.key}=${String(k.value)};`);
  for (const t of g.tensors) h.update(`${t.name}:${t.type}:${t.ne.join("x")};`);
  return h.digest("hex");
}

/** What checkpoints store about the run (glassbox.checkpoint.state). */
interface FinetuneState {
  trajectory: string;
  base: string;
}

/**
 * Fine-tunes a LoRA adapter on `o.base` with `o.data` and writes `o.out` (and `o.merge`).
 * Errors: TRAIN_BAD_CONFIG; TRAIN_BAD_MODEL / TRAIN_UNSUPPORTED for a base that is not a
 * trainable llama; TRAIN_NO_CHECKPOINT (resume "require" without one); TRAIN_CHECKPOINT_MISMATCH
 * (made with another base or other settings); DATA_CURSOR_MISMATCH (the data changed);
 * TRAIN_DIVERGED; those of loadTrainingData and the file writes.
 */
export async function finetune(o: FinetuneOptions): Promise<FinetuneResult> {
  const info = o.onInfo ?? (() => {});
  const stem = outputStem(o.out);
  const ckPath = o.checkpointPath ?? `${stem}.ckpt.gguf`;
  const logPath = o.logPath ?? `${stem}.log.jsonl`;
  const chartPath = o.chartPath ?? `${stem}.loss.svg`;
  const lora = resolveLoraConfig(o.lora);
  const files = await listDataFiles(o.data);
  const inputs = [...files, o.base];
  for (const p of [o.out, ckPath, logPath, chartPath, ...(o.merge !== undefined ? [o.merge] : [])]) checkOutputPath(p, inputs);
  if (o.merge !== undefined && o.merge === o.out) throw new GlassboxError("INVALID_OPTION", "the merged model and the adapter need different paths");

  const base = GgufFile.open(o.base);
  let ck: Checkpoint | undefined;
  const ownKernels = o.kernels === undefined;
  let k: Kernels | undefined = o.kernels;
  try {
    const ctxV = base.get(`${String(base.get("general.architecture"))}.context_length`);
    const t = resolveFinetuneTraining(o.training ?? {}, typeof ctxV === "number" ? ctxV : typeof ctxV === "bigint" ? Number(ctxV) : 2048);
    const baseId = baseFingerprint(base, o.base);
    const trajectory = JSON.stringify({ base: baseId, lora, training: t, adapterType: o.adapterType ?? "f32", chat: o.chatTemplateName ?? null });
    const mode = o.resume ?? "auto";
    if (mode !== "never" && existsSync(ckPath)) {
      ck = readCheckpoint(ckPath);
      const st = ck.state as FinetuneState | undefined;
      if (!st || st.trajectory !== trajectory) {
        throw new GlassboxError("TRAIN_CHECKPOINT_MISMATCH", `${ckPath} was made with another base model or other LoRA/training settings; use the same ones, or start over (--restart)`);
      }
      info(`resuming from ${ckPath} at step ${ck.step}`);
    } else if (mode === "require") {
      throw new GlassboxError("TRAIN_NO_CHECKPOINT", `no checkpoint at ${ckPath} to resume from`);
    }

    const tok = Tokenizer.fromGguf(base);
    const template = base.get("tokenizer.chat_template");
    k ??= await loadWasmKernels(o.threads !== undefined ? { threads: o.threads } : {});
    const model = new LoraLlama(base, k, lora, { seed: t.seed });
    const data = await loadTrainingData(o.data, {
      tokenizer: tok, nCtx: t.nCtx, seed: t.seed,
      ...(typeof template === "string" ? { chatTemplate: template } : {}),
      ...(o.chatTemplateName !== undefined ? { chatTemplateName: o.chatTemplateName } : {}),
      ...(t.heldOut > 0 ? { heldOut: { fraction: t.heldOut } } : {}),
    });
    const s = data.summary;
    info(`data: ${s.files.length} file(s), ${s.recordsUsed} of ${s.recordsRead} records used` +
      (s.recordsSkipped ? ` (${s.recordsSkipped} skipped)` : "") +
      `, ${s.sequences.train} train / ${s.sequences.heldOut} held-out rows of ${t.nCtx} tokens, ${s.targetTokens.train} / ${s.targetTokens.heldOut} target tokens`);
    for (const b of s.badRecords.slice(0, 10)) info(`skipped ${b.file}:${b.line}: ${b.reason}`);
    if (s.recordsSkipped > 10) info(`... and ${s.recordsSkipped - 10} more skipped records`);

    const opt = new AdamW(model.params, { lr: t.lr, weightDecay: t.weightDecay });
    const batches = ck
      ? BatchIterator.fromState(data.train, ck.data as BatchIteratorState)
      : new BatchIterator(data.train, { batchSize: Math.min(t.batchSize, data.train.nSeq), seed: t.seed, dropLast: false });
    const maxSteps = t.steps ?? Math.max(1, Math.ceil((t.epochs * batches.batchesPerEpoch) / t.gradAccum));
    const schedule = { lr: t.lr, minLr: t.minLr, warmupSteps: t.warmupSteps, totalSteps: maxSteps };
    info(`LoRA r=${lora.rank} alpha=${lora.alpha} dropout=${lora.dropout} on ${lora.targets.join(", ")}: ${model.trainableCount} trainable values; ` +
      `base ${(model.baseBytes / 1e6).toFixed(1)} MB frozen; ${maxSteps} steps of ${batches.batchSize * t.gradAccum} x ${t.nCtx} tokens`);

    const tape = new Tape(k), evalTape = new Tape(k);
    const held = data.heldOut;
    const tokenBytes = held ? tokenBytesTable(tok) : undefined;
    const state: FinetuneState = { trajectory, base: basename(o.base) };
    const r = await runTrainLoop({
      params: model.params, optimizer: opt, batches, gradAccum: t.gradAccum, maxSteps,
      step: (micro, lr, step) => loraTrainStep(model, tape, opt, micro, { lr, step, seed: t.seed, ...(t.clip > 0 ? { clip: t.clip } : {}) }),
      lr: (step) => lrAt(step, schedule),
      ...(held ? {
        evaluate: () => evaluateHeldOut(model, held, { batchSize: batches.batchSize, tape: evalTape, ...(tokenBytes ? { tokenBytes } : {}) }),
        evalEvery: t.evalEvery,
      } : {}),
      checkpoint: { path: ckPath, every: t.checkpointEvery, kv: () => [kv.string("general.name", `${basename(stem)} (LoRA checkpoint)`)], state: () => state },
      logPath, chart: { path: chartPath, title: `LoRA on ${basename(o.base)}: loss` },
      ...(o.progress ? { progress: o.progress("training", maxSteps) } : {}),
      ...(ck ? { resume: ck } : {}),
      ...(o.hooks ? { hooks: o.hooks } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const ev = r.eval as HeldOutEval | undefined;
    let merged: string | undefined;
    if (r.status === "done") {
      const baseName = base.get("general.name");
      const extra: GgufKV[] = [
        ...(typeof baseName === "string" ? [kv.u32("general.base_model.count", 1), kv.string("general.base_model.0.name", baseName)] : []),
        kv.string("glassbox.lora.targets", lora.targets.join(",")),
        kv.f32("glassbox.lora.dropout", lora.dropout),
        kv.u32("glassbox.training.steps", r.step),
        kv.f64("glassbox.training.tokens", r.tokens),
        kv.f64("glassbox.training.seconds", r.elapsed),
        ...(ev && Number.isFinite(ev.loss) ? [kv.f64("glassbox.training.held_out_loss", ev.loss)] : []),
      ];
      const adapter = model.toAdapterGguf({ name: basename(stem), type: o.adapterType ?? "f32", extra });
      await writeGgufFile(o.out, adapter);
      if (o.merge !== undefined) {
        const a = GgufFile.open(o.out);
        try {
          await writeGgufFile(o.merge, mergeLoraIntoGguf(base, readLoraAdapter(a)));
        } finally {
          a.close();
        }
        merged = o.merge;
      }
    }
    return {
      out: o.out, merged, checkpointPath: ckPath, logPath, chartPath, resumedFrom: r.startStep, steps: r.step, maxSteps,
      tokens: r.tokens, elapsed: r.elapsed, loss: r.loss, eval: ev, lora, trainableCount: model.trainableCount,
      baseBytes: model.baseBytes, data: s, status: r.status,
    };
  } finally {
    ck?.file.close();
    base.close();
    if (ownKernels) await k?.close();
  }
}
