/**
 * `loadModelFile`: a model straight from a GGUF path, with the whole file read once into the
 * kernels' own memory (`kernels.alloc`) and the weights used there in place. Compared with
 * `loadModel(GgufFile.open(path), ...)`, which reads each tensor into a fresh buffer and copies it
 * into kernel memory, no per-tensor buffers are left for the garbage collector, so peak memory
 * is about the file plus the KV cache and scratch (and loading is one sequential read).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { GlassboxError } from "../errors.js";
import { GgufFile } from "../formats/gguf/reader.js";
import type { Kernels } from "../kernels/api.js";
import type { LoadModelOptions, Model } from "./model.js";
import { loadModel } from "./registry.js";

/** Bytes per readSync call (below the 2 GiB a single read may return on Linux). */
const CHUNK = 1 << 30;

/**
 * Reads the GGUF file at `path` into `kernels.alloc` memory and loads the model from it (see the
 * module comment). The header and metadata stay in that buffer too (they are small).
 * @throws FILE_NOT_FOUND / FILE_IO when the file cannot be read; the errors of GgufFile.fromBytes
 *   and loadModel.
 */
export function loadModelFile(path: string, kernels: Kernels, opts: LoadModelOptions = {}): Model {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
    throw new GlassboxError(code, `cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  let bytes: Uint8Array;
  try {
    const size = fstatSync(fd).size;
    const buf = kernels.alloc(Math.ceil(size / 4));
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, size);
    for (let done = 0; done < size;) {
      const n = readSync(fd, bytes, done, Math.min(CHUNK, size - done), done);
      if (n <= 0) throw new GlassboxError("FILE_IO", `${path} became shorter while reading`, { offset: done });
      done += n;
    }
  } catch (e) {
    if (e instanceof GlassboxError) throw e;
    throw new GlassboxError("FILE_IO", `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
  return loadModel(GgufFile.fromBytes(bytes), kernels, opts);
}
