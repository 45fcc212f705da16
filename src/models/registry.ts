/**
 * Which class runs which `general.architecture`, and `loadModel`, the one entry point that
 * turns an open GGUF file into a runnable model.
 */
import { GlassboxError } from "../errors.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import type { Kernels } from "../kernels/api.js";
import { BloomModel } from "./bloom.js";
import { FalconModel } from "./falcon.js";
import { Gpt2Model } from "./gpt2.js";
import { GptNeoXModel } from "./gptneox.js";
import { readArchitecture } from "./hparams.js";
import { LlamaModel } from "./llama.js";
import { withLora } from "./lora-kernels.js";
import type { LoadModelOptions, Model } from "./model.js";
import { Qwen2Model } from "./qwen2.js";

/** Builds a model from a GGUF file whose keys use the prefix `keyArch`. */
export type ModelFactory = (gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions, keyArch: string) => Model;

/** The families, keyed by general.architecture. */
export const MODEL_FAMILIES: Readonly<Record<string, ModelFactory>> = {
  llama: (g, k, o, a) => new LlamaModel(g, k, o, a),
  qwen2: (g, k, o, a) => new Qwen2Model(g, k, o, a),
  gpt2: (g, k, o, a) => new Gpt2Model(g, k, o, a),
  gptneox: (g, k, o, a) => new GptNeoXModel(g, k, o, a),
  falcon: (g, k, o, a) => new FalconModel(g, k, o, a),
  bloom: (g, k, o, a) => new BloomModel(g, k, o, a),
};

/**
 * Architecture names that are exactly another family's layout (keys keep their own prefix).
 * Mistral, TinyLlama, SmolLM and DeepSeek-LLM are written as "llama" by llama.cpp's converter
 * already; "mistral" is accepted for files made by other tools.
 */
export const ARCH_ALIASES: Readonly<Record<string, string>> = {
  mistral: "llama",
};

/** Supported general.architecture values, sorted. */
export function supportedArchitectures(): string[] {
  return [...Object.keys(MODEL_FAMILIES), ...Object.keys(ARCH_ALIASES)].sort();
}

/**
 * Loads the model in `gguf` for `kernels` (refKernels or loadWasmKernels()). The weights are
 * read now (the file may be closed afterwards); quantized weights stay quantized.
 * @throws MODEL_UNSUPPORTED_ARCH naming the supported architectures; MODEL_BAD_METADATA for a
 *   missing or malformed key (named); MODEL_MISSING_TENSOR / MODEL_BAD_TENSOR; KERNEL_UNSUPPORTED_TYPE
 *   for a weight type the kernels cannot multiply; LORA_MISMATCH / LORA_UNSUPPORTED for an
 *   adapter (opts.lora) that does not fit the model.
 */
export function loadModel(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}): Model {
  const arch = readArchitecture(gguf);
  const name = Object.hasOwn(ARCH_ALIASES, arch) ? ARCH_ALIASES[arch]! : arch;
  const family = Object.hasOwn(MODEL_FAMILIES, name) ? MODEL_FAMILIES[name] : undefined;
  if (!family) {
    throw new GlassboxError("MODEL_UNSUPPORTED_ARCH", `architecture '${arch}' is not supported; supported: ${supportedArchitectures().join(", ")}`);
  }
  if (opts.lora === undefined || opts.lora.length === 0) return family(gguf, kernels, opts, arch);
  const lk = withLora(kernels, gguf, opts.lora); // matmuls on adapted weights add scale·B·(A·x)
  const model = family(gguf, lk.kernels, opts, arch);
  lk.assertAllUsed();
  return model;
}
