export * from "./types.js";
export * from "./ggml-types.js";
export * from "./reader.js";
export * from "./writer.js";
export * from "./kv.js";
export * from "./strings.js";
export * from "./tensor-view.js";
export type { ByteSource as GgufByteSource } from "./source.js";
export * from "./file-types.js";
