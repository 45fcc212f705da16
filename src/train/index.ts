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
