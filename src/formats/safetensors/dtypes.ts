/**
 * safetensors element types: the `dtype` strings a header may name, their byte size, and their
 * rank in the reference implementation's `Dtype` enum (huggingface/safetensors,
 * safetensors/src/tensor.rs), which is ordered by increasing alignment. The reference writer
 * places tensors in descending rank, then by name, so that every tensor's data is aligned to
 * its element size; our writer does the same (see writer.ts).
 *
 * Newer safetensors releases add F4, F6_*, F8_E8M0, F8_*FNUZ and C64; they are not accepted
 * here yet and are rejected as unknown dtypes (SAFETENSORS_BAD_DTYPE).
 */

/** A dtype string as written in a safetensors header. */
export type SafetensorsDtype =
  | "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "I16" | "U16" | "F16" | "BF16"
  | "I32" | "U32" | "F32" | "F64" | "I64" | "U64";

export interface SafetensorsDtypeInfo {
  readonly name: SafetensorsDtype;
  /** Bytes per element. */
  readonly size: number;
  /** Position in the reference `Dtype` enum (increasing alignment); the writer sorts descending. */
  readonly rank: number;
}

/** The table, in the reference enum's order (rank = index). */
export const SAFETENSORS_DTYPES: readonly SafetensorsDtypeInfo[] = (
  [
    ["BOOL", 1], ["U8", 1], ["I8", 1], ["F8_E5M2", 1], ["F8_E4M3", 1], ["I16", 2], ["U16", 2],
    ["F16", 2], ["BF16", 2], ["I32", 4], ["U32", 4], ["F32", 4], ["F64", 8], ["I64", 8], ["U64", 8],
  ] as const
).map(([name, size], rank) => ({ name, size, rank }));

const BY_NAME = new Map<string, SafetensorsDtypeInfo>(SAFETENSORS_DTYPES.map((d) => [d.name, d]));

/** The table entry for a dtype string, or undefined when the string is not a known dtype. */
export function safetensorsDtypeInfo(name: string): SafetensorsDtypeInfo | undefined {
  return BY_NAME.get(name);
}

/** True when `name` is one of the accepted dtype strings (case-sensitive, as the spec spells them). */
export function isSafetensorsDtype(name: string): name is SafetensorsDtype {
  return BY_NAME.has(name);
}
