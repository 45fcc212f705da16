/** Compute kernels: `ref` is the plain TypeScript definition; see README.md beside this file. */
export * as ref from "./ref/index.js";
