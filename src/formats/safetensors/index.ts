export * from "./dtypes.js";
export * from "./types.js";
export { SAFETENSORS_MAX_RANK, parseSafetensorsHeaderJson } from "./header-parser.js";
export * from "./reader.js";
export * from "./writer.js";
export * from "./summary.js";
