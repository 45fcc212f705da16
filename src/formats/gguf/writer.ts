/**
 * GGUF v2/v3 writer. Byte layout as ggml's `gguf_write_out` (ggml/src/gguf.cpp) and gguf-py's
 * GGUFWriter produce it: header (magic, version, n_tensors, n_kv), KVs in the given order, tensor
 * infos in the given order with offsets packed from 0 (each tensor's data padded with zeros to the
 * alignment), zero padding to the alignment, then the tensor data. As in gguf-py, a file without
 * tensors ends right after its KVs (no padding). Reading a file and writing it back with
 * ggufToWrite() reproduces every GGUF written by ggml or gguf-py byte for byte.
 *
 * Numbers: f32/f64 scalars go through JS numbers, so a NaN scalar is written as the canonical
 * quiet NaN (typed-array values keep their exact bits).
 */
import { constants as bufferConstants } from "node:buffer";
import { GlassboxError } from "../../errors.js";
import { writeFileAtomic } from "../../util/atomic-file.js";
import { ByteWriter, checkTensor, encodeKv, encodeTensorInfo, type CheckedTensor } from "./encode.js";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, type GgufFile } from "./reader.js";
import { GgufValueType, type GgufKV } from "./types.js";

/** One tensor to write. `ne` is in ggml order (ne[0] = row length); `type` is a ggml type id. */
export interface GgufTensorToWrite {
  name: string;
  ne: readonly number[];
  type: number;
  /** The tensor's bytes (exactly its ggml size), or a callback producing them when needed. */
  data: Uint8Array | (() => Uint8Array | Promise<Uint8Array>);
}

/** A whole GGUF file to write. */
export interface GgufToWrite {
  /** GGUF version, 2 or 3 (default 3); the two share one layout. */
  version?: 2 | 3;
  /** KVs, written in this order. */
  kv: readonly GgufKV[];
  tensors: readonly GgufTensorToWrite[];
  /**
   * Tensor data alignment. Default: the `general.alignment` KV if present, else 32. A value other
   * than 32 must also be declared by a `general.alignment` u32 KV (readers learn it only from there).
   */
  alignment?: number;
}

/** Where each part of a planned file goes. Offsets are absolute file offsets unless said otherwise. */
export interface GgufLayout {
  /** Magic through tensor infos, plus the padding to the alignment when there are tensors. */
  readonly header: Uint8Array;
  readonly alignment: number;
  /** Where tensor data starts (= header.length). */
  readonly dataOffset: number;
  /** Per tensor, in order: size and offset relative to dataOffset. */
  readonly tensors: readonly (CheckedTensor & { readonly offset: number })[];
  /** Size of the whole file in bytes. */
  readonly totalSize: number;
}

const padTo = (n: number, a: number) => Math.ceil(n / a) * a;

function resolveAlignment(g: GgufToWrite): number {
  const declared = g.kv.find((k) => k.key === "general.alignment");
  let a = g.alignment;
  if (declared) {
    const v = declared.value;
    if (declared.type !== GgufValueType.UINT32 || typeof v !== "number") {
      throw new GlassboxError("GGUF_BAD_ALIGNMENT", "general.alignment must be a u32 KV");
    }
    if (a !== undefined && a !== v) {
      throw new GlassboxError("GGUF_BAD_ALIGNMENT", `alignment ${a} differs from the general.alignment KV (${v})`);
    }
    a = v;
  } else if (a !== undefined && a !== GGUF_DEFAULT_ALIGNMENT) {
    throw new GlassboxError("GGUF_BAD_ALIGNMENT", `alignment ${a} must also be declared with kv.u32("general.alignment", ${a})`);
  }
  a ??= GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(a) || a < 1 || a > 0x80000000 || (a & (a - 1)) !== 0) {
    throw new GlassboxError("GGUF_BAD_ALIGNMENT", `alignment ${a} is not a power of two`);
  }
  return a;
}

/**
 * Validates `g` and lays it out: header bytes, tensor offsets and total size, without touching
 * tensor data. Throws GlassboxError: GGUF_UNSUPPORTED_VERSION, GGUF_BAD_ALIGNMENT, GGUF_BAD_KEY,
 * GGUF_DUPLICATE_KEY, GGUF_BAD_VALUE, GGUF_BAD_VALUE_TYPE, GGUF_BAD_STRING,
 * GGUF_NESTING_TOO_DEEP, GGUF_DUPLICATE_TENSOR, GGUF_BAD_DIMS, GGUF_BAD_SHAPE, GGUF_BAD_TENSOR_TYPE.
 */
