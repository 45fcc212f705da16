/**
 * safetensors reader. Layout and rules: huggingface/safetensors README ("Format") and
 * safetensors/src/tensor.rs (`SafeTensors::read_metadata`, `Metadata::validate`).
 * Opening a file reads the 8-byte length and the JSON header only; tensor data is read when a
 * tensor is asked for. The header length is read as a u64 BigInt and must be at most 100 MB
 * (the reference's MAX_HEADER_SIZE) and fit in the file before anything is allocated.
 * After the per-entry checks of header-parser.ts, the data offsets, sorted by begin, must tile
 * the data buffer exactly: no overlap, no hole, nothing unindexed at the end (the spec forbids
 * holes so that a file cannot double as another format).
 * Error offsets: header errors point at the offending JSON byte (8 + index in the header);
 * SAFETENSORS_OVERLAP and SAFETENSORS_HOLE point at the data byte where the tiling breaks.
 */
import { constants as bufferConstants } from "node:buffer";
import { GlassboxError } from "../../errors.js";
import { FileRangeSource, MemorySource, type SafetensorsByteSource } from "./byte-source.js";
import { safetensorsDtypeInfo } from "./dtypes.js";
import { parseSafetensorsHeaderJson, quoteName } from "./header-parser.js";
import type { SafetensorsHeader, SafetensorsTensorInfo } from "./types.js";

/** Largest accepted JSON header, in bytes (the reference implementation's MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER_SIZE = 100_000_000;

/**
 * Parses the length prefix and header of a safetensors byte source and checks that the tensors
 * tile the data buffer. Reads bytes [0, 8 + N) only.
 * Throws GlassboxError: SAFETENSORS_TRUNCATED (file under 8 bytes, or N past the end of the file),
 * SAFETENSORS_HEADER_TOO_LARGE (N > 100 MB), SAFETENSORS_OVERLAP, SAFETENSORS_HOLE, and the
 * header codes of parseSafetensorsHeaderJson.
 */
export function parseSafetensorsHeader(src: SafetensorsByteSource): SafetensorsHeader {
  if (src.size < 8) {
    throw new GlassboxError("SAFETENSORS_TRUNCATED", `file is ${src.size} bytes, too short for the 8-byte header length`, { offset: 0 });
  }
  const prefix = src.read(0, 8);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(SAFETENSORS_MAX_HEADER_SIZE)) {
    throw new GlassboxError("SAFETENSORS_HEADER_TOO_LARGE", `header length ${n} is above the ${SAFETENSORS_MAX_HEADER_SIZE}-byte limit`, { offset: 0 });
  }
  if (n > BigInt(src.size - 8)) {
    throw new GlassboxError("SAFETENSORS_TRUNCATED", `header length ${n} runs past the end of the ${src.size}-byte file`, { offset: 0 });
  }
  const headerLength = Number(n);
  const dataStart = 8 + headerLength;
  const dataLength = src.size - dataStart;
  const { metadata, tensors } = parseSafetensorsHeaderJson(src.read(8, headerLength), dataStart, dataLength);
  checkTiling(tensors, dataStart, dataLength);
  return { headerLength, dataStart, dataLength, metadata, tensors };
}

/** Throws unless the tensors' [begin, end) ranges, sorted, cover [0, dataLength) exactly once. */
function checkTiling(tensors: readonly SafetensorsTensorInfo[], dataStart: number, dataLength: number): void {
  const before = (a: SafetensorsTensorInfo, b: SafetensorsTensorInfo): number =>
    a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1];
  // Writers list tensors in data order, so the sort is usually skipped.
  let sorted = true;
  for (let i = 1; i < tensors.length && sorted; i++) sorted = before(tensors[i - 1]!, tensors[i]!) <= 0;
  const order = sorted ? tensors : tensors.slice().sort(before);
  let pos = 0;
  let prev: SafetensorsTensorInfo | undefined;
  for (const t of order) {
    const [begin, end] = t.dataOffsets;
    if (begin < pos) {
      throw new GlassboxError(
        "SAFETENSORS_OVERLAP",
        `data of tensor ${quoteName(t.name)} [${begin}, ${end}) overlaps tensor ${quoteName(prev!.name)} [${prev!.dataOffsets[0]}, ${pos})`,
        { offset: dataStart + begin },
      );
    }
    if (begin > pos) {
      throw new GlassboxError("SAFETENSORS_HOLE", `data buffer bytes [${pos}, ${begin}) before tensor ${quoteName(t.name)} belong to no tensor`, { offset: dataStart + pos });
    }
    pos = end;
    prev = t;
  }
  if (pos !== dataLength) {
    throw new GlassboxError("SAFETENSORS_HOLE", `data buffer bytes [${pos}, ${dataLength}) at the end of the file belong to no tensor`, { offset: dataStart + pos });
  }
}

/** A typed array over one tensor's elements; F16, BF16 and F8 come as their raw bit patterns. */
export type SafetensorsTypedArray =
  | Float64Array | Float32Array | Uint16Array | Int16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Int8Array | Uint8Array;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An opened safetensors file (or byte buffer): the validated header plus lazy tensor reads. */
