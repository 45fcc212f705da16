/**
 * safetensors writer, byte-identical to the reference implementation (huggingface/safetensors
 * safetensors/src/tensor.rs `prepare` + `serialize`, as used by `safetensors.numpy.save` and
 * `safetensors.torch.save_file`):
 * - tensors are ordered by dtype alignment, largest first (descending rank in dtypes.ts: U64,
 *   I64, F64, F32, U32, I32, BF16, F16, U16, I16, F8_E4M3, F8_E5M2, I8, U8, BOOL), then by name
 *   in UTF-8 byte order, and their data is laid out back to back in that order;
 * - the header is compact JSON: `__metadata__` first (when given, keys in the caller's order),
 *   then each tensor as `{"dtype":..,"shape":[..],"data_offsets":[begin,end]}`;
 * - the JSON is padded with spaces (0x20) to a multiple of 8 bytes, so the data buffer starts
 *   8-byte aligned and every tensor is aligned to its element size.
 */
import { constants as bufferConstants } from "node:buffer";
import { GlassboxError } from "../../errors.js";
import { writeFileAtomic } from "../../util/atomic-file.js";
import { safetensorsDtypeInfo, type SafetensorsDtype, type SafetensorsDtypeInfo } from "./dtypes.js";
import { SAFETENSORS_MAX_RANK, quoteName } from "./header-parser.js";
import { SAFETENSORS_MAX_HEADER_SIZE } from "./reader.js";
import { isWellFormedString } from "./utf8.js";

/** One tensor to write: its dtype, row-major shape, and `nelements * size` bytes of little-endian data. */
export interface SafetensorsTensorInput {
  readonly dtype: SafetensorsDtype;
  /** Row-major (C order) dimensions, outermost first; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** The elements' bytes (any typed array or DataView; its bytes are written as they are). */
  readonly data: ArrayBufferView;
}

/** Tensors by name, as a Map or a plain object. */
export type SafetensorsTensorMap = ReadonlyMap<string, SafetensorsTensorInput> | Readonly<Record<string, SafetensorsTensorInput>>;

/** `__metadata__` string pairs, as a Map or a plain object; written in iteration order. */
export type SafetensorsMetadata = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

const encoder = new TextEncoder();

function badInput(message: string): never {
  throw new GlassboxError("SAFETENSORS_BAD_INPUT", message);
}

function entriesOf<V>(m: ReadonlyMap<string, V> | Readonly<Record<string, V>>): [string, V][] {
  return m instanceof Map ? [...(m as ReadonlyMap<string, V>).entries()] : Object.entries(m as Record<string, V>);
}

/**
 * Orders two strings as their UTF-8 bytes would (that is, by code point), unlike `<` on JS
 * strings, which compares UTF-16 code units and puts U+E000..U+FFFF after astral characters.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const fx = x >= 0xe000 ? x - 0x800 : x >= 0xd800 ? x + 0x2000 : x;
      const fy = y >= 0xe000 ? y - 0x800 : y >= 0xd800 ? y + 0x2000 : y;
      return fx - fy;
    }
  }
  return a.length - b.length;
}

interface Planned {
  name: string;
  dtype: SafetensorsDtypeInfo;
  shape: readonly number[];
  bytes: Uint8Array;
}

/** The header bytes (length prefix + padded JSON) and the data chunks in file order. */
interface Layout {
  head: Uint8Array;
  chunks: Uint8Array[];
  size: number;
}

