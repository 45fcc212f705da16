/**
 * ggml tensor types as stored in GGUF tensor infos: id, name, elements per block and bytes per
 * block. Source: ggml/include/ggml.h (`enum ggml_type`) and the `type_traits` table in
 * ggml/src/ggml.c. Ids 4, 5, 31-33 and 36-38 were removed upstream and are rejected.
 */
export interface GgmlTypeInfo {
  readonly id: number;
  /** ggml's lower-case name (`q4_K`, `f16`, ...). */
  readonly name: string;
  /** Elements per block (1 for plain types, 32 or 256 for quantized ones). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
}

const TABLE: readonly GgmlTypeInfo[] = [
  { id: 0, name: "f32", blockSize: 1, typeSize: 4 },
  { id: 1, name: "f16", blockSize: 1, typeSize: 2 },
  { id: 2, name: "q4_0", blockSize: 32, typeSize: 18 },
  { id: 3, name: "q4_1", blockSize: 32, typeSize: 20 },
  { id: 6, name: "q5_0", blockSize: 32, typeSize: 22 },
  { id: 7, name: "q5_1", blockSize: 32, typeSize: 24 },
  { id: 8, name: "q8_0", blockSize: 32, typeSize: 34 },
  { id: 9, name: "q8_1", blockSize: 32, typeSize: 36 },
  { id: 10, name: "q2_K", blockSize: 256, typeSize: 84 },
  { id: 11, name: "q3_K", blockSize: 256, typeSize: 110 },
  { id: 12, name: "q4_K", blockSize: 256, typeSize: 144 },
  { id: 13, name: "q5_K", blockSize: 256, typeSize: 176 },
  { id: 14, name: "q6_K", blockSize: 256, typeSize: 210 },
  { id: 15, name: "q8_K", blockSize: 256, typeSize: 292 },
  { id: 16, name: "iq2_xxs", blockSize: 256, typeSize: 66 },
  { id: 17, name: "iq2_xs", blockSize: 256, typeSize: 74 },
  { id: 18, name: "iq3_xxs", blockSize: 256, typeSize: 98 },
  { id: 19, name: "iq1_s", blockSize: 256, typeSize: 50 },
  { id: 20, name: "iq4_nl", blockSize: 32, typeSize: 18 },
  { id: 21, name: "iq3_s", blockSize: 256, typeSize: 110 },
  { id: 22, name: "iq2_s", blockSize: 256, typeSize: 82 },
  { id: 23, name: "iq4_xs", blockSize: 256, typeSize: 136 },
  { id: 24, name: "i8", blockSize: 1, typeSize: 1 },
  { id: 25, name: "i16", blockSize: 1, typeSize: 2 },
  { id: 26, name: "i32", blockSize: 1, typeSize: 4 },
  { id: 27, name: "i64", blockSize: 1, typeSize: 8 },
  { id: 28, name: "f64", blockSize: 1, typeSize: 8 },
  { id: 29, name: "iq1_m", blockSize: 256, typeSize: 56 },
  { id: 30, name: "bf16", blockSize: 1, typeSize: 2 },
  { id: 34, name: "tq1_0", blockSize: 256, typeSize: 54 },
  { id: 35, name: "tq2_0", blockSize: 256, typeSize: 66 },
  { id: 39, name: "mxfp4", blockSize: 32, typeSize: 17 },
];

const BY_ID = new Map<number, GgmlTypeInfo>(TABLE.map((t) => [t.id, t]));
const BY_NAME = new Map<string, GgmlTypeInfo>(TABLE.map((t) => [t.name.toLowerCase(), t]));

/** Named ids of the common types, so code says `GgmlType.Q4_K` instead of 12. */
export const GgmlType = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q8_1: 9,
  Q2_K: 10, Q3_K: 11, Q4_K: 12, Q5_K: 13, Q6_K: 14, Q8_K: 15,
  IQ4_NL: 20, IQ4_XS: 23, I8: 24, I16: 25, I32: 26, I64: 27, F64: 28, BF16: 30,
  TQ1_0: 34, TQ2_0: 35, MXFP4: 39,
} as const;

/** Type info for a ggml type id, or undefined when the id is unknown or removed. */
export function ggmlTypeInfo(id: number): GgmlTypeInfo | undefined {
  return BY_ID.get(id);
}

/** Type info by ggml name, case-insensitive (`Q4_K`, `q4_k`); undefined when unknown. */
export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/** All known types in id order. */
export function ggmlTypes(): readonly GgmlTypeInfo[] {
  return TABLE;
}
