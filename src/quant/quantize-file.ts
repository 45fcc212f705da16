/**
 * Whole-file quantization, as `llama-quantize in.gguf out.gguf <type>` does it: every tensor is
 * converted to the type the policy (policy.ts) chooses, all metadata is kept, and
 * `general.quantization_version` and `general.file_type` are set the way llama.cpp's
 * src/llama-quant.cpp does (gguf_set_val_u32 = remove the key, append it at the end), so that the
 * output is byte-identical to llama-quantize's for the deterministic quantizers.
 * The output is written atomically (temp file + rename), one tensor at a time.
 */
import { GlassboxError } from "../errors.js";
import { GgufFile } from "../formats/gguf/reader.js";
import { kv, writeGgufFile, type GgufTensorToWrite } from "../formats/gguf/index.js";
import type { GgufKV } from "../formats/gguf/types.js";
import { ggmlTypeInfo } from "../formats/gguf/ggml-types.js";
import { FILE_TYPE, QUANTIZATION_VERSION, llamaQuantizeOrder, modelQuantInfo, planTensorTypes, resolveQuantTarget } from "./policy.js";
import { dequantizeTensor, quantizeTensor, quantTraits } from "./traits.js";

export interface QuantizeFileOptions {
  /** Called after each tensor with the number of input elements done and the total. */
  onProgress?: (elementsDone: number, elementsTotal: number, tensorName: string) => void;
}

export interface QuantizeFileResult {
  target: string;
  fileType: number;
  inputBytes: number;
  outputBytes: number;
  /** Output tensors and bytes per ggml type. */
  mix: { type: string; tensors: number; bytes: number }[];
  seconds: number;
}

/**
 * Quantizes `inPath` to `outPath` for a llama-quantize target name (`q8_0`, `q4_0`, `q4_k`
 * (= q4_k_m), `q6_k`, ... see policy.ts QUANT_TARGETS).
 * In-place (outPath === inPath) is safe: the rename happens after the last read.
 * Errors: QUANT_BAD_TARGET, QUANT_NO_TENSORS, QUANT_UNSUPPORTED_TYPE (a source type that cannot be
 * dequantized or a target type that cannot be produced), any GGUF_* error of the input, FILE_IO.
 */
export async function quantizeGgufFile(
  inPath: string, outPath: string, targetName: string, options: QuantizeFileOptions = {},
): Promise<QuantizeFileResult> {
  const t0 = performance.now();
  const target = resolveQuantTarget(targetName);
  const src = GgufFile.open(inPath);
  try {
    if (src.tensors.length === 0) {
      throw new GlassboxError("QUANT_NO_TENSORS", `${inPath} has no tensors (a vocabulary-only or metadata-only file): nothing to quantize`);
    }
    const plan = planTensorTypes(src.tensors, target, modelQuantInfo((k) => src.get(k), src.tensors.map((t) => t.name)));
    for (const t of src.tensors) {
      const to = plan.get(t.name)!;
      if (to === t.type) continue;
      if (!quantTraits(t.type)?.dequantize) {
        throw new GlassboxError("QUANT_UNSUPPORTED_TYPE", `tensor '${t.name}' is ${ggmlTypeInfo(t.type)?.name}, which cannot be converted (no dequantizer)`);
      }
      if (!quantTraits(to)?.quantize) {
        throw new GlassboxError("QUANT_UNSUPPORTED_TYPE", `tensor '${t.name}' would need ${ggmlTypeInfo(to)?.name}, which this build cannot produce`);
      }
    }
    const meta: GgufKV[] = [...src.kv.values()].filter(
      (k) => k.key !== "general.quantization_version" && k.key !== "general.file_type"
        && k.key !== "split.no" && k.key !== "split.count" && k.key !== "split.tensors.count",
    );
    meta.push(kv.u32("general.quantization_version", QUANTIZATION_VERSION), kv.u32("general.file_type", FILE_TYPE[target]));
    const total = src.tensors.reduce((s, t) => s + t.nelements, 0);
    let done = 0;
    const mix = new Map<string, { type: string; tensors: number; bytes: number }>();
    // llama-quantize writes tensors in its loader's order (non-layer tensors first, then by layer, then name).
    const tensors: GgufTensorToWrite[] = llamaQuantizeOrder(src.tensors).map((t) => {
      const to = plan.get(t.name)!;
      const name = ggmlTypeInfo(to)!.name;
      const m = mix.get(name) ?? { type: name, tensors: 0, bytes: 0 };
      m.tensors++;
      m.bytes += (t.nelements / ggmlTypeInfo(to)!.blockSize) * ggmlTypeInfo(to)!.typeSize;
      mix.set(name, m);
      return {
        name: t.name, ne: t.ne, type: to,
        data: () => {
          const bytes = src.tensorBytes(t);
          const out = to === t.type ? bytes : quantizeTensor(to, dequantizeTensor(t.type, bytes, t.nelements));
          done += t.nelements;
          options.onProgress?.(done, total, t.name);
          return out;
        },
      };
    });
    await writeGgufFile(outPath, { version: src.header.version === 2 ? 2 : 3, kv: meta, tensors });
    const outBytes = GgufFile.open(outPath);
    const outputBytes = outBytes.header.fileSize;
    outBytes.close();
    return {
      target, fileType: FILE_TYPE[target], inputBytes: src.header.fileSize, outputBytes,
      mix: [...mix.values()].sort((a, b) => b.bytes - a.bytes), seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    src.close();
  }
}
