/**
 * Small constructors for GGUF KVs, for building files to write:
 *
 *   kv.string("general.architecture", "llama")
 *   kv.u32("llama.context_length", 512)
 *   kv.f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
 *   kv.bool("tokenizer.ggml.add_bos_token", true)
 *   kv.u64("general.parameter_count", 123n)             // number or bigint; stored as bigint
 *   kv.arrayString("tokenizer.ggml.tokens", tokens)
 *   kv.arrayF32("tokenizer.ggml.scores", scores)        // any ArrayLike<number>; kept if already a Float32Array
 *   kv.arrayI32("tokenizer.ggml.token_type", types)
 *   kv.arrayOfArrays("x.nested", [array(GgufValueType.INT32, Int32Array.of(1, 2))])
 *
 * Scalars: u8 i8 u16 i16 u32 i32 u64 i64 f32 f64 bool string. Arrays: arrayU8 arrayI8 arrayU16
 * arrayI16 arrayU32 arrayI32 arrayU64 arrayI64 arrayF32 arrayF64 arrayBool arrayString
 * arrayOfArrays. Every constructor checks its value against the type's range and throws
 * GlassboxError `GGUF_BAD_VALUE` (or `GGUF_BAD_KEY` for an empty key); numeric arrays become the
 * matching typed array, never a JS array of numbers. The result is a plain GgufKV, the same shape
 * the reader returns, so read KVs and constructed ones mix freely in a GgufToWrite.
 */
import { GlassboxError } from "../../errors.js";
import { ByteWriter, encodeKv } from "./encode.js";
import { GgufValueType, type GgufArray, type GgufKV, type GgufNumericArray, type GgufValue } from "./types.js";

/** Builds a KV and validates it by encoding it once (cheap; the same checks the writer runs). */
function make(key: string, type: GgufValueType, value: GgufValue): GgufKV {
  const out: GgufKV = { key, type, value };
  encodeKv(new ByteWriter(), out);
  return out;
}

function numeric<T extends GgufNumericArray>(
  C: { new (n: number): T; from(a: ArrayLike<number> | ArrayLike<bigint>): T },
  key: string, values: ArrayLike<number> | ArrayLike<bigint>, check: (v: unknown) => boolean, type: string,
): T {
  if (values instanceof C) return values as T;
  for (let i = 0; i < values.length; i++) {
    if (!check(values[i])) throw new GlassboxError("GGUF_BAD_VALUE", `'${key}'[${i}]: ${String(values[i])} is not a valid ${type}`);
  }
  return C.from(values);
}

const intRange = (lo: number, hi: number) => (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
const isNum = (v: unknown) => typeof v === "number";
const bigRange = (lo: bigint, hi: bigint) => (v: unknown) =>
  (typeof v === "bigint" && v >= lo && v <= hi) || (typeof v === "number" && Number.isSafeInteger(v) && BigInt(v) >= lo && BigInt(v) <= hi);
const toBig = (v: number | bigint) => (typeof v === "bigint" ? v : Number.isSafeInteger(v) ? BigInt(v) : v);

/** An array value, e.g. for nesting inside kv.arrayOfArrays. */
export function ggufArray(elementType: GgufValueType, items: GgufArray["items"]): GgufArray {
  return { elementType, items };
}

/** KV constructors; see the file comment for the list and the errors they throw. */
export const kv = {
  u8: (key: string, v: number) => make(key, GgufValueType.UINT8, v),
  i8: (key: string, v: number) => make(key, GgufValueType.INT8, v),
  u16: (key: string, v: number) => make(key, GgufValueType.UINT16, v),
  i16: (key: string, v: number) => make(key, GgufValueType.INT16, v),
  u32: (key: string, v: number) => make(key, GgufValueType.UINT32, v),
  i32: (key: string, v: number) => make(key, GgufValueType.INT32, v),
  u64: (key: string, v: number | bigint) => make(key, GgufValueType.UINT64, toBig(v)),
  i64: (key: string, v: number | bigint) => make(key, GgufValueType.INT64, toBig(v)),
  f32: (key: string, v: number) => make(key, GgufValueType.FLOAT32, v),
  f64: (key: string, v: number) => make(key, GgufValueType.FLOAT64, v),
  bool: (key: string, v: boolean) => make(key, GgufValueType.BOOL, v),
  string: (key: string, v: string) => make(key, GgufValueType.STRING, v),

  arrayU8: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.UINT8, numeric(Uint8Array, key, v, intRange(0, 0xff), "u8")),
  arrayI8: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.INT8, numeric(Int8Array, key, v, intRange(-0x80, 0x7f), "i8")),
  arrayU16: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.UINT16, numeric(Uint16Array, key, v, intRange(0, 0xffff), "u16")),
  arrayI16: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.INT16, numeric(Int16Array, key, v, intRange(-0x8000, 0x7fff), "i16")),
  arrayU32: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.UINT32, numeric(Uint32Array, key, v, intRange(0, 0xffffffff), "u32")),
  arrayI32: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.INT32, numeric(Int32Array, key, v, intRange(-0x80000000, 0x7fffffff), "i32")),
  arrayU64: (key: string, v: ArrayLike<number | bigint>) =>
    arr(key, GgufValueType.UINT64, numeric(BigUint64Array, key, bigs(v), bigRange(0n, (1n << 64n) - 1n), "u64")),
  arrayI64: (key: string, v: ArrayLike<number | bigint>) =>
    arr(key, GgufValueType.INT64, numeric(BigInt64Array, key, bigs(v), bigRange(-(1n << 63n), (1n << 63n) - 1n), "i64")),
  arrayF32: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.FLOAT32, numeric(Float32Array, key, v, isNum, "f32")),
  arrayF64: (key: string, v: ArrayLike<number>) => arr(key, GgufValueType.FLOAT64, numeric(Float64Array, key, v, isNum, "f64")),
  arrayBool: (key: string, v: readonly boolean[]) => arr(key, GgufValueType.BOOL, [...v]),
  arrayString: (key: string, v: readonly string[]) => arr(key, GgufValueType.STRING, [...v]),
  arrayOfArrays: (key: string, v: readonly GgufArray[]) => arr(key, GgufValueType.ARRAY, [...v]),
} as const;

function arr(key: string, elementType: GgufValueType, items: GgufArray["items"]): GgufKV {
  return make(key, GgufValueType.ARRAY, { elementType, items });
}

/** Numbers that are safe integers become bigint so the BigInt typed arrays accept them. */
function bigs(v: ArrayLike<number | bigint>): ArrayLike<bigint> {
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return v;
  const out: bigint[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (typeof x === "number" && !Number.isSafeInteger(x)) {
      throw new GlassboxError("GGUF_BAD_VALUE", `array element ${i}: ${x} is not a safe integer`);
    }
    out[i] = typeof x === "bigint" ? x : BigInt(x);
  }
  return out;
}
