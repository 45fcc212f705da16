export * from "./types.js";
export * from "./ggml-types.js";
export * from "./reader.js";
