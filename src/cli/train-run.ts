// What the training commands (`glassbox train`, cli/train.ts; `glassbox finetune`, cli/finetune.ts) share:
// the run-control flags, their checks, and the rows of the final report about the run.
import type { Command } from "commander";
import { GlassboxError } from "../errors.js";
import type { ResumeMode, TrainRunResult } from "../train/run-options.js";
import { formatCount } from "./format.js";
import { parseInteger } from "./sampling-flags.js";

/** The flags {@link addRunOptions} registers, as commander parses them. */
export interface RunFlags {
  resume?: boolean;
  restart?: boolean;
  checkpoint?: string;
  log?: string;
  threads?: number;
  json?: boolean;
}

/**
 * Registers the run-control flags, in this order: --resume, --restart, --checkpoint <file>,
 * --log <file>, -t/--threads <n>, --json. Returns `cmd`.
 */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option("--resume", "continue from the checkpoint, and fail if there is none (default: continue when it exists)")
    .option("--restart", "ignore an existing checkpoint and start over (it is overwritten)")
    .option("--checkpoint <file>", "checkpoint path (default: NAME.ckpt.gguf beside --out)")
    .option("--log <file>", "JSON-lines log path (default: NAME.log.jsonl beside --out)")
    .option("-t, --threads <n>", "compute threads (default: all cores)", parseInteger)
    .option("--json", "print the result as one JSON object");
}

/**
 * The resume mode the flags ask for: --resume "require", --restart "never", neither "auto".
 * @throws GlassboxError INVALID_OPTION when both are given.
 */
export function resumeModeOf(f: RunFlags): ResumeMode {
  if (f.resume && f.restart) throw new GlassboxError("INVALID_OPTION", "--resume and --restart contradict each other");
  return f.resume ? "require" : f.restart ? "never" : "auto";
}

/** @throws GlassboxError INVALID_OPTION when --threads is given and below 1. */
export function checkThreads(f: RunFlags): void {
  if (f.threads !== undefined && f.threads < 1) throw new GlassboxError("INVALID_OPTION", `--threads must be >= 1, got ${f.threads}`);
}

/** Report rows about the run itself: steps (and where it resumed), tokens and throughput, final loss. */
export function runRows(r: TrainRunResult): [string, string][] {
  return [
    ["steps", `${r.steps} of ${r.maxSteps}` + (r.resumedFrom > 0 ? ` (resumed at ${r.resumedFrom})` : "")],
    ["tokens", `${formatCount(r.tokens)} in ${r.elapsed.toFixed(1)} s (${(r.tokens / Math.max(r.elapsed, 1e-9)).toFixed(0)} tokens/s overall)`],
    ["final loss", Number.isFinite(r.loss) ? r.loss.toFixed(4) : "n/a"],
  ];
}

/** Report rows naming the files written beside the output: log, loss curve, checkpoint. */
export function runFileRows(r: TrainRunResult): [string, string][] {
  return [
    ["log", r.logPath],
    ["loss curve", r.chartPath],
    ["checkpoint", r.checkpointPath],
  ];
}