export class SafetensorsFile {
  private readonly byName: Map<string, SafetensorsTensorInfo>;

  private constructor(readonly header: SafetensorsHeader, private readonly src: SafetensorsByteSource) {
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  /**
   * Opens a safetensors file and validates its header, reading only the first 8 + N bytes.
   * Throws GlassboxError: SAFETENSORS_* on a bad file, FILE_NOT_FOUND / FILE_IO when it cannot
   * be opened or read.
   */
  static open(path: string): SafetensorsFile {
    const src = new FileRangeSource(path);
    try {
      return new SafetensorsFile(parseSafetensorsHeader(src), src);
    } catch (e) {
      src.close();
      throw e;
    }
  }

  /** Parses safetensors bytes already in memory; tensor bytes are views into `bytes` (no copy). */
  static fromBytes(bytes: Uint8Array): SafetensorsFile {
    const src = new MemorySource(bytes);
    return new SafetensorsFile(parseSafetensorsHeader(src), src);
  }

  /** Total size in bytes. */
  get size(): number { return this.src.size; }
  /** `"__metadata__"`, or undefined when the file has none. */
  get metadata(): Readonly<Record<string, string>> | undefined { return this.header.metadata; }
  /** Tensor entries in header order. */
  get tensors(): readonly SafetensorsTensorInfo[] { return this.header.tensors; }

  /** Tensor info by name, or undefined. */
  tensor(name: string): SafetensorsTensorInfo | undefined {
    return this.byName.get(name);
  }

  private resolve(t: SafetensorsTensorInfo | string): SafetensorsTensorInfo {
    const name = typeof t === "string" ? t : t.name;
    const info = this.byName.get(name);
    if (info === undefined || (typeof t !== "string" && info !== t)) {
      throw new GlassboxError("SAFETENSORS_NOT_FOUND", `no tensor ${quoteName(name)} in this file`);
    }
    return info;
  }

  /**
   * The raw little-endian bytes of one tensor (`nbytes` long, row-major). From a file: a fresh
   * copy read now; from bytes: a view into them. Throws SAFETENSORS_NOT_FOUND for a name not in
   * the file, SAFETENSORS_TOO_LARGE when the tensor exceeds one Node buffer, FILE_IO when the
   * read fails (e.g. the file shrank since it was opened).
   */
  tensorBytes(t: SafetensorsTensorInfo | string): Uint8Array {
    const info = this.resolve(t);
    if (info.nbytes > bufferConstants.MAX_LENGTH) {
      throw new GlassboxError("SAFETENSORS_TOO_LARGE", `tensor ${quoteName(info.name)} is ${info.nbytes} bytes, more than one buffer can hold`, { offset: info.offset });
    }
    return this.src.read(info.offset, info.nbytes);
  }

  /**
   * One tensor's elements as a typed array of `nelements` entries in row-major order:
   * F64 Float64Array, F32 Float32Array, I64 BigInt64Array, U64 BigUint64Array, I32 Int32Array,
   * U32 Uint32Array, I16 Int16Array, U16/F16/BF16 Uint16Array (raw bits), I8 Int8Array,
   * U8/BOOL/F8_E4M3/F8_E5M2 Uint8Array (raw bits). A view when the bytes are suitably aligned,
   * otherwise a copy. Same errors as tensorBytes, plus SAFETENSORS_UNSUPPORTED on a
   * big-endian host.
   */
  tensorData(t: SafetensorsTensorInfo | string): SafetensorsTypedArray {
    const info = this.resolve(t);
    let bytes = this.tensorBytes(info);
    const size = safetensorsDtypeInfo(info.dtype)!.size;
    if (size > 1 && !LITTLE_ENDIAN_HOST) {
      throw new GlassboxError("SAFETENSORS_UNSUPPORTED", "multi-byte tensor data needs a little-endian host");
    }
    if (bytes.byteOffset % size !== 0) bytes = bytes.slice();
    const { buffer, byteOffset } = bytes;
    const n = info.nelements;
    switch (info.dtype) {
      case "F64": return new Float64Array(buffer, byteOffset, n);
      case "F32": return new Float32Array(buffer, byteOffset, n);
      case "I64": return new BigInt64Array(buffer, byteOffset, n);
      case "U64": return new BigUint64Array(buffer, byteOffset, n);
      case "I32": return new Int32Array(buffer, byteOffset, n);
      case "U32": return new Uint32Array(buffer, byteOffset, n);
      case "I16": return new Int16Array(buffer, byteOffset, n);
      case "U16": case "F16": case "BF16": return new Uint16Array(buffer, byteOffset, n);
      case "I8": return new Int8Array(buffer, byteOffset, n);
      case "U8": case "BOOL": case "F8_E4M3": case "F8_E5M2": return new Uint8Array(buffer, byteOffset, n);
    }
  }

  /** Releases the file descriptor (a no-op for fromBytes). */
  close(): void {
    this.src.close();
  }
}
