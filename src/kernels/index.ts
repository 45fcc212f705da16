/** Compute kernels: `ref` is the plain TypeScript definition; see README.md beside this file. */
export * as ref from "./ref/index.js";
export { refKernels, type Kernels } from "./api.js";
export { loadWasmKernels, WasmKernels, type WasmKernelOptions } from "./wasm/index.js";
export { KernelPool, defaultThreads } from "./pool.js";
export type { WeightMatrix, RopeOptions, AttentionOptions } from "./ref/index.js";
export { weightMatrix } from "./ref/index.js";
