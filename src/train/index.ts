/** Training: the trainable llama, its GGUF import/export, AdamW, schedules and the train step. */
export { LlamaTrainable, checkLlamaConfig, type LlamaConfig, type LlamaBlock, type LlamaInitOptions, type ForwardOptions } from "./llama.js";
export { llamaToGguf, llamaFromGguf, llamaConfigFromGguf, type LlamaExportOptions } from "./llama-gguf.js";
export { AdamW, clipGradNorm, gradNorm, type AdamWOptions, type AdamWState } from "./optim.js";
export { lrAt, type CosineSchedule } from "./schedule.js";
export { trainStep, type MicroBatch, type TrainStepOptions, type TrainStepResult } from "./step.js";
export { mulberry32, fillNormal } from "./init.js";
export * from "./data/index.js";
export { TrainLog, readTrainLog } from "./log.js";
export { lossChartSvg, writeLossChart, lossSeriesFromLog } from "./chart.js";
export { LORA_TARGETS, DEFAULT_LORA_CONFIG, resolveLoraConfig, parseLoraTargets, loraScale, loraTensorName, type LoraConfig, type LoraTarget, type ResolvedLoraConfig } from "./lora-config.js";
export { LoraLlama, type LoraForwardOptions, type LoraLlamaOptions } from "./lora-llama.js";
export { FrozenMatrix } from "./lora-frozen.js";
export { loraLinear, type LoraParams, type LoraDropout } from "./lora-linear.js";
export { loraTrainStep, dropoutSeed, type LoraStepOptions } from "./lora-step.js";
export { loraAdapterToGguf, loraTensorsOf, addLoraDelta, mergeLoraIntoGguf, type LoraTensors, type LoraExportOptions } from "./lora-gguf.js";
export { finetune, resolveFinetuneTraining, baseFingerprint, type FinetuneOptions, type FinetuneTraining, type FinetuneResult } from "./finetune.js";
