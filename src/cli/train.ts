// `glassbox train --config c.json <corpus...> --out model.gguf`: pre-train a llama model from scratch (train/pretrain.ts).
import type { Command } from "commander";
import { GlassboxError } from "../errors.js";
import { readPretrainConfig } from "../train/config.js";
import { pretrain, type PretrainResult, type ResumeMode } from "../train/pretrain.js";
import { formatCount } from "./format.js";
import { startProgress } from "./progress.js";
import { parseInteger } from "./sampling-flags.js";

interface TrainFlags {
  config: string;
  out: string;
  tokenizer?: string;
  resume?: boolean;
  restart?: boolean;
  checkpoint?: string;
  log?: string;
  threads?: number;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description(
      "Pre-train a llama-architecture model from scratch on text files: trains a byte-level BPE tokenizer on the corpus " +
        "(or uses --tokenizer), then the model per the JSON config (model: n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx, " +
        "vocab_size, tied; training: batch_size, grad_accum, lr, min_lr, warmup_steps, max_steps or epochs, weight_decay, " +
        "grad_clip, seed, eval_every, checkpoint_every, held_out; metadata: license, author, description, datasets). " +
        "Beside <out> it writes NAME.ckpt.gguf (checkpoint), NAME.log.jsonl (one JSON line per step and evaluation), " +
        "NAME.loss.svg (loss curve) and NAME.tokenizer.gguf. When the checkpoint exists the run continues from it " +
        "(the same losses as a run that never stopped); --restart starts over.",
    )
    .argument("<corpus...>", "text files or folders (.txt, .md, .jsonl from folders)")
    .requiredOption("--config <file>", "training config (JSON)")
    .requiredOption("--out <file>", "output model .gguf (written atomically when training ends)")
    .option("--tokenizer <file>", "use the vocabulary of this GGUF instead of training a tokenizer")
    .option("--resume", "continue from the checkpoint, and fail if there is none (default: continue when it exists)")
    .option("--restart", "ignore an existing checkpoint and start over (it is overwritten)")
    .option("--checkpoint <file>", "checkpoint path (default: NAME.ckpt.gguf beside --out)")
    .option("--log <file>", "JSON-lines log path (default: NAME.log.jsonl beside --out)")
    .option("-t, --threads <n>", "compute threads (default: all cores)", parseInteger)
    .option("--json", "print the result as one JSON object")
    .action(async (corpus: string[], flags: TrainFlags) => {
      if (flags.resume && flags.restart) throw new GlassboxError("INVALID_OPTION", "--resume and --restart contradict each other");
      if (flags.threads !== undefined && flags.threads < 1) throw new GlassboxError("INVALID_OPTION", `--threads must be >= 1, got ${flags.threads}`);
      const config = readPretrainConfig(flags.config);
      const mode: ResumeMode = flags.resume ? "require" : flags.restart ? "never" : "auto";
      const quiet = !!flags.json;
      const r = await pretrain({
        config, corpus, out: flags.out, resume: mode,
        ...(flags.tokenizer !== undefined ? { tokenizer: flags.tokenizer } : {}),
        ...(flags.checkpoint !== undefined ? { checkpointPath: flags.checkpoint } : {}),
        ...(flags.log !== undefined ? { logPath: flags.log } : {}),
        ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
        progress: (phase, total) => startProgress(phase, total, { enabled: !quiet }),
        onInfo: (line) => { if (!quiet) process.stderr.write(line + "\n"); },
      });
      if (quiet) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
      else printResult(r);
    });
}

function printResult(r: PretrainResult): void {
  const ev = r.eval;
  const rows: [string, string][] = [
    ["model", `${r.out} (${formatCount(r.parameterCount)} parameters, vocabulary ${r.vocabSize})`],
    ["steps", `${r.steps} of ${r.maxSteps}` + (r.resumedFrom > 0 ? ` (resumed at ${r.resumedFrom})` : "")],
    ["tokens", `${formatCount(r.tokens)} in ${r.elapsed.toFixed(1)} s (${(r.tokens / Math.max(r.elapsed, 1e-9)).toFixed(0)} tokens/s overall)`],
    ["final loss", Number.isFinite(r.loss) ? r.loss.toFixed(4) : "n/a"],
    ["held-out", ev ? `loss ${ev.loss.toFixed(4)}, ${ev.bits_per_byte.toFixed(4)} bits/byte over ${ev.bytes} bytes` : "(none)"],
    ["log", r.logPath],
    ["loss curve", r.chartPath],
    ["checkpoint", r.checkpointPath],
  ];
  if (r.tokenizerOut) rows.push(["tokenizer", r.tokenizerOut]);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}
