/** Model families (one file each), their shared layers, and `loadModel`. */
export { loadModel, MODEL_FAMILIES, ARCH_ALIASES, supportedArchitectures, type ModelFactory } from "./registry.js";
export { loadModelFile } from "./load-file.js";
export { TransformerModel, type Model, type EvalOptions, type LoadModelOptions } from "./model.js";
export { readHParams, readArchitecture, type HParams, type RopeScalingType } from "./hparams.js";
export { KvCache } from "./kv-cache.js";
export type { ActivationHook, ActivationShape } from "./layers.js";
export { LlamaModel } from "./llama.js";
export { Qwen2Model } from "./qwen2.js";
export { Gpt2Model } from "./gpt2.js";
export { GptNeoXModel } from "./gptneox.js";
export { FalconModel } from "./falcon.js";
export { BloomModel } from "./bloom.js";
export { readLoraAdapter, openLoraAdapter, checkLoraAgainstBase, loraWeightScale, nameWeight, weightName, LORA_A_SUFFIX, LORA_B_SUFFIX, type LoraAdapter, type LoraWeight, type AppliedLora } from "./lora.js";
export { withLora, type LoraKernels } from "./lora-kernels.js";
