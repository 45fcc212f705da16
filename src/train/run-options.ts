/**
 * What every training job (pretrain.ts behind `glassbox train`, finetune.ts behind
 * `glassbox finetune`) takes and reports besides its own settings: resuming, the files written
 * beside the output, kernels and threads, progress and status callbacks, and the run's outcome.
 */
import type { Kernels } from "../kernels/index.js";
import type { DataSummary } from "./data/dataset.js";
import type { HeldOutEval } from "./evaluate.js";
import type { LoopProgress, TrainLoopHooks } from "./loop.js";

/** When to continue from an existing checkpoint. */
export type ResumeMode = "auto" | "require" | "never";

/** Options shared by the training jobs. */
export interface TrainRunOptions {
  /** "auto" (default): resume when the checkpoint exists; "require": fail without one; "never": start over. */
  resume?: ResumeMode;
  /** Override the paths derived from `out` (see the job's module comment). */
  checkpointPath?: string;
  logPath?: string;
  chartPath?: string;
  /** Kernel threads (default: the machine's parallelism). */
  threads?: number;
  /** Kernels to use (tests); default loadWasmKernels({threads}), closed at the end. */
  kernels?: Kernels;
  /** Makes a progress display for a phase (e.g. "training" steps) of `total` units. */
  progress?: (phase: string, total: number) => LoopProgress;
  /** Human-readable status lines (data summary, resume point...). */
  onInfo?: (line: string) => void;
  hooks?: TrainLoopHooks;
  signal?: AbortSignal;
}

/** What a training job did (shared part). Times in seconds. */
export interface TrainRunResult {
  /** The output path (written when status is "done"). */
  out: string;
  checkpointPath: string;
  logPath: string;
  chartPath: string;
  /** Step the session started from (0 = fresh). */
  resumedFrom: number;
  steps: number;
  maxSteps: number;
  /** Target tokens trained on. */
  tokens: number;
  elapsed: number;
  /** Loss of the last step. */
  loss: number;
  /** Final held-out evaluation (undefined without held-out data). */
  eval: HeldOutEval | undefined;
  data: DataSummary;
  status: "done" | "aborted";
}
