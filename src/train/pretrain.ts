/**
 * Pre-training a llama-architecture model from scratch, tokenizer included: the job behind
 * `glassbox train`. Steps:
 *   1. tokenizer: from the checkpoint when resuming, else the given vocabulary GGUF, else a
 *      byte-level BPE trained on the corpus (tokenizer/train-files.ts) to model.vocab_size;
 *   2. data: loadTrainingData (documents, held-out split by document, packed rows of n_ctx + 1);
 *   3. model: LlamaTrainable seeded with training.seed; AdamW; warmup + cosine (schedule.ts);
 *   4. runTrainLoop (loop.ts): progress, JSON-lines log, loss SVG, held-out evaluation in bits per
 *      byte, atomic checkpoints, exact resume;
 *   5. the GGUF (llama-gguf.ts) with the tokenizer KVs and general.* provenance.
 *
 * Files beside `out` (for out = "dir/name.gguf"): dir/name.ckpt.gguf (checkpoint, checkpoint.ts),
 * dir/name.log.jsonl (log.ts), dir/name.loss.svg (chart.ts), dir/name.tokenizer.gguf (the trained
 * tokenizer, when one is trained).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { GlassboxError } from "../errors.js";
import { kv } from "../formats/gguf/kv.js";
import { GgufFile } from "../formats/gguf/reader.js";
import type { GgufKV } from "../formats/gguf/types.js";
import { writeGgufFile } from "../formats/gguf/writer.js";
import { loadWasmKernels } from "../kernels/index.js";
import { Tape } from "../tensor/tape.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { trainTokenizerFiles, type TrainFilesSummary } from "../tokenizer/train-files.js";
import { writeBytesAtomic } from "../util/atomic-file.js";
import { checkOutputPath } from "../util/output-path.js";
import { readCheckpoint, type Checkpoint } from "./checkpoint.js";
import { llamaConfigOf, totalSteps, trajectoryKey, type Dataset, type PretrainConfig } from "./config.js";
import { BatchIterator, type BatchIteratorState } from "./data/batches.js";
import { loadTrainingData } from "./data/dataset.js";
import { listDataFiles } from "./data/list-files.js";
import { evaluateHeldOut, heldOutText, tokenBytesTable, type HeldOutEval } from "./evaluate.js";
import { LlamaTrainable } from "./llama.js";
import { llamaToGguf } from "./llama-gguf.js";
import { runTrainLoop, type LoopProgress } from "./loop.js";
import { AdamW } from "./optim.js";
import type { TrainRunOptions, TrainRunResult } from "./run-options.js";
import { lrAt } from "./schedule.js";
import { trainStep } from "./step.js";

/** Options of {@link pretrain} (the run options shared with finetune in run-options.ts). */
export interface PretrainOptions extends TrainRunOptions {
  config: PretrainConfig;
  /** Corpus files and folders (see listDataFiles: .txt/.md/.jsonl/.ndjson from folders). */
  corpus: readonly string[];
  /** Output GGUF path (written atomically at the end). */
  out: string;
  /** A vocabulary GGUF to use instead of training a tokenizer (its size overrides model.vocab_size). */
  tokenizer?: string;
  /** Override the derived tokenizer path (see the module comment). */
  tokenizerOut?: string;
  /** Write the held-out text (UTF-8, exactly what bits per byte counts; evaluate.ts heldOutText) here. */
  heldOutTextOut?: string;
}

/** What pretrain did (progress phases: "tokenizer", "training"). Times in seconds. */
export interface PretrainResult extends TrainRunResult {
  /** The tokenizer GGUF written, when one was trained in this session. */
  tokenizerOut: string | undefined;
  tokenizerSummary: TrainFilesSummary | undefined;
  parameterCount: number;
  vocabSize: number;
  /** sha256 of the corpus (see corpusSha256). */
  corpusSha256: string;
}

/** out without its .gguf extension: the stem of the files written beside it. */
export function outputStem(out: string): string {
  return out.toLowerCase().endsWith(".gguf") ? out.slice(0, -5) : out;
}

/**
 * sha256 of a file list, as the sha256 of `sha256sum`'s output for it: one line
 * "<hex sha256 of the file>  <basename>\n" per file, in order. Returns the digest and the lines.
 */
export function corpusSha256(files: readonly string[]): { sha256: string; lines: string[] } {
  const lines = files.map((f) => `${createHash("sha256").update(readFileSync(f)).digest("hex")}  ${basename(f)}\n`);
  return { sha256: createHash("sha256").update(lines.join("")).digest("hex"), lines };
}

/** The training state saved in checkpoints (glassbox.checkpoint.state). */
interface PretrainState {
  config: PretrainConfig;
  trajectory: string;
  corpusSha256: string;
  tokenizer: string;
  /** The generators of the run: all seeded from config.training.seed; none draws during training steps. */
  rng: { init: string; heldOut: string; batchOrder: string };
}

function tokenizerKvs(file: GgufFile): GgufKV[] {
  return [...file.kv.values()].filter((k) => k.key.startsWith("tokenizer."));
}

