// Tensor types: bit-exact ggml block formats (dequantize + quantize), the traits table, and
// llama-quantize's per-tensor type policy.
export * from "./traits.js";
export * from "./float16.js";
export { KVALUES_IQ4NL } from "./iq4.js";
