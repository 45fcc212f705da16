// `glassbox tokenizer train <files...>`: train a byte-level BPE tokenizer and write it as a vocabulary-only GGUF.
import { type Command, InvalidArgumentError } from "commander";
import { trainTokenizerFiles, type TrainFilesSummary } from "../tokenizer/train-files.js";
import { formatBytes, printKeyValues } from "./format.js";
import { startProgress, type Progress } from "./progress.js";

// Plain decimal only: Number() would also take "0x200", "1e3" and " " (as 0).
function positiveInt(v: string): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

function fraction(v: string): number {
  const n = /^\d*\.?\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError("must be a number from 0 to below 1");
  return n;
}

/** Finds the `tokenizer` command group, creating it if no other command file did. */
function tokenizerGroup(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === "tokenizer");
  return existing ?? program.command("tokenizer").description("Tokenizer tools");
}

export function registerTokenizerTrain(program: Command): void {
  tokenizerGroup(program)
    .command("train")
    .description(
      "Train a byte-level BPE tokenizer (GPT-2 style: 256-byte alphabet, GPT-2 pre-tokenizer) on UTF-8 text files " +
        "and write it as a vocabulary-only GGUF (tokenizer.ggml.model=gpt2, pre=gpt-2) that llama.cpp loads. " +
        "<|endoftext|> is token 0 (BOS and EOS). The last --holdout of the corpus is kept out of training to report bytes per token.",
    )
    .argument("<files...>", "training text files (UTF-8), read in order")
    .requiredOption("--vocab-size <n>", "vocabulary size, counting special tokens and the 256 byte tokens", positiveInt)
    .requiredOption("--out <file>", "output .gguf path (written atomically)")
    .option("--special <tokens>", "extra special tokens, comma-separated (token type CONTROL)")
    .option("--holdout <fraction>", "fraction of the corpus (from its end) held out to measure bytes per token", fraction, 0.05)
    .option("--min-frequency <n>", "do not merge pairs seen fewer times", positiveInt, 2)
    .option("--name <name>", "general.name in the GGUF", "glassbox-bpe")
    .option("--add-bos", "set tokenizer.ggml.add_bos_token (default: false, as GPT-2)")
    .option("--json", "print the summary as one JSON object")
    .action(async (files: string[], opts: {
      vocabSize: number; out: string; special?: string; holdout: number; minFrequency: number;
      name: string; addBos?: boolean; json?: boolean;
    }) => {
      let bar: Progress | undefined;
      let phase = "";
      const summary = await trainTokenizerFiles(files, {
        vocabSize: opts.vocabSize, out: opts.out,
        extraSpecialTokens: opts.special ? opts.special.split(",").map((s) => s.trim()).filter((s) => s !== "") : [],
        holdOut: opts.holdout, minFrequency: opts.minFrequency, name: opts.name, addBos: !!opts.addBos,
        onProgress: (p, done, total) => {
          if (p !== phase) {
            bar?.stop();
            phase = p;
            bar = startProgress(p === "count" ? "counting words" : "merging", total, { unit: p === "count" ? "bytes" : "items", enabled: !opts.json });
          }
          bar!.update(done);
        },
      });
      bar?.stop();
      if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
      else printSummary(summary);
    });
}

function printSummary(s: TrainFilesSummary): void {
  const rows: [string, string][] = [
    ["output", s.out === null ? "(none)" : `${s.out} (${formatBytes(s.outBytes ?? 0)})`],
    ["vocabulary", `${s.vocabSize} tokens (asked ${s.requestedVocabSize}; ${s.specialTokens.length} special, 256 bytes, ${s.merges} merges; stopped: ${s.stoppedBecause})`],
    ["special tokens", s.specialTokens.join(" ")],
    ["training text", `${formatBytes(s.trainBytes)} in ${s.files.length} file(s), ${s.words} words, ${s.uniqueWords} distinct`],
    ["time", `${(s.countSeconds + s.mergeSeconds).toFixed(2)} s (count ${s.countSeconds.toFixed(2)} s, merge ${s.mergeSeconds.toFixed(2)} s)`],
    ["training speed", `${s.trainMBPerSecond.toFixed(2)} MB/s`],
    ["held-out", s.heldOutTokens === null ? "(none)" : `${formatBytes(s.heldOutBytes)} -> ${s.heldOutTokens} tokens = ${s.heldOutBytesPerToken!.toFixed(3)} bytes/token`],
  ];
  printKeyValues(rows);
}
