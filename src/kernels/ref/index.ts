/**
 * Reference (plain TypeScript) kernels: the numerics definition that the WebAssembly kernels
 * are tested against, following llama.cpp's CPU backend. Conventions: see `tensor.ts`
 * (row-major Float32Array + explicit sizes) and `weights.ts` (weights stay in ggml layout).
 */
export * from "./tensor.js";
export * from "./fp16.js";
export * from "./weights.js";
export * from "./quantize-act.js";
export * from "./dequant.js";
export * from "./matmul.js";
export * from "./norm.js";
export * from "./rope.js";
export * from "./softmax.js";
export * from "./attention.js";
export * from "./activations.js";
export * from "./elementwise.js";
