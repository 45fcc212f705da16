/**
 * Weight matrices as stored in GGUF, kept in their (possibly quantized) byte layout.
 *
 * A GGUF weight with ggml dims `ne = [n_in, n_out]` is `n_out` rows of `n_in` elements; each row
 * is `rowBytes(type, n_in)` bytes, rows are contiguous. `matmul(out, x, n, w)` computes
 * `out[t][o] = sum_i x[t][i] * W[o][i]`, i.e. ggml_mul_mat(w, x). Block layouts: ggml's
 * ggml-common.h (block_q8_0, block_q4_0, block_q4_K, block_q6_K) and /work/shared/vectors
 * README "quant/".
 */
import { GlassboxError } from "../../errors.js";
import { GgmlType, ggmlTypeInfo } from "../../formats/gguf/ggml-types.js";

/** The ggml types the kernels can multiply with (and dequantize for get_rows). */
export const SUPPORTED_WEIGHT_TYPES: readonly number[] = [
  GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K,
];

/** A 2-D weight in ggml layout: `nOut` rows of `nIn` elements of ggml type `type`. */
export interface WeightMatrix {
  /** ggml type id (GgmlType.F32, F16, Q8_0, Q4_0, Q4_K, Q6_K). */
  readonly type: number;
  /** ne[0]: elements per row (the input size of the matmul). */
  readonly nIn: number;
  /** ne[1]: number of rows (the output size of the matmul). */
  readonly nOut: number;
  /** Raw bytes, `nOut * rowBytes(type, nIn)` long, 4-byte aligned (see {@link weightMatrix}). */
  readonly data: Uint8Array;
  /** Bytes per row. */
  readonly rowBytes: number;
}

/** Bytes of one row of `n` elements of ggml type `type`; throws KERNEL_BAD_SHAPE when n is not a multiple of the block size. */
export function rowBytes(type: number, n: number): number {
  const info = ggmlTypeInfo(type);
  if (!info) throw new GlassboxError("KERNEL_UNSUPPORTED_TYPE", `unknown ggml type ${type}`);
  if (n % info.blockSize !== 0) {
    throw new GlassboxError("KERNEL_BAD_SHAPE", `row length ${n} is not a multiple of ${info.name}'s block size ${info.blockSize}`);
  }
  return (n / info.blockSize) * info.typeSize;
}

/**
 * Wraps GGUF tensor bytes as a weight matrix. `ne` is in ggml order; `ne[2..]` must be 1 (a 1-D
 * tensor is treated as one row). The bytes are used in place when 4-byte aligned, else copied once.
 * @throws KERNEL_UNSUPPORTED_TYPE for types other than SUPPORTED_WEIGHT_TYPES;
 *         KERNEL_BAD_SHAPE when `data` is shorter than the dims need.
 */
export function weightMatrix(type: number, ne: readonly number[], data: Uint8Array): WeightMatrix {
  if (!SUPPORTED_WEIGHT_TYPES.includes(type)) {
    throw new GlassboxError("KERNEL_UNSUPPORTED_TYPE", `weight type ${ggmlTypeInfo(type)?.name ?? type} is not supported by the kernels`);
  }
  const nIn = ne[0] ?? 0;
  const nOut = ne[1] ?? 1;
  for (let i = 2; i < ne.length; i++) {
    if (ne[i] !== 1) throw new GlassboxError("KERNEL_BAD_SHAPE", `weight must be 2-D, got ne=[${ne.join(",")}]`);
  }
  const rb = rowBytes(type, nIn);
  const need = rb * nOut;
  if (data.byteLength < need) throw new GlassboxError("KERNEL_BAD_SHAPE", `weight data has ${data.byteLength} bytes, needs ${need}`);
  let bytes = data.subarray(0, need);
  if (bytes.byteOffset % 4 !== 0) bytes = bytes.slice();
  return { type, nIn, nOut, data: bytes, rowBytes: rb };
}
