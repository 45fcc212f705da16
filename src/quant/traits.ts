/**
 * The tensor-type traits table, like ggml's `type_traits` (ggml/src/ggml.c): for each ggml type id
 * its block geometry (from formats/gguf/ggml-types.ts), a dequantizer and, where implemented, a
 * quantizer. Adding a type is one entry here. Every function works on whole blocks, row-major, in
 * ggml order (element 0 first); `n` must be a multiple of the block size.
 *
 * Implemented (dequantize / quantize, both bit-exact with ggml's reference code at llama.cpp
 * c392e509): f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K, q8_K,
 * iq4_nl, iq4_xs, tq1_0, tq2_0.
 */
import { GlassboxError } from "../errors.js";
import { GgmlType, ggmlTypeInfo, type GgmlTypeInfo } from "../formats/gguf/ggml-types.js";
import { dequantizeRowBf16, dequantizeRowF16, quantizeRowBf16, quantizeRowF16 } from "./float16.js";
import { dequantizeRowIQ4_NL, dequantizeRowIQ4_XS, quantizeRowIQ4_NL, quantizeRowIQ4_XS } from "./iq4.js";
import {
  dequantizeRowQ4_0, dequantizeRowQ4_1, dequantizeRowQ5_0, dequantizeRowQ5_1, dequantizeRowQ8_0,
  quantizeRowQ4_0, quantizeRowQ4_1, quantizeRowQ5_0, quantizeRowQ5_1, quantizeRowQ8_0,
} from "./legacy.js";
import { dequantizeRowQ2_K, quantizeRowQ2_K } from "./q2_k.js";
import { dequantizeRowQ3_K, quantizeRowQ3_K } from "./q3_k.js";
import { dequantizeRowQ4_K, quantizeRowQ4_K } from "./q4_k.js";
import { dequantizeRowQ5_K, quantizeRowQ5_K } from "./q5_k.js";
import { dequantizeRowQ6_K, quantizeRowQ6_K } from "./q6_k.js";
import { dequantizeRowQ8_K, quantizeRowQ8_K } from "./q8_k.js";
import { dequantizeRowTQ1_0, dequantizeRowTQ2_0, quantizeRowTQ1_0, quantizeRowTQ2_0 } from "./ternary.js";

/** Block bytes -> `n` float32 values (`n` a multiple of the block size; `src` holds n/blockSize blocks). */
export type DequantizeFn = (src: Uint8Array, dst: Float32Array, n: number) => void;
/** `n` float32 values -> n/blockSize blocks written at `dst[0..]`. */
export type QuantizeFn = (src: Float32Array, dst: Uint8Array, n: number) => void;

/** One row of the traits table. */
export interface QuantTraits {
  /** ggml id, name, elements per block (`blockSize`) and bytes per block (`typeSize`). */
  readonly info: GgmlTypeInfo;
  readonly dequantize: DequantizeFn;
  /** Absent where no quantizer is implemented. */
  readonly quantize?: QuantizeFn;
}

function copyF32Out(src: Uint8Array, dst: Float32Array, n: number): void {
  new Uint8Array(dst.buffer, dst.byteOffset, n * 4).set(src.subarray(0, n * 4));
}

function copyF32In(src: Float32Array, dst: Uint8Array, n: number): void {
  dst.set(new Uint8Array(src.buffer, src.byteOffset, n * 4));
}

const ENTRIES: ReadonlyArray<[number, DequantizeFn, QuantizeFn | undefined]> = [
  [GgmlType.F32, copyF32Out, copyF32In],
  [GgmlType.F16, dequantizeRowF16, quantizeRowF16],
  [GgmlType.BF16, dequantizeRowBf16, quantizeRowBf16],
  [GgmlType.Q4_0, dequantizeRowQ4_0, quantizeRowQ4_0],
  [GgmlType.Q4_1, dequantizeRowQ4_1, quantizeRowQ4_1],
  [GgmlType.Q5_0, dequantizeRowQ5_0, quantizeRowQ5_0],
  [GgmlType.Q5_1, dequantizeRowQ5_1, quantizeRowQ5_1],
  [GgmlType.Q8_0, dequantizeRowQ8_0, quantizeRowQ8_0],
  [GgmlType.Q2_K, dequantizeRowQ2_K, quantizeRowQ2_K],
  [GgmlType.Q3_K, dequantizeRowQ3_K, quantizeRowQ3_K],
  [GgmlType.Q4_K, dequantizeRowQ4_K, quantizeRowQ4_K],
  [GgmlType.Q5_K, dequantizeRowQ5_K, quantizeRowQ5_K],
  [GgmlType.Q6_K, dequantizeRowQ6_K, quantizeRowQ6_K],
  [GgmlType.Q8_K, dequantizeRowQ8_K, quantizeRowQ8_K],
  [GgmlType.IQ4_NL, dequantizeRowIQ4_NL, quantizeRowIQ4_NL],
  [GgmlType.IQ4_XS, dequantizeRowIQ4_XS, quantizeRowIQ4_XS],
  [GgmlType.TQ1_0, dequantizeRowTQ1_0, quantizeRowTQ1_0],
  [GgmlType.TQ2_0, dequantizeRowTQ2_0, quantizeRowTQ2_0],
];

