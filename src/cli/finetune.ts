// `glassbox finetune <base.gguf> <data...> --out adapter.gguf`: LoRA fine-tuning (train/finetune.ts), adapters in llama.cpp's format.
import type { Command } from "commander";
import { GlassboxError } from "../errors.js";
import { finetune, type FinetuneResult } from "../train/finetune.js";
import { LORA_TARGETS, parseLoraTargets } from "../train/lora-config.js";
import { formatBytes, formatCount, printKeyValues } from "./format.js";
import { startProgress } from "./progress.js";
import { parseInteger, parseNumber } from "./sampling-flags.js";
import { addRunOptions, checkThreads, resumeModeOf, runFileRows, runRows, type RunFlags } from "./train-run.js";

interface FinetuneFlags extends RunFlags {
  out: string;
  rank: number;
  alpha: number;
  dropout: number;
  targets: string;
  init: string;
  lr?: number;
  minLr?: number;
  warmup?: number;
  steps?: number;
  epochs?: number;
  batchSize?: number;
  gradAccum?: number;
  ctxSize?: number;
  seed?: number;
  clip?: number;
  weightDecay?: number;
  heldOut?: number;
  evalEvery?: number;
  checkpointEvery?: number;
  merge?: string;
  adapterType: string;
  chatTemplate?: string;
}

