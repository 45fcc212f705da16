/**
 * GGUF v2/v3 header reader. Layout: ggml/docs/gguf.md; validation mirrors (and is stricter than)
 * `gguf_init_from_file_impl` in ggml/src/gguf.cpp. Every 64-bit count, length and offset is read
 * as BigInt and checked against the bytes that remain before anything is allocated, which closes
 * the CVE-2024-25664..25668 family (huge n_kv / n_tensors, string length 2^64-1, array count
 * times element size overflowing).
 */
import { GlassboxError } from "../../errors.js";
import { ggmlTypeInfo } from "./ggml-types.js";
import { BufferSource, FileSource, type ByteSource } from "./source.js";
import {
  GgufValueType, type GgufArray, type GgufHeader, type GgufKV, type GgufTensorInfo, type GgufValue,
} from "./types.js";

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
/** Default tensor-data alignment when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** Deepest array nesting accepted (an array of arrays of ... ). */
export const GGUF_MAX_ARRAY_DEPTH = 4;
/** Most dimensions a tensor may have (GGML_MAX_DIMS). */
export const GGUF_MAX_DIMS = 4;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Smallest encoded size of each value type, used to bound counts before allocating. */
const MIN_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8] as const;
const FIXED_SIZE = [1, 1, 2, 2, 4, 4, 4, 0, 0, 0, 8, 8, 8] as const; // 0: bool, string, array are not typed arrays

const decoder = new TextDecoder("utf-8");

/** Sequential little-endian reader over a ByteSource with bounds checks that throw typed errors. */
class Cursor {
  pos = 0;
  constructor(readonly src: ByteSource) {}

  remaining(): number {
    return this.src.size - this.pos;
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.remaining()) {
      throw new GlassboxError("GGUF_TRUNCATED", `file ends inside ${what}: needs ${n} bytes, ${this.remaining()} left`, { offset: this.pos });
    }
    const b = this.src.read(this.pos, n);
    this.pos += n;
    return b;
  }

  view(n: number, what: string): DataView {
    const b = this.take(n, what);
    return new DataView(b.buffer, b.byteOffset, n);
  }

  u32(what: string): number { return this.view(4, what).getUint32(0, true); }
  u64(what: string): bigint { return this.view(8, what).getBigUint64(0, true); }

  /** A u64 that must fit a JS number and be at most `max`; otherwise a typed error. */
  count(what: string, max: number, code: string): number {
    const at = this.pos;
    const v = this.u64(what);
    if (v > MAX_SAFE || Number(v) > max) {
      throw new GlassboxError(code, `${what} is ${v}, but the rest of the file can hold at most ${max}`, { offset: at });
    }
    return Number(v);
  }

  string(what: string): string {
    const at = this.pos;
    const len = this.u64(`${what} length`);
    if (len > BigInt(this.remaining())) {
      throw new GlassboxError("GGUF_BAD_STRING", `${what} length ${len} exceeds the ${this.remaining()} bytes left`, { offset: at });
    }
    return decoder.decode(this.take(Number(len), what));
  }
}

function readScalar(c: Cursor, type: number, what: string): number | bigint | boolean | string {
  switch (type) {
    case GgufValueType.UINT8: return c.view(1, what).getUint8(0);
    case GgufValueType.INT8: return c.view(1, what).getInt8(0);
    case GgufValueType.UINT16: return c.view(2, what).getUint16(0, true);
    case GgufValueType.INT16: return c.view(2, what).getInt16(0, true);
    case GgufValueType.UINT32: return c.view(4, what).getUint32(0, true);
    case GgufValueType.INT32: return c.view(4, what).getInt32(0, true);
    case GgufValueType.FLOAT32: return c.view(4, what).getFloat32(0, true);
    case GgufValueType.UINT64: return c.view(8, what).getBigUint64(0, true);
    case GgufValueType.INT64: return c.view(8, what).getBigInt64(0, true);
    case GgufValueType.FLOAT64: return c.view(8, what).getFloat64(0, true);
    case GgufValueType.BOOL: {
      const at = c.pos;
      const b = c.view(1, what).getUint8(0);
      if (b > 1) throw new GlassboxError("GGUF_BAD_VALUE", `${what}: bool byte is ${b}, expected 0 or 1`, { offset: at });
      return b === 1;
    }
    case GgufValueType.STRING: return c.string(what);
    default: throw new Error(`unreachable scalar type ${type}`);
  }
}

/** Copies `n` fixed-size little-endian elements into a fresh, aligned typed array. */
function readNumericArray(c: Cursor, type: number, n: number, what: string): GgufArray["items"] {
  const size = FIXED_SIZE[type]!;
  const raw = c.take(n * size, what);
  const copy = new Uint8Array(n * size);
  copy.set(raw);
  const buf = copy.buffer;
  // Host byte order is little-endian on every platform Node supports that we target.
  switch (type) {
    case GgufValueType.UINT8: return new Uint8Array(buf);
    case GgufValueType.INT8: return new Int8Array(buf);
    case GgufValueType.UINT16: return new Uint16Array(buf);
    case GgufValueType.INT16: return new Int16Array(buf);
    case GgufValueType.UINT32: return new Uint32Array(buf);
    case GgufValueType.INT32: return new Int32Array(buf);
    case GgufValueType.FLOAT32: return new Float32Array(buf);
    case GgufValueType.UINT64: return new BigUint64Array(buf);
    case GgufValueType.INT64: return new BigInt64Array(buf);
    case GgufValueType.FLOAT64: return new Float64Array(buf);
    default: throw new Error(`unreachable numeric type ${type}`);
  }
}