/** general.* provenance KVs and glassbox.training.* facts for the output GGUF. */
function provenanceKvs(c: PretrainConfig, corpus: readonly string[], sha: string, extra: GgufKV[]): GgufKV[] {
  const m = c.metadata;
  const out: GgufKV[] = [];
  if (m.author) out.push(kv.string("general.author", m.author));
  if (m.description) out.push(kv.string("general.description", m.description));
  if (m.license) out.push(kv.string("general.license", m.license));
  if (m.url) out.push(kv.string("general.url", m.url));
  const ds: Dataset[] = m.datasets ?? corpus.map((p) => ({ name: basename(p) || p }));
  out.push(kv.u32("general.dataset.count", ds.length));
  ds.forEach((d, i) => {
    out.push(kv.string(`general.dataset.${i}.name`, d.name));
    if (d.url) out.push(kv.string(`general.dataset.${i}.url`, d.url));
    const desc = [d.description, d.license ? `license: ${d.license}` : undefined].filter(Boolean).join("; ");
    if (desc) out.push(kv.string(`general.dataset.${i}.description`, desc));
  });
  out.push(kv.string("glassbox.training.corpus_sha256", sha));
  out.push(kv.string("glassbox.training.config", JSON.stringify(c)));
  return [...out, ...extra];
}

/**
 * Trains (or resumes training) a model per `o.config` on `o.corpus` and writes `o.out`.
 * Errors: TRAIN_BAD_CONFIG; TRAIN_NO_CHECKPOINT (resume "require" without a checkpoint);
 * TRAIN_CHECKPOINT_MISMATCH (a checkpoint made with other model/training settings);
 * DATA_CURSOR_MISMATCH (the corpus changed since the checkpoint); TRAIN_DIVERGED; those of
 * loadTrainingData, trainTokenizerFiles, readCheckpoint and the file writes.
 */
