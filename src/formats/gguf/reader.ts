/**
 * GGUF v2/v3 reader. Layout: ggml/docs/gguf.md; validation mirrors (and is stricter than)
 * `gguf_init_from_file_impl` in ggml/src/gguf.cpp. Only the header (KVs and tensor infos) is
 * read when a file is opened; tensor data is read lazily, one tensor at a time.
 *
 * Hostile input: every 64-bit count, length and offset is read as BigInt and checked against the
 * bytes that remain before anything is allocated. That closes the CVE-2024-25664..25668 family
 * (huge n_kv / n_tensors, string length 2^64-1, array count times element size overflowing,
 * string arrays with huge counts). Every defect is a GlassboxError with a `code` and the byte
 * `offset` where it was found; codes are listed in GGUF_ERROR_CODES.
 */
import { GlassboxError } from "../../errors.js";
import { Cursor } from "./cursor.js";
import { ggmlTypeInfo } from "./ggml-types.js";
import { BufferSource, FileSource, type ByteSource } from "./source.js";
import { ggmlTensorView, type GgmlTensorData } from "./tensor-view.js";
import {
  GGUF_VALUE_TYPE_NAMES, GgufValueType, type GgufArray, type GgufHeader, type GgufKV, type GgufTensorInfo, type GgufValue,
} from "./types.js";

/** "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
/** Default tensor-data alignment when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** Deepest array nesting accepted: an array may hold arrays down to this many levels in all. */
export const GGUF_MAX_ARRAY_DEPTH = 4;
/** Most dimensions a tensor may have (GGML_MAX_DIMS). */
export const GGUF_MAX_DIMS = 4;
/** Most elements in one array value (ggml's GGUF_MAX_ARRAY_ELEMENTS). */
export const GGUF_MAX_ARRAY_ITEMS = 1 << 30;

/**
 * Error codes the reader throws, each a GlassboxError with the byte offset of the defect:
 * GGUF_TRUNCATED, GGUF_BAD_MAGIC, GGUF_UNSUPPORTED_VERSION, GGUF_TOO_MANY_TENSORS,
 * GGUF_TOO_MANY_KV, GGUF_BAD_KEY, GGUF_DUPLICATE_KEY, GGUF_BAD_VALUE_TYPE, GGUF_BAD_VALUE,
 * GGUF_BAD_STRING, GGUF_ARRAY_TOO_LARGE, GGUF_NESTING_TOO_DEEP, GGUF_BAD_ALIGNMENT,
 * GGUF_BAD_DIMS, GGUF_BAD_SHAPE, GGUF_BAD_TENSOR_TYPE, GGUF_DUPLICATE_TENSOR,
 * GGUF_MISALIGNED_TENSOR, GGUF_TENSOR_OUT_OF_BOUNDS, GGUF_TENSOR_OVERLAP; when reading data:
 * GGUF_NO_TENSOR, GGUF_TOO_LARGE, FILE_NOT_FOUND, FILE_IO.
 */
export const GGUF_ERROR_CODES = [
  "GGUF_TRUNCATED", "GGUF_BAD_MAGIC", "GGUF_UNSUPPORTED_VERSION", "GGUF_TOO_MANY_TENSORS", "GGUF_TOO_MANY_KV",
  "GGUF_BAD_KEY", "GGUF_DUPLICATE_KEY", "GGUF_BAD_VALUE_TYPE", "GGUF_BAD_VALUE", "GGUF_BAD_STRING",
  "GGUF_ARRAY_TOO_LARGE", "GGUF_NESTING_TOO_DEEP", "GGUF_BAD_ALIGNMENT", "GGUF_BAD_DIMS", "GGUF_BAD_SHAPE",
  "GGUF_BAD_TENSOR_TYPE", "GGUF_DUPLICATE_TENSOR", "GGUF_MISALIGNED_TENSOR", "GGUF_TENSOR_OUT_OF_BOUNDS",
  "GGUF_TENSOR_OVERLAP", "GGUF_NO_TENSOR", "GGUF_TOO_LARGE", "FILE_NOT_FOUND", "FILE_IO",
] as const;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Smallest encoded size of one value of each type, used to bound counts before allocating. */
const MIN_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8] as const;
/** Size of the fixed-width types; 0 for bool, string and array, which are not typed arrays. */
const FIXED_SIZE = [1, 1, 2, 2, 4, 4, 4, 0, 0, 0, 8, 8, 8] as const;
/** Smallest tensor info: name length (8) + n_dims (4) + one ne (8) + type (4) + offset (8). */
const MIN_TENSOR_INFO = 32;
/** Smallest KV: key length (8) + a 1-byte key + type (4) + a 1-byte value. */
const MIN_KV = 14;

