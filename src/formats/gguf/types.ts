/**
 * GGUF value model. Layout source: ggml/docs/gguf.md and ggml/src/gguf.cpp (llama.cpp).
 * Every KV keeps its on-disk type so that read -> write reproduces the file byte for byte.
 */

/** On-disk value type codes (`enum gguf_type`). */
export const GgufValueType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6,
  BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** Lower-case names of the value types, indexed by code. */
export const GGUF_VALUE_TYPE_NAMES = [
  "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
] as const;

/** Numeric arrays are typed arrays (never JS arrays of numbers); 64-bit integers are BigInt. */
export type GgufNumericArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigUint64Array | BigInt64Array;

/** An array value: its element type and the items (typed array, booleans, strings or nested arrays). */
export interface GgufArray {
  readonly elementType: GgufValueType;
  readonly items: GgufNumericArray | boolean[] | string[] | GgufArray[];
}

/**
 * A scalar is number (8..32-bit ints, f32, f64), bigint (u64/i64), boolean or string. Strings
 * keep their exact bytes: bytes that are not valid UTF-8 appear as lone surrogates U+DC80..DCFF
 * (see strings.ts), which the writer turns back into the same bytes.
 */
export type GgufValue = number | bigint | boolean | string | GgufArray;

/** One metadata entry. */
export interface GgufKV {
  readonly key: string;
  readonly type: GgufValueType;
  readonly value: GgufValue;
}

/** One tensor info. `ne` is in ggml order: ne[0] is the row length (fastest-varying). */
export interface GgufTensorInfo {
  readonly name: string;
  /** Dimensions in ggml order (ne[0] = elements per row). Always 1..4 entries, each >= 1. */
  readonly ne: readonly number[];
  /** ggml type id (see ggml-types.ts). */
  readonly type: number;
  /** Offset of the data relative to the start of the tensor-data section, in bytes. */
  readonly offset: number;
  /** Size of the data in bytes (elements / blockSize * typeSize). */
  readonly nbytes: number;
  /** Total number of elements. */
  readonly nelements: number;
}

/** A parsed GGUF header: everything but the tensor bytes. */
export interface GgufHeader {
  readonly version: number;
  /** KVs in file order, keyed by name. */
  readonly kv: ReadonlyMap<string, GgufKV>;
  readonly tensors: readonly GgufTensorInfo[];
  /** Tensor data alignment (general.alignment, default 32). */
  readonly alignment: number;
  /** Absolute file offset where the tensor infos end (before the padding to the alignment). */
  readonly infoEnd: number;
  /** Absolute file offset where tensor data begins (infoEnd rounded up to the alignment when there are tensors). */
  readonly dataOffset: number;
  /** Size of the file or buffer that was parsed, in bytes. */
  readonly fileSize: number;
}