function checkType(type: number, at: number, what: string): void {
  if (!Number.isInteger(type) || type < 0 || type > 12) {
    throw new GlassboxError("GGUF_BAD_VALUE_TYPE", `${what} has unknown value type ${type}`, { offset: at });
  }
}

function readValue(c: Cursor, type: number, what: string, depth: number): GgufValue {
  if (type !== GgufValueType.ARRAY) return readScalar(c, type, what);
  if (depth >= GGUF_MAX_ARRAY_DEPTH) {
    throw new GlassboxError("GGUF_NESTING_TOO_DEEP", `${what}: arrays nested deeper than ${GGUF_MAX_ARRAY_DEPTH}`, { offset: c.pos });
  }
  const typeAt = c.pos;
  const elementType = c.u32(`${what} element type`);
  checkType(elementType, typeAt, `${what} element`);
  const n = c.count(`${what} element count`, Math.floor(c.remaining() / MIN_SIZE[elementType]!), "GGUF_ARRAY_TOO_LARGE");
  const et = elementType as GgufValueType;
  if (FIXED_SIZE[et]! > 0) return { elementType: et, items: readNumericArray(c, et, n, what) };
  if (et === GgufValueType.BOOL) {
    const items: boolean[] = new Array(n);
    for (let i = 0; i < n; i++) items[i] = readScalar(c, et, what) as boolean;
    return { elementType: et, items };
  }
  if (et === GgufValueType.STRING) {
    const items: string[] = new Array(n);
    for (let i = 0; i < n; i++) items[i] = c.string(`${what}[${i}]`);
    return { elementType: et, items };
  }
  const items: GgufArray[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = readValue(c, GgufValueType.ARRAY, `${what}[${i}]`, depth + 1) as GgufArray;
  return { elementType: et, items };
}

function readTensorInfo(c: Cursor, index: number): GgufTensorInfo & { infoAt: number } {
  const infoAt = c.pos;
  const name = c.string(`tensor ${index} name`);
  const dimsAt = c.pos;
  const nDims = c.u32(`tensor '${name}' n_dims`);
  if (nDims < 1 || nDims > GGUF_MAX_DIMS) {
    throw new GlassboxError("GGUF_BAD_DIMS", `tensor '${name}' has n_dims ${nDims}; must be 1..${GGUF_MAX_DIMS}`, { offset: dimsAt });
  }
  const ne: number[] = [];
  let nelements = 1n;
  for (let d = 0; d < nDims; d++) {
    const at = c.pos;
    const v = c.view(8, `tensor '${name}' ne[${d}]`).getBigInt64(0, true);
    if (v <= 0n) throw new GlassboxError("GGUF_BAD_SHAPE", `tensor '${name}' has ne[${d}] = ${v}; dimensions must be positive`, { offset: at });
    nelements *= v;
    if (nelements > MAX_SAFE) {
      throw new GlassboxError("GGUF_BAD_SHAPE", `tensor '${name}' has more than 2^53 elements`, { offset: at });
    }
    ne.push(Number(v));
  }
  const typeAt = c.pos;
  const type = c.u32(`tensor '${name}' type`);
  const info = ggmlTypeInfo(type);
  if (!info) throw new GlassboxError("GGUF_BAD_TENSOR_TYPE", `tensor '${name}' has unknown ggml type ${type}`, { offset: typeAt });
  if (ne[0]! % info.blockSize !== 0) {
    throw new GlassboxError("GGUF_BAD_SHAPE", `tensor '${name}': row length ${ne[0]} is not a multiple of ${info.name}'s block size ${info.blockSize}`, { offset: dimsAt });
  }
  const offAt = c.pos;
  const off = c.u64(`tensor '${name}' offset`);
  if (off > MAX_SAFE) throw new GlassboxError("GGUF_TENSOR_OUT_OF_BOUNDS", `tensor '${name}' offset ${off} is beyond any file`, { offset: offAt });
  const n = Number(nelements);
  return { name, ne, type, offset: Number(off), nbytes: (n / info.blockSize) * info.typeSize, nelements: n, infoAt: offAt };
}

/** Parses a GGUF header from a byte source (buffer or file). Throws GlassboxError on any defect. */
export function parseGgufHeader(src: ByteSource): GgufHeader {
  const c = new Cursor(src);
  const magic = c.u32("magic");
  if (magic !== GGUF_MAGIC) throw new GlassboxError("GGUF_BAD_MAGIC", "not a GGUF file (bad magic)", { offset: 0 });
  const version = c.u32("version");
  if (version !== 2 && version !== 3) {
    throw new GlassboxError("GGUF_UNSUPPORTED_VERSION", `GGUF version ${version} is not supported (only 2 and 3)`, { offset: 4 });
  }
  // Minimum encoded sizes: a tensor info is >= 8+4+8+4+8 bytes, a KV >= 8+4+1.
  const nTensors = c.count("n_tensors", Math.floor((c.remaining() - 8) / 32), "GGUF_TOO_MANY_TENSORS");
  const nKv = c.count("n_kv", Math.floor(c.remaining() / 13), "GGUF_TOO_MANY_KV");

  const kv = new Map<string, GgufKV>();
  for (let i = 0; i < nKv; i++) {
    const keyAt = c.pos;
    const key = c.string(`key ${i}`);
    if (kv.has(key)) throw new GlassboxError("GGUF_DUPLICATE_KEY", `duplicate key '${key}'`, { offset: keyAt });
    const typeAt = c.pos;
    const type = c.u32(`'${key}' type`);
    checkType(type, typeAt, `key '${key}'`);
    kv.set(key, { key, type: type as GgufValueType, value: readValue(c, type, `'${key}'`, 0) });
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = kv.get("general.alignment");
  if (al) {
    if (al.type !== GgufValueType.UINT32) {
      throw new GlassboxError("GGUF_BAD_ALIGNMENT", `general.alignment must be a u32, found ${al.type}`);
    }
    const a = al.value as number;
    if (a === 0 || (a & (a - 1)) !== 0) throw new GlassboxError("GGUF_BAD_ALIGNMENT", `general.alignment ${a} is not a power of two`);
    alignment = a;
  }

  const infos: (GgufTensorInfo & { infoAt: number })[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const at = c.pos;
    const t = readTensorInfo(c, i);
    if (names.has(t.name)) throw new GlassboxError("GGUF_DUPLICATE_TENSOR", `duplicate tensor name '${t.name}'`, { offset: at });
    names.add(t.name);
    infos.push(t);
  }

  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const dataSize = src.size - dataOffset;
  for (const t of infos) {
    if (t.offset % alignment !== 0) {
      throw new GlassboxError("GGUF_MISALIGNED_TENSOR", `tensor '${t.name}' offset ${t.offset} is not a multiple of the alignment ${alignment}`, { offset: t.infoAt });
    }
    if (t.offset + t.nbytes > dataSize) {
      throw new GlassboxError("GGUF_TENSOR_OUT_OF_BOUNDS", `tensor '${t.name}' data [${t.offset}, ${t.offset + t.nbytes}) lies outside the ${Math.max(0, dataSize)} data bytes of the file`, { offset: t.infoAt });
    }
  }
  const sorted = [...infos].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!, cur = sorted[i]!;
    if (cur.offset < prev.offset + prev.nbytes) {
      throw new GlassboxError("GGUF_TENSOR_OVERLAP", `tensors '${prev.name}' and '${cur.name}' overlap`, { offset: cur.infoAt });
    }
  }
  const tensors: GgufTensorInfo[] = infos.map(({ infoAt: _ignored, ...t }) => t);
  return { version, kv, tensors, alignment, dataOffset, fileSize: src.size };
}

/**
 * An open GGUF file: the parsed header plus lazy, per-tensor data reads.
 * Close it when done (it holds a file descriptor when opened from a path).
 */
export class GgufFile {
  private constructor(readonly header: GgufHeader, private readonly src: ByteSource) {}

  /** Opens and parses a GGUF file, reading only its header. Throws GlassboxError on a bad file. */
  static open(path: string): GgufFile {
    const src = new FileSource(path);
    try {
      return new GgufFile(parseGgufHeader(src), src);
    } catch (e) {
      src.close();
      throw e;
    }
  }

  /** Parses GGUF bytes already in memory (views into `bytes`, no copy). */
  static fromBytes(bytes: Uint8Array): GgufFile {
    const src = new BufferSource(bytes);
    return new GgufFile(parseGgufHeader(src), src);
  }

  get kv(): ReadonlyMap<string, GgufKV> { return this.header.kv; }
  get tensors(): readonly GgufTensorInfo[] { return this.header.tensors; }

  /** The value of a key, or undefined. */
  get(key: string): GgufValue | undefined {
    return this.header.kv.get(key)?.value;
  }

  /** Tensor info by name, or undefined. */
  tensor(name: string): GgufTensorInfo | undefined {
    return this.header.tensors.find((t) => t.name === name);
  }

  /** The raw bytes of one tensor (a fresh copy when read from a file; a view for in-memory input). */
  tensorBytes(t: GgufTensorInfo | string): Uint8Array {
    const info = typeof t === "string" ? this.tensor(t) : t;
    if (!info) throw new GlassboxError("GGUF_NO_TENSOR", `no tensor named '${String(t)}'`);
    return this.src.read(this.header.dataOffset + info.offset, info.nbytes);
  }

  close(): void {
    this.src.close();
  }
}