function readScalar(c: Cursor, type: number, what: string): number | bigint | boolean | string {
  switch (type) {
    case GgufValueType.UINT8: { const { dv, at } = c.view(1, what); return dv.getUint8(at); }
    case GgufValueType.INT8: { const { dv, at } = c.view(1, what); return dv.getInt8(at); }
    case GgufValueType.UINT16: { const { dv, at } = c.view(2, what); return dv.getUint16(at, true); }
    case GgufValueType.INT16: { const { dv, at } = c.view(2, what); return dv.getInt16(at, true); }
    case GgufValueType.UINT32: { const { dv, at } = c.view(4, what); return dv.getUint32(at, true); }
    case GgufValueType.INT32: { const { dv, at } = c.view(4, what); return dv.getInt32(at, true); }
    case GgufValueType.FLOAT32: { const { dv, at } = c.view(4, what); return dv.getFloat32(at, true); }
    case GgufValueType.UINT64: { const { dv, at } = c.view(8, what); return dv.getBigUint64(at, true); }
    case GgufValueType.INT64: { const { dv, at } = c.view(8, what); return dv.getBigInt64(at, true); }
    case GgufValueType.FLOAT64: { const { dv, at } = c.view(8, what); return dv.getFloat64(at, true); }
    case GgufValueType.BOOL: return readBool(c, what);
    case GgufValueType.STRING: return c.string(what);
    default: throw new GlassboxError("GGUF_BAD_VALUE_TYPE", `${what} has unknown value type ${type}`, { offset: c.pos });
  }
}

function readBool(c: Cursor, what: string): boolean {
  const at = c.pos;
  const b = c.u8(what);
  if (b > 1) throw new GlassboxError("GGUF_BAD_VALUE", `${what}: bool byte is ${b}, expected 0 or 1`, { offset: at });
  return b === 1;
}

/** Copies `n` fixed-size little-endian elements into a fresh, aligned typed array. */
function readNumericArray(c: Cursor, type: number, n: number, what: string): GgufArray["items"] {
  const size = FIXED_SIZE[type]!;
  const raw = c.take(n * size, what);
  const bytes = new Uint8Array(n * size);
  bytes.set(raw);
  const buf = bytes.buffer;
  switch (type) {
    case GgufValueType.UINT8: return bytes;
    case GgufValueType.INT8: return new Int8Array(buf);
    case GgufValueType.UINT16: return new Uint16Array(buf);
    case GgufValueType.INT16: return new Int16Array(buf);
    case GgufValueType.UINT32: return new Uint32Array(buf);
    case GgufValueType.INT32: return new Int32Array(buf);
    case GgufValueType.FLOAT32: return new Float32Array(buf);
    case GgufValueType.UINT64: return new BigUint64Array(buf);
    case GgufValueType.INT64: return new BigInt64Array(buf);
    case GgufValueType.FLOAT64: return new Float64Array(buf);
    default: throw new GlassboxError("GGUF_BAD_VALUE_TYPE", `${what} has non-numeric type ${type}`, { offset: c.pos });
  }
}