function checkInput(name: string, t: SafetensorsTensorInput): Planned {
  const q = quoteName(name);
  if (name === "__metadata__") badInput(`"__metadata__" cannot be a tensor name`);
  if (!isWellFormedString(name)) badInput(`tensor name ${q} has a lone UTF-16 surrogate`);
  if (t === null || typeof t !== "object") badInput(`tensor ${q} must be {dtype, shape, data}`);
  const dtype = typeof t.dtype === "string" ? safetensorsDtypeInfo(t.dtype) : undefined;
  if (dtype === undefined) badInput(`tensor ${q} has unknown dtype ${String(t.dtype)}`);
  if (!Array.isArray(t.shape) || t.shape.length > SAFETENSORS_MAX_RANK) {
    badInput(`shape of tensor ${q} must be an array of at most ${SAFETENSORS_MAX_RANK} dimensions`);
  }
  for (const d of t.shape) {
    if (!Number.isSafeInteger(d) || d < 0) badInput(`shape of tensor ${q} has ${String(d)}, not a non-negative integer`);
  }
  const nelements = t.shape.includes(0) ? 0 : t.shape.reduce((p, d) => p * d, 1);
  const nbytes = nelements * dtype.size;
  if (!Number.isSafeInteger(nbytes)) badInput(`tensor ${q} is too large`);
  if (!ArrayBuffer.isView(t.data)) badInput(`data of tensor ${q} must be a typed array or DataView`);
  if (t.data.byteLength !== nbytes) {
    badInput(`data of tensor ${q} is ${t.data.byteLength} bytes, but ${dtype.name} [${t.shape.join(", ")}] needs ${nbytes}`);
  }
  return { name, dtype, shape: t.shape.slice(), bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
}

function layout(tensors: SafetensorsTensorMap, metadata: SafetensorsMetadata | undefined): Layout {
  const planned = entriesOf(tensors).map(([name, t]) => checkInput(name, t));
  planned.sort((a, b) => b.dtype.rank - a.dtype.rank || compareUtf8(a.name, b.name));
  const members: string[] = [];
  if (metadata !== undefined) {
    const pairs = entriesOf(metadata).map(([k, v]) => {
      if (typeof v !== "string") badInput(`metadata value of ${quoteName(k)} must be a string, got ${typeof v}`);
      if (!isWellFormedString(k) || !isWellFormedString(v)) badInput(`metadata entry ${quoteName(k)} has a lone UTF-16 surrogate`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    members.push(`"__metadata__":{${pairs.join(",")}}`);
  }
  let offset = 0;
  for (const t of planned) {
    const end = offset + t.bytes.byteLength;
    members.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype.name}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = encoder.encode(`{${members.join(",")}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded > SAFETENSORS_MAX_HEADER_SIZE) {
    throw new GlassboxError("SAFETENSORS_HEADER_TOO_LARGE", `the header would be ${padded} bytes, above the ${SAFETENSORS_MAX_HEADER_SIZE}-byte limit readers accept`);
  }
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return { head, chunks: planned.map((t) => t.bytes), size: head.byteLength + offset };
}

/**
 * Serializes tensors (and optional `__metadata__`) to safetensors bytes, byte-identical to the
 * reference writer (ordering described at the top of this file).
 * Throws GlassboxError SAFETENSORS_BAD_INPUT (unknown dtype, bad shape, data length not
 * `nelements * size`, non-string metadata value, a name `__metadata__` or with a lone
 * surrogate), SAFETENSORS_HEADER_TOO_LARGE, SAFETENSORS_TOO_LARGE (over one Node buffer: use
 * writeSafetensors).
 */
export function serializeSafetensors(tensors: SafetensorsTensorMap, metadata?: SafetensorsMetadata): Uint8Array {
  const l = layout(tensors, metadata);
  if (l.size > bufferConstants.MAX_LENGTH) {
    throw new GlassboxError("SAFETENSORS_TOO_LARGE", `the file would be ${l.size} bytes, more than one buffer can hold; use writeSafetensors`);
  }
  const out = new Uint8Array(l.size);
  out.set(l.head, 0);
  let pos = l.head.byteLength;
  for (const c of l.chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

/**
 * Writes tensors (and optional `__metadata__`) to a safetensors file at `path`, atomically
 * (util/atomic-file.ts: temporary file in the same folder, fsync, rename), streaming each
 * tensor's bytes without building the whole file in memory. Output is identical to
 * serializeSafetensors. Rejects with the same GlassboxErrors before touching the disk, and with
 * FILE_NOT_FOUND / FILE_IO when the file cannot be written (the destination is then unchanged;
 * FILE_IO up front when `path` is empty or is a directory or device: see output-path.ts).
 */
export async function writeSafetensors(path: string, tensors: SafetensorsTensorMap, metadata?: SafetensorsMetadata): Promise<void> {
  const l = layout(tensors, metadata);
  await writeFileAtomic(path, async (sink) => {
    await sink.write(l.head);
    for (const c of l.chunks) await sink.write(c);
  });
}