export function registerFinetune(program: Command): void {
  const cmd = program
    .command("finetune")
    .description(
      "LoRA fine-tuning of a llama GGUF (F32, F16 or quantized: a quantized base stays quantized and is dequantized per matmul). " +
        "Only the low-rank A and B of the --targets train: W' = W + (alpha/rank)·B·A. Data: text files, JSONL {\"text\"}, or chat JSONL " +
        "{\"messages\"} (loss on the assistant turns only, the base's chat template); bad records are listed and skipped. " +
        "Writes the adapter as llama.cpp's convert_lora_to_gguf.py does (general.type=adapter, adapter.lora.alpha, " +
        "<tensor>.lora_a [n_in, r], <tensor>.lora_b [r, n_out]): load it with `glassbox run/chat --lora`, llama.cpp's --lora or " +
        "node-llama-cpp. Beside --out: NAME.ckpt.gguf (checkpoint), NAME.log.jsonl, NAME.loss.svg. An existing checkpoint is " +
        "resumed (same numbers as a run that never stopped); --restart starts over. Ctrl-C stops after the current step and " +
        "writes a checkpoint.",
    )
    .argument("<base>", "base model GGUF (llama architecture)")
    .argument("<data...>", "training data files or folders (.txt, .md, .jsonl)")
    .requiredOption("--out <file>", "adapter .gguf to write (atomically, when training ends)")
    .option("--rank <r>", "LoRA rank", parseInteger, 8)
    .option("--alpha <a>", "LoRA alpha (the update is scaled by alpha / rank)", parseNumber, 16)
    .option("--dropout <p>", "dropout on the LoRA input path, in [0, 1)", parseNumber, 0)
    .option("--targets <list>", `comma-separated matrices to adapt: ${LORA_TARGETS.join(", ")}, or "all" (all but output)`, "attn_q,attn_v")
    .option("--init <kind>", "A's initialisation: kaiming (PEFT's default) or gaussian", "kaiming")
    .option("--lr <x>", "peak learning rate (default 1e-4)", parseNumber)
    .option("--min-lr <x>", "floor of the cosine decay (default lr / 10)", parseNumber)
    .option("--warmup <n>", "linear warmup steps (default 0)", parseInteger)
    .option("--steps <n>", "optimizer steps (default: --epochs)", parseInteger)
    .option("--epochs <x>", "passes over the training data when --steps is not given (default 1)", parseNumber)
    .option("--batch-size <n>", "sequences per micro-batch (default 4)", parseInteger)
    .option("--grad-accum <n>", "micro-batches per optimizer step (default 1)", parseInteger)
    .option("-c, --ctx-size <n>", "training sequence length in tokens (default min(256, the model's context length))", parseInteger)
    .option("--seed <n>", "seed of A's init, the held-out split, the batch order and dropout (default 0)", parseInteger)
    .option("--clip <x>", "clip the global gradient norm, 0 = off (default 1)", parseNumber)
    .option("--weight-decay <x>", "AdamW weight decay on A and B (default 0)", parseNumber)
    .option("--held-out <fraction>", "fraction of records held out for evaluation (default 0)", parseNumber)
    .option("--eval-every <n>", "evaluate on the held-out records every n steps (default: at the end)", parseInteger)
    .option("--checkpoint-every <n>", "write a checkpoint every n steps, 0 = only at the end (default 50)", parseInteger)
    .option("--merge <file>", "also write the base with the adapter merged in (as llama.cpp's export-lora: F32 stays F32, others F16)")
    .option("--adapter-type <t>", "storage type of A and B: f32 or f16", "f32")
    .option("--chat-template <name>", "built-in chat template for chat records (default: the model's own)");
  addRunOptions(cmd)
    .action(async (base: string, data: string[], f: FinetuneFlags) => {
      const mode = resumeModeOf(f);
      if (f.steps !== undefined && f.epochs !== undefined) throw new GlassboxError("INVALID_OPTION", "give --steps or --epochs, not both");
      checkThreads(f);
      if (f.adapterType !== "f32" && f.adapterType !== "f16") throw new GlassboxError("INVALID_OPTION", `--adapter-type must be f32 or f16, got ${f.adapterType}`);
      if (f.init !== "kaiming" && f.init !== "gaussian") throw new GlassboxError("INVALID_OPTION", `--init must be kaiming or gaussian, got ${f.init}`);
      const quiet = !!f.json;
      const abort = new AbortController();
      const onSigint = (): void => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write("\nstopping after this step (a checkpoint is written); Ctrl-C again to quit now\n");
        abort.abort();
      };
      process.on("SIGINT", onSigint);
      const opt = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as Record<K, V>));
      let r: FinetuneResult;
      try {
        r = await finetune({
          base, data, out: f.out, resume: mode, signal: abort.signal,
          lora: { rank: f.rank, alpha: f.alpha, dropout: f.dropout, targets: parseLoraTargets(f.targets), init: f.init },
          training: {
            ...opt("lr", f.lr), ...opt("minLr", f.minLr), ...opt("warmupSteps", f.warmup), ...opt("steps", f.steps),
            ...opt("epochs", f.epochs), ...opt("batchSize", f.batchSize), ...opt("gradAccum", f.gradAccum), ...opt("nCtx", f.ctxSize),
            ...opt("seed", f.seed), ...opt("clip", f.clip), ...opt("weightDecay", f.weightDecay), ...opt("heldOut", f.heldOut),
            ...opt("evalEvery", f.evalEvery), ...opt("checkpointEvery", f.checkpointEvery),
          },
          adapterType: f.adapterType,
          ...opt("merge", f.merge), ...opt("chatTemplateName", f.chatTemplate), ...opt("checkpointPath", f.checkpoint),
          ...opt("logPath", f.log), ...opt("threads", f.threads),
          progress: (phase, total) => startProgress(phase, total, { enabled: !quiet }),
          onInfo: (line) => { if (!quiet) process.stderr.write(line + "\n"); },
        });
      } finally {
        process.off("SIGINT", onSigint);
      }
      if (quiet) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
      else printResult(r);
    });
}

function printResult(r: FinetuneResult): void {
  const ev = r.eval;
  const rows: [string, string][] = [
    ["adapter", r.status === "done" ? `${r.out} (LoRA r=${r.lora.rank}, alpha ${r.lora.alpha}, ${r.lora.targets.join(", ")}; ${formatCount(r.trainableCount)} values)` : "(not written: stopped early; run again to resume)"],
    ...runRows(r),
    ["held-out", ev ? `loss ${ev.loss.toFixed(4)} over ${ev.tokens} tokens` : "(none)"],
    ["base in memory", formatBytes(r.baseBytes)],
    ["data", `${r.data.recordsUsed} of ${r.data.recordsRead} records used` + (r.data.recordsSkipped ? `, ${r.data.recordsSkipped} skipped` : "")],
    ...runFileRows(r),
  ];
  if (r.merged) rows.push(["merged model", r.merged]);
  printKeyValues(rows);
}