const TRAITS = new Map<number, QuantTraits>();
for (const [id, dequantize, quantize] of ENTRIES) {
  const info = ggmlTypeInfo(id);
  if (info === undefined) throw new Error(`quant traits: unknown ggml type id ${id}`);
  TRAITS.set(id, quantize === undefined ? { info, dequantize } : { info, dequantize, quantize });
}

/** The traits of ggml type `typeId`, or undefined when this library has no dequantizer for it. */
export function quantTraits(typeId: number): QuantTraits | undefined {
  return TRAITS.get(typeId);
}

/** All implemented types, in ggml id order of the table above. */
export function quantTypes(): readonly QuantTraits[] {
  return [...TRAITS.values()];
}

function typeLabel(typeId: number): string {
  const info = ggmlTypeInfo(typeId);
  return info === undefined ? `ggml type id ${typeId}` : `${info.name} (ggml type ${typeId})`;
}

function requireTraits(typeId: number, forQuantize: boolean): QuantTraits {
  const t = TRAITS.get(typeId);
  if (t === undefined || (forQuantize && t.quantize === undefined)) {
    throw new GlassboxError("QUANT_UNSUPPORTED_TYPE",
      `${forQuantize ? "quantizing to" : "dequantizing"} ${typeLabel(typeId)} is not supported`);
  }
  return t;
}

function requireWholeBlocks(t: QuantTraits, nElements: number): number {
  if (!Number.isSafeInteger(nElements) || nElements < 0 || nElements % t.info.blockSize !== 0) {
    throw new GlassboxError("QUANT_BAD_SIZE",
      `${t.info.name} needs a whole number of ${t.info.blockSize}-element blocks, got ${nElements} elements`);
  }
  return (nElements / t.info.blockSize) * t.info.typeSize;
}

/**
 * Bytes of `nElements` values of ggml type `typeId` (ggml's `ggml_row_size`).
 * @throws GlassboxError QUANT_UNSUPPORTED_TYPE for an unknown id, QUANT_BAD_SIZE when nElements is not
 *   a whole number of blocks.
 */
export function quantizedSize(typeId: number, nElements: number): number {
  const info = ggmlTypeInfo(typeId);
  if (info === undefined) throw new GlassboxError("QUANT_UNSUPPORTED_TYPE", `unknown ${typeLabel(typeId)}`);
  return requireWholeBlocks({ info, dequantize: copyF32Out }, nElements);
}

/**
 * Dequantizes a whole tensor: `bytes` (exactly nElements/blockSize blocks) of ggml type `typeId` to a
 * new Float32Array of `nElements` values, in storage (ggml, row-major) order. Bit-exact with ggml's
 * `to_float`.
 * @throws GlassboxError QUANT_UNSUPPORTED_TYPE (no dequantizer), QUANT_BAD_SIZE (nElements not whole
 *   blocks, or bytes.length not the size those blocks need).
 */
export function dequantizeTensor(typeId: number, bytes: Uint8Array, nElements: number): Float32Array {
  const t = requireTraits(typeId, false);
  const need = requireWholeBlocks(t, nElements);
  if (bytes.length !== need) {
    throw new GlassboxError("QUANT_BAD_SIZE",
      `${t.info.name}: ${nElements} elements need ${need} bytes, got ${bytes.length}`);
  }
  const out = new Float32Array(nElements);
  t.dequantize(bytes, out, nElements);
  return out;
}

/**
 * Quantizes float32 values (ggml/row-major order; length a multiple of the block size) to ggml type
 * `typeId`, byte-identical with ggml's `ggml_quantize_chunk` without an importance matrix. Rows are
 * independent blocks, so a [rows x cols] tensor can be passed whole when cols is a multiple of the
 * block size. Writes into `out` when given (it must have exactly the needed length).
 * @throws GlassboxError QUANT_UNSUPPORTED_TYPE (no quantizer), QUANT_BAD_SIZE (not whole blocks, or
 *   `out` of the wrong length).
 */
export function quantizeTensor(typeId: number, values: Float32Array, out?: Uint8Array): Uint8Array {
  const t = requireTraits(typeId, true);
  const need = requireWholeBlocks(t, values.length);
  const dst = out ?? new Uint8Array(need);
  if (dst.length !== need) {
    throw new GlassboxError("QUANT_BAD_SIZE", `${t.info.name}: ${values.length} elements need ${need} bytes, out has ${dst.length}`);
  }
  t.quantize!(values, dst, values.length);
  return dst;
}