export function planGgufLayout(g: GgufToWrite): GgufLayout {
  const version = g.version ?? 3;
  if (version !== 2 && version !== 3) throw new GlassboxError("GGUF_UNSUPPORTED_VERSION", `cannot write GGUF version ${String(version)}`);
  const alignment = resolveAlignment(g);

  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(version);
  w.u64(BigInt(g.tensors.length));
  w.u64(BigInt(g.kv.length));
  const keys = new Set<string>();
  for (const k of g.kv) {
    if (keys.has(k.key)) throw new GlassboxError("GGUF_DUPLICATE_KEY", `duplicate key '${k.key}'`);
    keys.add(k.key);
    encodeKv(w, k);
  }
  const names = new Set<string>();
  const tensors: (CheckedTensor & { offset: number })[] = [];
  let offset = 0;
  for (const t of g.tensors) {
    if (names.has(t.name)) throw new GlassboxError("GGUF_DUPLICATE_TENSOR", `duplicate tensor name '${t.name}'`);
    names.add(t.name);
    const c = checkTensor(t.name, t.ne, t.type);
    encodeTensorInfo(w, c, offset);
    tensors.push({ ...c, offset });
    offset += padTo(c.nbytes, alignment);
  }
  if (tensors.length > 0) w.pad(alignment);
  const header = w.result();
  return { header, alignment, dataOffset: header.length, tensors, totalSize: header.length + offset };
}

function checkData(t: GgufTensorToWrite, nbytes: number, data: unknown): Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new GlassboxError("GGUF_BAD_TENSOR_DATA", `tensor '${t.name}': data must be a Uint8Array (got ${Object.prototype.toString.call(data)})`);
  }
  if (data.byteLength !== nbytes) {
    throw new GlassboxError("GGUF_BAD_TENSOR_SIZE", `tensor '${t.name}' has ${data.byteLength} bytes of data; its shape [${t.ne.join(", ")}] and type need ${nbytes}`);
  }
  return data;
}

/**
 * Serializes a whole GGUF file into memory. Data callbacks must return synchronously here
 * (GGUF_ASYNC_DATA otherwise; use writeGgufFile for streaming). Errors: those of
 * planGgufLayout, plus GGUF_BAD_TENSOR_DATA / GGUF_BAD_TENSOR_SIZE for data of the wrong kind or
 * length, GGUF_TOO_LARGE when the file cannot be one buffer.
 */
export function serializeGguf(g: GgufToWrite): Uint8Array {
  const layout = planGgufLayout(g);
  if (layout.totalSize > bufferConstants.MAX_LENGTH) throw new GlassboxError("GGUF_TOO_LARGE", `a ${layout.totalSize}-byte file cannot be built in memory; use writeGgufFile`);
  const out = new Uint8Array(layout.totalSize);
  out.set(layout.header, 0);
  g.tensors.forEach((t, i) => {
    const p = layout.tensors[i]!;
    const d = typeof t.data === "function" ? t.data() : t.data;
    if (d instanceof Promise) {
      d.catch(() => undefined);
      throw new GlassboxError("GGUF_ASYNC_DATA", `tensor '${t.name}': serializeGguf needs synchronous data; use writeGgufFile`);
    }
    out.set(checkData(t, p.nbytes, d), layout.dataOffset + p.offset);
  });
  return out;
}

/**
 * Writes a GGUF file to `path`, streaming one tensor at a time (each data callback is awaited
 * only when its tensor is written, so at most one tensor is in memory). Atomic: the file appears
 * complete or not at all (util/atomic-file.ts); on any failure the temporary file is removed and
 * an existing `path` is left untouched. `onProgress(bytesDone, bytesTotal)` is called after the
 * header and after each tensor. Errors: those of serializeGguf (except GGUF_ASYNC_DATA /
 * GGUF_TOO_LARGE), FILE_IO / FILE_NOT_FOUND (FILE_IO before writing anything when `path` is
 * empty or is a directory or device: see output-path.ts).
 */
export async function writeGgufFile(
  path: string, g: GgufToWrite, onProgress?: (bytesDone: number, bytesTotal: number) => void,
): Promise<void> {
  const layout = planGgufLayout(g);
  const zeros = new Uint8Array(layout.alignment);
  await writeFileAtomic(path, async (sink) => {
    await sink.write(layout.header);
    onProgress?.(sink.bytesWritten, layout.totalSize);
    for (let i = 0; i < g.tensors.length; i++) {
      const t = g.tensors[i]!, p = layout.tensors[i]!;
      const d = checkData(t, p.nbytes, typeof t.data === "function" ? await t.data() : t.data);
      await sink.write(d);
      const pad = padTo(p.nbytes, layout.alignment) - p.nbytes;
      if (pad > 0) await sink.write(zeros.subarray(0, pad));
      onProgress?.(sink.bytesWritten, layout.totalSize);
    }
    if (sink.bytesWritten !== layout.totalSize) {
      throw new GlassboxError("GGUF_INTERNAL", `wrote ${sink.bytesWritten} bytes, planned ${layout.totalSize}`);
    }
  });
}

/**
 * Turns a parsed GGUF file into something to write: same version, KVs in file order, tensors in
 * info order with lazy data read from `file` (keep it open until the write finishes). Writing the
 * result reproduces the file byte for byte when its tensors are packed in info order, as ggml and
 * gguf-py write them; edit the `kv` and `tensors` arrays to change the file.
 */
export function ggufToWrite(file: GgufFile): GgufToWrite & { kv: GgufKV[]; tensors: GgufTensorToWrite[] } {
  const version = file.header.version === 2 ? 2 : 3;
  return {
    version,
    kv: [...file.kv.values()],
    tensors: file.tensors.map((t) => ({ name: t.name, ne: [...t.ne], type: t.type, data: () => file.tensorBytes(t) })),
    alignment: file.header.alignment,
  };
}
