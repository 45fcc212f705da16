// Public library entry point: every CLI command is a thin layer over what is exported here.
export * from "./errors.js";
export * from "./formats/gguf/index.js";
export * from "./formats/safetensors/index.js";
export { inspectFile, sniffFormat, type FileSummary, type SafetensorsFileSummary } from "./formats/inspect.js";
export { summarizeGguf, type ModelSummary } from "./formats/inspect-gguf.js";
export * from "./quant/index.js";
export { quantizeGgufFile, type QuantizeFileOptions, type QuantizeFileResult } from "./quant/quantize-file.js";
export * from "./tokenizer/index.js";
export * from "./tokenizer/chat/index.js";
export * from "./generate/index.js";
export * as kernels from "./kernels/index.js";
export * from "./models/index.js";
export * from "./backends/index.js";
export * as train from "./train/index.js";
