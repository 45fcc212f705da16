// WebAssembly SIMD128 kernels (AssemblyScript). Pointers are byte offsets into the imported
// shared memory. Parallel kernels take (ith, nth) last: their work comes in chunks that the nth
// threads of a job claim from a shared counter (common.ts), ith picks per-thread scratch.
// The relaxed-SIMD build (relaxed.ts) re-exports this file compiled with relaxed_madd.
export { pack_a, pack_at, pack_b, pack_bt, gemm_packed, gemm_wt } from "./gemm";
export { quantize_q8_0, quantize_q8_k, round_f16, round_f16_scaled } from "./act";
export { matmul_q, matmul_q_multi } from "./quant";
export { qgemm, qgemm_scratch_bytes } from "./qgemm";
export { rms_norm, layer_norm, softmax, rope, attention, attention_gemm, attention_gemm_scratch_bytes, silu, swiglu, gelu, binary, scale, binary_row } from "./ops";
export { f32_to_half, set_chunk_counter } from "./common";
export { stream_sum } from "./probe";

/** 1 in the relaxed-SIMD build, 0 otherwise. */
export function relaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
