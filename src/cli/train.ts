// `glassbox train --config c.json <corpus...> --out model.gguf`: pre-train a llama model from scratch (train/pretrain.ts).
import type { Command } from "commander";
import { readPretrainConfig } from "../train/config.js";
import { pretrain, type PretrainResult } from "../train/pretrain.js";
import { formatCount, printKeyValues } from "./format.js";
import { startProgress } from "./progress.js";
import { addRunOptions, checkThreads, resumeModeOf, runFileRows, runRows, type RunFlags } from "./train-run.js";

interface TrainFlags extends RunFlags {
  config: string;
  out: string;
  tokenizer?: string;
}

export function registerTrain(program: Command): void {
  const cmd = program
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
    .option("--tokenizer <file>", "use the vocabulary of this GGUF instead of training a tokenizer");
  addRunOptions(cmd)
    .action(async (corpus: string[], flags: TrainFlags) => {
      const mode = resumeModeOf(flags);
      checkThreads(flags);
      const config = readPretrainConfig(flags.config);
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
    ...runRows(r),
    ["held-out", ev ? `loss ${ev.loss.toFixed(4)}, ${ev.bits_per_byte.toFixed(4)} bits/byte over ${ev.bytes} bytes` : "(none)"],
    ...runFileRows(r),
  ];
  if (r.tokenizerOut) rows.push(["tokenizer", r.tokenizerOut]);
  printKeyValues(rows);
}