export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  const c = o.config, t = c.training;
  const info = o.onInfo ?? (() => {});
  const stem = outputStem(o.out);
  const ckPath = o.checkpointPath ?? `${stem}.ckpt.gguf`;
  const logPath = o.logPath ?? `${stem}.log.jsonl`;
  const chartPath = o.chartPath ?? `${stem}.loss.svg`;
  const files = await listDataFiles(o.corpus);
  checkOutputPath(o.out, files);
  for (const p of [ckPath, logPath, chartPath]) checkOutputPath(p, files);
  const sha = corpusSha256(files).sha256;

  const mode = o.resume ?? "auto";
  let ck: Checkpoint | undefined;
  if (mode !== "never" && existsSync(ckPath)) {
    ck = readCheckpoint(ckPath);
    const st = ck.state as PretrainState;
    if (!st || st.trajectory !== trajectoryKey(c)) {
      ck.file.close();
      throw new GlassboxError("TRAIN_CHECKPOINT_MISMATCH", `${ckPath} was made with other model or training settings; use the same config, or start over (--restart)`);
    }
    info(`resuming from ${ckPath} at step ${ck.step}`);
  } else if (mode === "require") {
    throw new GlassboxError("TRAIN_NO_CHECKPOINT", `no checkpoint at ${ckPath} to resume from`);
  }

  let tokFile: GgufFile;
  let tokSource: string;
  let tokenizerOut: string | undefined;
  let tokenizerSummary: TrainFilesSummary | undefined;
  if (ck) {
    tokFile = ck.file;
    tokSource = (ck.state as PretrainState).tokenizer;
  } else if (o.tokenizer !== undefined) {
    tokFile = GgufFile.open(o.tokenizer);
    tokSource = basename(o.tokenizer);
  } else {
    tokenizerOut = o.tokenizerOut ?? `${stem}.tokenizer.gguf`;
    checkOutputPath(tokenizerOut, files);
    info(`training a byte-level BPE tokenizer of ${c.model.vocab_size} tokens on ${files.length} file(s)`);
    let bar: LoopProgress | undefined, phase = "";
    tokenizerSummary = await trainTokenizerFiles(files, {
      vocabSize: c.model.vocab_size, out: tokenizerOut, holdOut: 0, name: `${c.name}-tokenizer`,
      onProgress: (p, done, total) => {
        if (p !== phase) { bar?.stop(); phase = p; bar = o.progress?.(p === "count" ? "tokenizer: counting" : "tokenizer: merging", total); }
        bar?.update(done);
      },
    });
    bar?.stop();
    tokFile = GgufFile.open(tokenizerOut);
    tokSource = `byte-level BPE trained on the corpus (${tokenizerSummary.vocabSize} tokens)`;
  }
  const tokKvs = tokenizerKvs(tokFile);
  // The config's chat template replaces the tokenizer file's own, in the model file only (not in
  // checkpoints: metadata may change between runs without changing the training).
  const modelTokKvs = c.metadata.chat_template === undefined ? tokKvs
    : [...tokKvs.filter((e) => e.key !== "tokenizer.chat_template"), kv.string("tokenizer.chat_template", c.metadata.chat_template)];
  const tok = Tokenizer.fromGguf(tokFile);
  tokFile.close(); // the tokenizer and the checkpoint's tensors are copies

  const ownKernels = o.kernels === undefined;
  const k = o.kernels ?? (await loadWasmKernels(o.threads !== undefined ? { threads: o.threads } : {}));
  try {
    const data = await loadTrainingData(o.corpus, {
      tokenizer: tok, nCtx: c.model.n_ctx, seed: t.seed,
      ...(t.held_out > 0 ? { heldOut: { fraction: t.held_out } } : {}),
      ...(t.split_text_chars !== undefined ? { splitTextChars: t.split_text_chars } : {}),
    });
    const s = data.summary;
    info(`data: ${files.length} file(s), ${s.documents.train} train / ${s.documents.heldOut} held-out documents, ` +
      `${s.targetTokens.train} / ${s.targetTokens.heldOut} tokens, ${data.train.bytes} / ${data.heldOut?.bytes ?? 0} bytes` +
      (s.recordsSkipped ? `, ${s.recordsSkipped} records skipped` : ""));

    if (o.heldOutTextOut !== undefined) {
      if (!data.heldOut) throw new GlassboxError("TRAIN_BAD_CONFIG", "a held-out text was asked for, but training.held_out is 0");
      await writeBytesAtomic(o.heldOutTextOut, heldOutText(data.heldOut, tok));
    }
    const model = new LlamaTrainable(llamaConfigOf(c, tok.vocabSize), k, { seed: t.seed });
    const opt = new AdamW(model.params, { lr: t.lr, beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weight_decay });
    const batches = ck
      ? BatchIterator.fromState(data.train, ck.data as BatchIteratorState)
      : new BatchIterator(data.train, { batchSize: t.batch_size, seed: t.seed });
    const maxSteps = totalSteps(t, batches.batchesPerEpoch);
    const schedule = { lr: t.lr, minLr: t.min_lr ?? t.lr / 10, warmupSteps: t.warmup_steps, totalSteps: maxSteps };
    info(`model: ${model.parameterCount} parameters, vocabulary ${tok.vocabSize}; ${maxSteps} steps of ` +
      `${t.batch_size * t.grad_accum} x ${c.model.n_ctx} tokens (${(batches.batchesPerEpoch / t.grad_accum).toFixed(1)} steps per epoch)`);

    const tape = new Tape(k);
    const evalTape = new Tape(k);
    const tokenBytes = tokenBytesTable(tok);
    const held = data.heldOut;
    const state: PretrainState = {
      config: c, trajectory: trajectoryKey(c), corpusSha256: sha, tokenizer: tokSource,
      rng: {
        init: `mulberry32(${t.seed}) for the weights, drawn once before step 1`,
        heldOut: `sha256 keys seeded with ${t.seed} (data/split.ts)`,
        batchOrder: `epochPermutation(n_seq, ${t.seed}, epoch) and the cursor in glassbox.checkpoint.data`,
      },
    };
    const r = await runTrainLoop({
      params: model.params, optimizer: opt, batches, gradAccum: t.grad_accum, maxSteps,
      step: (micro, lr) => trainStep(model, tape, opt, micro, { lr, ...(t.grad_clip > 0 ? { clip: t.grad_clip } : {}) }),
      lr: (step) => lrAt(step, schedule),
      ...(held ? {
        evaluate: (_step: number, final: boolean) => evaluateHeldOut(model, held, {
          batchSize: t.batch_size, tokenBytes, tape: evalTape,
          ...(!final && t.eval_max_sequences !== undefined ? { maxSequences: t.eval_max_sequences } : {}),
        }),
        evalEvery: t.eval_every,
      } : {}),
      checkpoint: { path: ckPath, every: t.checkpoint_every, kv: () => [kv.string("general.name", c.name), ...tokKvs], state: () => state },
      logPath, chart: { path: chartPath, title: `${c.name}: loss` },
      ...(o.progress ? { progress: o.progress("training", maxSteps) } : {}),
      ...(ck ? { resume: ck } : {}),
      ...(o.hooks ? { hooks: o.hooks } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    ck?.file.close();
    const ev = r.eval as HeldOutEval | undefined;
    if (r.status === "done") {
      const facts: GgufKV[] = [
        kv.u32("glassbox.training.steps", r.step),
        kv.f64("glassbox.training.tokens", r.tokens),
        kv.f64("glassbox.training.seconds", r.elapsed),
      ];
      if (ev && Number.isFinite(ev.bits_per_byte)) facts.push(kv.f64("glassbox.training.held_out_bits_per_byte", ev.bits_per_byte));
      await writeGgufFile(o.out, llamaToGguf(model, { name: c.name, tokenizer: modelTokKvs, extra: provenanceKvs(c, o.corpus, sha, facts) }));
    }
    return {
      out: o.out, checkpointPath: ckPath, logPath, chartPath, tokenizerOut, tokenizerSummary,
      resumedFrom: r.startStep, steps: r.step, maxSteps, tokens: r.tokens, elapsed: r.elapsed, loss: r.loss, eval: ev,
      parameterCount: model.parameterCount, vocabSize: tok.vocabSize, data: data.summary, corpusSha256: sha, status: r.status,
    };
  } finally {
    ck?.file.close();
    if (ownKernels) await k.close();
  }
}
