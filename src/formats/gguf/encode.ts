/**
 * Encoding of GGUF header pieces (KVs and tensor infos) into little-endian bytes, with the
 * validation that keeps the output readable by our reader and by ggml's
 * (`gguf_writer_base::write` in ggml/src/gguf.cpp gives the byte layout).
 */
import { GlassboxError } from "../../errors.js";
import { ggmlTypeInfo } from "./ggml-types.js";
import { encodeGgufString, encodeGgufStringInto } from "./strings.js";
import { GGUF_VALUE_TYPE_NAMES, GgufValueType, type GgufArray, type GgufKV, type GgufNumericArray } from "./types.js";

/** Deepest array nesting the writer produces (same limit as the reader's GGUF_MAX_ARRAY_DEPTH). */
const MAX_DEPTH = 4;
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** A growable little-endian byte buffer. */
export class ByteWriter {
  private buf = new Uint8Array(4096);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }

  u8(v: number): void { const at = this.reserve(1); this.dv.setUint8(at, v); }
  i8(v: number): void { const at = this.reserve(1); this.dv.setInt8(at, v); }
  u16(v: number): void { const at = this.reserve(2); this.dv.setUint16(at, v, true); }
  i16(v: number): void { const at = this.reserve(2); this.dv.setInt16(at, v, true); }
  u32(v: number): void { const at = this.reserve(4); this.dv.setUint32(at, v, true); }
  i32(v: number): void { const at = this.reserve(4); this.dv.setInt32(at, v, true); }
  f32(v: number): void { const at = this.reserve(4); this.dv.setFloat32(at, v, true); }
  f64(v: number): void { const at = this.reserve(8); this.dv.setFloat64(at, v, true); }
  u64(v: bigint): void { const at = this.reserve(8); this.dv.setBigUint64(at, v, true); }
  i64(v: bigint): void { const at = this.reserve(8); this.dv.setBigInt64(at, v, true); }
  bytes(b: Uint8Array): void { const at = this.reserve(b.length); this.buf.set(b, at); }
  /** A GGUF string: u64 byte length, then the bytes (lossless, see strings.ts). */
  string(s: string): void {
    if (s.length > 256) {
      const b = encodeGgufString(s);
      this.u64(BigInt(b.length));
      this.bytes(b);
      return;
    }
    const at = this.reserve(8 + 3 * s.length); // worst case; trimmed below
    const n = encodeGgufStringInto(s, this.buf, at + 8);
    this.dv.setUint32(at, n, true);
    this.dv.setUint32(at + 4, 0, true);
    this.length = at + 8 + n;
  }
  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment;
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
  }
  /** The bytes written so far (a copy of exactly `length` bytes). */
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}

function bad(what: string, msg: string): GlassboxError {
  return new GlassboxError("GGUF_BAD_VALUE", `${what}: ${msg}`);
}

function intIn(what: string, v: unknown, lo: number, hi: number, type: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw bad(what, `${String(v)} is not a valid ${type} (integer in ${lo}..${hi})`);
  }
  return v;
}

function big(what: string, v: unknown, lo: bigint, hi: bigint, type: string): bigint {
  let b: bigint;
  if (typeof v === "bigint") b = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
  else throw bad(what, `${String(v)} is not a valid ${type} (bigint or safe integer)`);
  if (b < lo || b > hi) throw bad(what, `${b} is out of range for ${type}`);
  return b;
}

function float(what: string, v: unknown): number {
  if (typeof v !== "number") throw bad(what, `${String(v)} is not a number`);
  return v;
}

/** Writes one scalar of type `type` after checking that `v` fits it. */
function writeScalar(w: ByteWriter, type: number, v: unknown, what: string): void {
  switch (type) {
    case GgufValueType.UINT8: return w.u8(intIn(what, v, 0, 0xff, "u8"));
    case GgufValueType.INT8: return w.i8(intIn(what, v, -0x80, 0x7f, "i8"));
    case GgufValueType.UINT16: return w.u16(intIn(what, v, 0, 0xffff, "u16"));
    case GgufValueType.INT16: return w.i16(intIn(what, v, -0x8000, 0x7fff, "i16"));
    case GgufValueType.UINT32: return w.u32(intIn(what, v, 0, 0xffffffff, "u32"));
    case GgufValueType.INT32: return w.i32(intIn(what, v, -0x80000000, 0x7fffffff, "i32"));
    case GgufValueType.FLOAT32: return w.f32(float(what, v));
    case GgufValueType.FLOAT64: return w.f64(float(what, v));
    case GgufValueType.UINT64: return w.u64(big(what, v, 0n, U64_MAX, "u64"));
    case GgufValueType.INT64: return w.i64(big(what, v, I64_MIN, I64_MAX, "i64"));
    case GgufValueType.BOOL:
      if (typeof v !== "boolean") throw bad(what, `${String(v)} is not a boolean`);
      return w.u8(v ? 1 : 0);
    case GgufValueType.STRING:
      if (typeof v !== "string") throw bad(what, `${String(v)} is not a string`);
      return w.string(v);
    default:
      throw new GlassboxError("GGUF_BAD_VALUE_TYPE", `${what}: ${type} is not a scalar GGUF value type`);
  }
}

