/**
 * Typed views of raw tensor bytes by ggml type: f32 -> Float32Array, f64 -> Float64Array,
 * i8/i16/i32/i64 -> the signed typed array, f16 and bf16 -> Uint16Array of the raw half bits,
 * every block-quantized type -> Uint8Array of its blocks (layouts in quant/ and ggml-common.h).
 * Data is little-endian, as on every platform Node targets here.
 */
import { GlassboxError } from "../../errors.js";
import { GgmlType } from "./ggml-types.js";

/** What ggmlTensorView() returns for each family of ggml types. */
export type GgmlTensorData =
  | Float32Array | Float64Array | Uint16Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array;

/**
 * Views `bytes` (the whole tensor, ggml order, row-major over ne) as the typed array of ggml type
 * `type`. No copy when the bytes are suitably aligned in memory; otherwise one copy.
 * Throws GlassboxError `GGUF_BAD_TENSOR_SIZE` when the length is not a multiple of the element size.
 */
export function ggmlTensorView(type: number, bytes: Uint8Array): GgmlTensorData {
  const make = <T>(size: number, C: new (b: ArrayBufferLike, o: number, n: number) => T): T => {
    if (bytes.byteLength % size !== 0) {
      throw new GlassboxError("GGUF_BAD_TENSOR_SIZE", `${bytes.byteLength} bytes is not a whole number of ${size}-byte elements`);
    }
    const b = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
    return new C(b.buffer, b.byteOffset, b.byteLength / size);
  };
  switch (type) {
    case GgmlType.F32: return make(4, Float32Array);
    case GgmlType.F64: return make(8, Float64Array);
    case GgmlType.F16: case GgmlType.BF16: return make(2, Uint16Array);
    case GgmlType.I8: return make(1, Int8Array);
    case GgmlType.I16: return make(2, Int16Array);
    case GgmlType.I32: return make(4, Int32Array);
    case GgmlType.I64: return make(8, BigInt64Array);
    default: return bytes;
  }
}
