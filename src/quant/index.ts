// Tensor types: bit-exact ggml block formats (dequantize + quantize), the traits table, and
// llama-quantize's per-tensor type policy.
export {
  dequantizeTensor, quantizeTensor, quantizedSize, quantTraits, quantTypes,
  type DequantizeFn, type QuantizeFn, type QuantTraits,
} from "./traits.js";
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./float16.js";
export {
  FILE_TYPE, QUANTIZATION_VERSION, QUANT_POLICY_SUMMARY, QUANT_TARGETS, TARGET_BASE_TYPE,
  chooseTensorType, llamaQuantizeOrder, modelQuantInfo, planTensorTypes, resolveQuantTarget,
  tensorAllowsQuantization, type ModelQuantInfo, type PlannedTensorInput, type QuantTarget,
} from "./policy.js";
