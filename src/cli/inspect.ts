// `glassbox inspect <file>`: what is inside a GGUF or safetensors file, without reading its tensor data.
import type { Command } from "commander";
import { inspectFile, type FileSummary } from "../formats/inspect.js";
import { sha256File } from "../util/sha256-file.js";
import { startProgress } from "./progress.js";
import { formatBytes, formatCount, printableText, printTable, printKeyValues } from "./format.js";

export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description("Show a model file's architecture, sizes, tokenizer, chat template, quantization mix and provenance (GGUF or safetensors). Reads the header only.")
    .argument("<file>", "a .gguf or .safetensors file")
    .option("--json", "print one JSON object")
    .option("--tensors", "add the per-tensor table (name, type, shape in ggml order, bytes)")
    .option("--sha256", "also hash the whole file (reads every byte; shows a progress bar)")
    .action(async (file: string, opts: { json?: boolean; tensors?: boolean; sha256?: boolean }) => {
      const summary: FileSummary & { sha256?: string } = inspectFile(file, { tensors: !!opts.tensors });
      if (opts.sha256) {
        const bar = startProgress("sha256", summary.fileSize, { unit: "bytes", enabled: !opts.json });
        summary.sha256 = await sha256File(file, (d) => bar.update(d));
        bar.stop();
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
        return;
      }
      printSummary(summary);
    });
}

function printSummary(s: FileSummary & { sha256?: string }): void {
  const lines: [string, string][] = [];
  // Keys and values can come from the file: escape control characters (see printableText).
  const add = (k: string, v: string | number | null | undefined) => {
    if (v !== null && v !== undefined && v !== "") lines.push([printableText(k), printableText(String(v))]);
  };
  if (s.format === "gguf") {
    add("format", `GGUF v${s.ggufVersion}`);
    add("architecture", s.architecture ?? "(none)");
    add("name", s.name);
    add("parameters", `${formatCount(s.parameters)} (${s.parameters})`);
    add("context length", s.contextLength);
    add("embedding size", s.embeddingLength);
    add("layers", s.blockCount);
    add("heads / kv heads", s.headCount === null ? null : `${s.headCount} / ${s.headCountKv}`);
    add("feed-forward size", s.feedForwardLength);
    add("vocabulary", s.vocabSize);
    add("tokenizer", s.tokenizerModel === null ? null : `${s.tokenizerModel}${s.tokenizerPre ? ` (pre: ${s.tokenizerPre})` : ""}`);
    add("file type", s.fileType === null ? null : `${s.fileType}${s.fileTypeName ? ` (${s.fileTypeName})` : ""}`);
    for (const [k, v] of Object.entries(s.provenance)) add(k.replace(/_/g, " "), v);
    add("tensors / kv", `${s.tensorCount} / ${s.kvCount}`);
  } else {
    add("format", "safetensors");
    add("parameters", `${formatCount(s.parameters)} (${s.parameters})`);
    add("tensors", s.tensorCount);
    for (const [k, v] of Object.entries(s.metadata)) add(`metadata ${k}`, v);
  }
  add("file size", `${formatBytes(s.fileSize)} (${s.fileSize} bytes)`);
  add("sha256", s.sha256);
  printKeyValues(lines);
  if (s.format === "gguf" && s.chatTemplateHead) {
    process.stdout.write(`chat template (first lines):\n${s.chatTemplateHead.map((l) => `  | ${printableText(l)}`).join("\n")}\n`);
  }
  process.stdout.write("\nquantization mix:\n");
  if (s.quantizationMix.length === 0) process.stdout.write("  (no tensors: a vocabulary-only or metadata-only file)\n");
  else printTable(["type", "tensors", "parameters", "bytes"], s.quantizationMix.map((m) => [m.type, String(m.tensors), formatCount(m.parameters), formatBytes(m.bytes)]));
  if (s.tensors) {
    process.stdout.write("\ntensors:\n");
    printTable(["name", "type", s.format === "gguf" ? "shape (ggml ne, row length first)" : "shape (row-major)", "bytes"], s.tensors.map((t) => [t.name, t.type, t.ne.join(" x "), String(t.bytes)]));
  }
}
