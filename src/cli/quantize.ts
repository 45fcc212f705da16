// `glassbox quantize <in.gguf> <out.gguf> --type T`: llama-quantize's conversion, in TypeScript.
import type { Command } from "commander";
import { QUANT_POLICY_SUMMARY, QUANT_TARGETS } from "../quant/policy.js";
import { quantizeGgufFile } from "../quant/quantize-file.js";
import { formatBytes } from "./format.js";
import { startProgress } from "./progress.js";

export function registerQuantize(program: Command): void {
  program
    .command("quantize")
    .description("Convert a GGUF model's tensors to a quantized type, keeping all metadata; the output is written atomically.")
    .argument("<in>", "input GGUF (any type this build can dequantize)")
    .argument("<out>", "output GGUF path")
    .requiredOption("--type <type>", `target: ${QUANT_TARGETS.join(", ")} (q4_k = q4_k_m, as llama-quantize)`)
    .option("--json", "print the result as JSON")
    .addHelpText("after", `\nPer-tensor types: ${QUANT_POLICY_SUMMARY}\ngeneral.file_type and general.quantization_version are set as llama-quantize sets them.`)
    .action(async (input: string, output: string, opts: { type: string; json?: boolean }) => {
      let bar: ReturnType<typeof startProgress> | undefined;
      const r = await quantizeGgufFile(input, output, opts.type, {
        onProgress: (done, total, name) => {
          bar ??= startProgress(`quantize ${opts.type}`, total, { enabled: !opts.json });
          bar.update(done, name);
        },
      });
      bar?.stop();
      if (opts.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + "\n");
        return;
      }
      process.stdout.write(`wrote ${output}: ${formatBytes(r.inputBytes)} -> ${formatBytes(r.outputBytes)} (${r.target}, general.file_type ${r.fileType}) in ${r.seconds.toFixed(2)} s\n`);
      for (const m of r.mix) process.stdout.write(`  ${m.type.padEnd(6)} ${String(m.tensors).padStart(4)} ${m.tensors === 1 ? "tensor " : "tensors"}  ${formatBytes(m.bytes)}\n`);
    });
}