/** The typed-array class whose bytes are exactly a numeric GGUF array of each element type. */
const TYPED: Partial<Record<number, new (...a: never[]) => GgufNumericArray>> = {
  [GgufValueType.UINT8]: Uint8Array, [GgufValueType.INT8]: Int8Array,
  [GgufValueType.UINT16]: Uint16Array, [GgufValueType.INT16]: Int16Array,
  [GgufValueType.UINT32]: Uint32Array, [GgufValueType.INT32]: Int32Array,
  [GgufValueType.FLOAT32]: Float32Array, [GgufValueType.FLOAT64]: Float64Array,
  [GgufValueType.UINT64]: BigUint64Array, [GgufValueType.INT64]: BigInt64Array,
};

function writeArray(w: ByteWriter, arr: unknown, what: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new GlassboxError("GGUF_NESTING_TOO_DEEP", `${what}: arrays nested deeper than ${MAX_DEPTH} levels`);
  if (typeof arr !== "object" || arr === null || !("elementType" in arr) || !("items" in arr)) {
    throw bad(what, "an array value must be { elementType, items }");
  }
  const { elementType: et, items } = arr as GgufArray;
  if (!Number.isInteger(et) || et < 0 || et > GgufValueType.FLOAT64) {
    throw new GlassboxError("GGUF_BAD_VALUE_TYPE", `${what}: ${String(et)} is not a GGUF value type`);
  }
  if (items === null || typeof items !== "object" || typeof (items as ArrayLike<unknown>).length !== "number") {
    throw bad(what, "array items must be an array or typed array");
  }
  const list = items as ArrayLike<unknown>;
  w.u32(et);
  w.u64(BigInt(list.length));
  const T = TYPED[et];
  if (T && items instanceof T) {
    const v = items as GgufNumericArray;
    w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)); // host order is little-endian
    return;
  }
  if (et === GgufValueType.ARRAY) {
    for (let i = 0; i < list.length; i++) writeArray(w, list[i], `${what}[${i}]`, depth + 1);
    return;
  }
  for (let i = 0; i < list.length; i++) writeScalar(w, et, list[i], `${what}[${i}]`);
}

/** Encodes one KV: key string, u32 type, value. Throws GGUF_BAD_KEY / GGUF_BAD_VALUE / GGUF_BAD_VALUE_TYPE. */
export function encodeKv(w: ByteWriter, kv: GgufKV): void {
  if (typeof kv.key !== "string" || kv.key.length === 0) throw new GlassboxError("GGUF_BAD_KEY", "a KV key must be a non-empty string");
  const what = `'${kv.key}' (${GGUF_VALUE_TYPE_NAMES[kv.type] ?? kv.type})`;
  if (!Number.isInteger(kv.type) || kv.type < 0 || kv.type > GgufValueType.FLOAT64) {
    throw new GlassboxError("GGUF_BAD_VALUE_TYPE", `key '${kv.key}': ${String(kv.type)} is not a GGUF value type`);
  }
  w.string(kv.key);
  w.u32(kv.type);
  if (kv.type === GgufValueType.ARRAY) writeArray(w, kv.value, what, 1);
  else writeScalar(w, kv.type, kv.value, what);
}

/** A tensor's shape and type checked, with its data size. */
export interface CheckedTensor {
  readonly name: string;
  readonly ne: readonly number[];
  readonly type: number;
  readonly nbytes: number;
}

/**
 * Validates a tensor's shape (1..4 dims in ggml order, positive safe integers, at most 2^53
 * elements, ne[0] a multiple of the type's block size) and returns its data size in bytes.
 * Throws GGUF_BAD_DIMS / GGUF_BAD_SHAPE / GGUF_BAD_TENSOR_TYPE.
 */
export function checkTensor(name: string, ne: readonly number[], type: number): CheckedTensor {
  if (typeof name !== "string") throw new GlassboxError("GGUF_BAD_KEY", "tensor name must be a string");
  if (!Array.isArray(ne) || ne.length < 1 || ne.length > 4) {
    throw new GlassboxError("GGUF_BAD_DIMS", `tensor '${name}' must have 1..4 dimensions`);
  }
  const info = ggmlTypeInfo(type);
  if (!info) throw new GlassboxError("GGUF_BAD_TENSOR_TYPE", `tensor '${name}' has unknown ggml type ${type}`);
  let n = 1n;
  for (const d of ne) {
    if (!Number.isSafeInteger(d) || d <= 0) throw new GlassboxError("GGUF_BAD_SHAPE", `tensor '${name}' has dimension ${d}; dimensions must be positive integers`);
    n *= BigInt(d);
  }
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new GlassboxError("GGUF_BAD_SHAPE", `tensor '${name}' has more than 2^53 elements`);
  if (ne[0]! % info.blockSize !== 0) {
    throw new GlassboxError("GGUF_BAD_SHAPE", `tensor '${name}': row length ${ne[0]} is not a multiple of ${info.name}'s block size ${info.blockSize}`);
  }
  return { name, ne, type, nbytes: (Number(n) / info.blockSize) * info.typeSize };
}

/** Encodes one tensor info: name, u32 n_dims, i64 ne[n_dims], u32 type, u64 offset. */
export function encodeTensorInfo(w: ByteWriter, t: CheckedTensor, offset: number): void {
  w.string(t.name);
  w.u32(t.ne.length);
  for (const d of t.ne) w.i64(BigInt(d));
  w.u32(t.type);
  w.u64(BigInt(offset));
}