function readValueType(c: Cursor, what: string): GgufValueType {
  const at = c.pos;
  const type = c.u32(what);
  if (type > GgufValueType.FLOAT64) {
    throw new GlassboxError("GGUF_BAD_VALUE_TYPE", `${what} is ${type}, not a GGUF value type (0..12)`, { offset: at });
  }
  return type as GgufValueType;
}

/** Reads an array body (element type, count, items); `depth` is 1 for a top-level array. */
function readArray(c: Cursor, what: string, depth: number): GgufArray {
  if (depth > GGUF_MAX_ARRAY_DEPTH) {
    throw new GlassboxError("GGUF_NESTING_TOO_DEEP", `${what}: arrays nested deeper than ${GGUF_MAX_ARRAY_DEPTH} levels`, { offset: c.pos });
  }
  const et = readValueType(c, `${what} element type`);
  const n = c.count(`${what} element count`, MIN_SIZE[et], "GGUF_ARRAY_TOO_LARGE", GGUF_MAX_ARRAY_ITEMS);
  if (FIXED_SIZE[et] > 0) return { elementType: et, items: readNumericArray(c, et, n, what) };
  if (et === GgufValueType.BOOL) {
    const items: boolean[] = new Array(n);
    for (let i = 0; i < n; i++) items[i] = readBool(c, what);
    return { elementType: et, items };
  }
  if (et === GgufValueType.STRING) {
    const items: string[] = new Array(n);
    for (let i = 0; i < n; i++) items[i] = c.string(() => `${what}[${i}]`);
    return { elementType: et, items };
  }
  const items: GgufArray[] = new Array(n);
  for (let i = 0; i < n; i++) items[i] = readArray(c, `${what}[${i}]`, depth + 1);
  return { elementType: et, items };
}

interface RawTensorInfo extends GgufTensorInfo { readonly infoAt: number; readonly offsetAt: number }

function readTensorInfo(c: Cursor, index: number): RawTensorInfo {
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
    const v = c.i64(`tensor '${name}' ne[${d}]`);
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
    throw new GlassboxError("GGUF_BAD_SHAPE", `tensor '${name}': row length ${ne[0]} is not a multiple of ${info.name}'s block size ${info.blockSize}`, { offset: dimsAt + 4 });
  }
  const offsetAt = c.pos;
  const off = c.u64(`tensor '${name}' offset`);
  const nbytes = (nelements / BigInt(info.blockSize)) * BigInt(info.typeSize);
  // Anything past the end of the file is rejected later; here only keep the numbers exact.
  if (off > MAX_SAFE || nbytes > MAX_SAFE) {
    throw new GlassboxError("GGUF_TENSOR_OUT_OF_BOUNDS", `tensor '${name}' [offset ${off}, ${nbytes} bytes] is beyond any file`, { offset: offsetAt });
  }
  const n = Number(nelements);
  return { name, ne, type, offset: Number(off), nbytes: Number(nbytes), nelements: n, infoAt, offsetAt };
}

function checkAlignment(kv: GgufKV | undefined, at: number): number {
  if (!kv) return GGUF_DEFAULT_ALIGNMENT;
  if (kv.type !== GgufValueType.UINT32) {
    throw new GlassboxError("GGUF_BAD_ALIGNMENT", `general.alignment must be a u32, found ${GGUF_VALUE_TYPE_NAMES[kv.type]}`, { offset: at });
  }
  const a = kv.value as number;
  if (a === 0 || (a & (a - 1)) !== 0) {
    throw new GlassboxError("GGUF_BAD_ALIGNMENT", `general.alignment ${a} is not a power of two`, { offset: at });
  }
  return a;
}

