/** WebAssembly kernels: loader, arena, and the `Kernels` implementation. */
export { loadWasmKernels, WasmKernels, type WasmKernelOptions } from "./kernels.js";
export { Arena, ARENA_BASE } from "./arena.js";
export { wasmDir } from "./locate.js";