/** Parses a GGUF header (KVs and tensor infos) from a byte source. Throws GlassboxError on any defect. */
export function parseGgufHeader(src: ByteSource): GgufHeader {
  const c = new Cursor(src);
  const magic = c.u32("magic");
  if (magic !== GGUF_MAGIC) throw new GlassboxError("GGUF_BAD_MAGIC", "not a GGUF file (bad magic)", { offset: 0 });
  const version = c.u32("version");
  if (version !== 2 && version !== 3) {
    // A big-endian file (gguf-py --bigendian) stores version 3 as bytes 00 00 00 03.
    const swapped = ((version & 0xff) << 24 | (version & 0xff00) << 8 | (version >>> 8) & 0xff00 | version >>> 24) >>> 0;
    const why = swapped === 2 || swapped === 3
      ? `this is a big-endian GGUF v${swapped} file; only little-endian GGUF is supported`
      : `GGUF version ${version} is not supported (only 2 and 3)`;
    throw new GlassboxError("GGUF_UNSUPPORTED_VERSION", why, { offset: 4 });
  }
  const nTensors = c.count("n_tensors", MIN_TENSOR_INFO, "GGUF_TOO_MANY_TENSORS", Number.MAX_SAFE_INTEGER, 8);
  const nKv = c.count("n_kv", MIN_KV, "GGUF_TOO_MANY_KV", Number.MAX_SAFE_INTEGER, nTensors * MIN_TENSOR_INFO);

  const kv = new Map<string, GgufKV>();
  let alignmentAt = 0;
  for (let i = 0; i < nKv; i++) {
    const keyAt = c.pos;
    const key = c.string(`key ${i}`);
    if (key.length === 0) throw new GlassboxError("GGUF_BAD_KEY", `key ${i} is empty`, { offset: keyAt });
    if (kv.has(key)) throw new GlassboxError("GGUF_DUPLICATE_KEY", `duplicate key '${key}'`, { offset: keyAt });
    const type = readValueType(c, `type of '${key}'`);
    const valueAt = c.pos;
    const value: GgufValue = type === GgufValueType.ARRAY ? readArray(c, `'${key}'`, 1) : readScalar(c, type, `'${key}'`);
    if (key === "general.alignment") alignmentAt = valueAt;
    kv.set(key, { key, type, value });
  }
  const alignment = checkAlignment(kv.get("general.alignment"), alignmentAt);

  const infos: RawTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const t = readTensorInfo(c, i);
    if (names.has(t.name)) throw new GlassboxError("GGUF_DUPLICATE_TENSOR", `duplicate tensor name '${t.name}'`, { offset: t.infoAt });
    names.add(t.name);
    infos.push(t);
  }

  // As in ggml: the data section starts at the next multiple of the alignment, when there are tensors.
  const dataOffset = nTensors > 0 ? Math.ceil(c.pos / alignment) * alignment : c.pos;
  const dataSize = src.size - dataOffset;
  for (const t of infos) {
    if (t.offset % alignment !== 0) {
      throw new GlassboxError("GGUF_MISALIGNED_TENSOR", `tensor '${t.name}' offset ${t.offset} is not a multiple of the alignment ${alignment}`, { offset: t.offsetAt });
    }
    if (t.offset + t.nbytes > dataSize) {
      throw new GlassboxError("GGUF_TENSOR_OUT_OF_BOUNDS", `tensor '${t.name}' data [${t.offset}, ${t.offset + t.nbytes}) lies outside the ${Math.max(0, dataSize)} data bytes of the file`, { offset: t.offsetAt });
    }
  }
  const sorted = [...infos].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!, cur = sorted[i]!;
    if (cur.offset < prev.offset + prev.nbytes) {
      throw new GlassboxError("GGUF_TENSOR_OVERLAP", `tensors '${prev.name}' and '${cur.name}' overlap`, { offset: cur.offsetAt });
    }
  }
  const tensors: GgufTensorInfo[] = infos.map(({ name, ne, type, offset, nbytes, nelements }) => ({ name, ne, type, offset, nbytes, nelements }));
  return { version, kv, tensors, alignment, dataOffset, fileSize: src.size, infoEnd: c.pos };
}

/**
 * An open GGUF file: the parsed header plus lazy, per-tensor data reads. Opening reads only the
 * header (KVs and tensor infos), so inspecting a multi-GB file costs kilobytes of I/O.
 * Close it when done (it holds a file descriptor when opened from a path or descriptor).
 */
export class GgufFile {
  private readonly byName: Map<string, GgufTensorInfo>;

  private constructor(readonly header: GgufHeader, private readonly src: ByteSource) {
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  /**
   * Opens and parses a GGUF file, reading only its header. Throws GlassboxError on a bad file
   * (codes in GGUF_ERROR_CODES), FILE_NOT_FOUND / FILE_IO when it cannot be read.
   */
  static open(path: string): GgufFile {
    return GgufFile.fromSource(FileSource.open(path));
  }

  /**
   * Parses the GGUF file behind an open, readable descriptor (reads with positional reads, so
   * the descriptor's position is untouched). `closeFd`: whether close() also closes `fd`.
   */
  static fromFd(fd: number, options: { closeFd?: boolean } = {}): GgufFile {
    return GgufFile.fromSource(new FileSource(fd, options.closeFd ?? false));
  }

  /** Parses GGUF bytes already in memory (views into `bytes`, no copy). */
  static fromBytes(bytes: Uint8Array): GgufFile {
    return GgufFile.fromSource(new BufferSource(bytes));
  }

  /**
   * This file's parsed header over `bytes`, the file's whole contents already in memory (e.g.
   * read into kernel memory): tensor data is then read from `bytes`, with no second parse.
   * @throws GGUF_TRUNCATED when `bytes` is not as long as the file this header was parsed from
   *   (the file changed in between).
   */
  withBytes(bytes: Uint8Array): GgufFile {
    if (bytes.length !== this.src.size) {
      throw new GlassboxError("GGUF_TRUNCATED", `the GGUF file's contents in memory are ${bytes.length} bytes but its header was read from a file of ${this.src.size} bytes (did the file change?)`);
    }
    return new GgufFile(this.header, new BufferSource(bytes));
  }

  /** Parses any ByteSource; closes it if parsing fails. */
  static fromSource(src: ByteSource): GgufFile {
    try {
      return new GgufFile(parseGgufHeader(src), src);
    } catch (e) {
      src.close();
      throw e;
    }
  }

  /** GGUF version (2 or 3). */
  get version(): number { return this.header.version; }
  /** KVs in file order, keyed by name. */
  get kv(): ReadonlyMap<string, GgufKV> { return this.header.kv; }
  /** Tensor infos in file order. */
  get tensors(): readonly GgufTensorInfo[] { return this.header.tensors; }

  /** The value of a key, or undefined. */
  get(key: string): GgufValue | undefined {
    return this.header.kv.get(key)?.value;
  }

  /** Tensor info by name, or undefined. */
  tensor(name: string): GgufTensorInfo | undefined {
    return this.byName.get(name);
  }

  private info(t: GgufTensorInfo | string): GgufTensorInfo {
    const info = typeof t === "string" ? this.byName.get(t) : t;
    if (!info) throw new GlassboxError("GGUF_NO_TENSOR", `no tensor named '${String(t)}'`);
    return info;
  }

  /**
   * The raw bytes of one tensor (ggml order, row-major over ne): a fresh copy when read from a
   * file, a view into the input for fromBytes(). Throws GGUF_NO_TENSOR for an unknown name.
   */
  tensorBytes(t: GgufTensorInfo | string): Uint8Array {
    const info = this.info(t);
    const at = this.header.dataOffset + info.offset;
    return this.src instanceof BufferSource ? this.src.read(at, info.nbytes) : this.src.readCopy(at, info.nbytes);
  }

  /**
   * One tensor's data as a typed array (see tensor-view.ts: Float32Array for f32, Uint16Array of
   * half bits for f16/bf16, Uint8Array of blocks for quantized types, ...), read on demand.
   */
  tensorData(t: GgufTensorInfo | string): GgmlTensorData {
    const info = this.info(t);
    return ggmlTensorView(info.type, this.tensorBytes(info));
  }

  /** Releases the file descriptor (if any). Safe to call twice. */
  close(): void {
    this.src.close();
  }
}
