/**
 * `loadModelFile`: a model straight from a GGUF path, with the whole file read once into the
 * kernels' own memory (`kernels.alloc`) and the weights used there in place. Compared with
 * `loadModel(GgufFile.open(path), ...)`, which reads each tensor into a fresh buffer and copies it
 * into kernel memory, no per-tensor buffers are left for the garbage collector, so peak memory
 * is about the file plus the KV cache and scratch (and loading is one sequential read).
 */
import { closeSync } from "node:fs";
import { GgufFile } from "../formats/gguf/reader.js";
import type { Kernels } from "../kernels/api.js";
import { openRegularFile, readFully } from "../util/read-file.js";
import type { LoadModelOptions, Model } from "./model.js";
import { loadModel } from "./registry.js";

/**
 * Reads the GGUF file at `path` into `kernels.alloc` memory and loads the model from it (see the
 * module comment). The header and metadata stay in that buffer too (they are small).
 * @param parsed the same file already opened with GgufFile.open (its header is reused, not parsed again).
 * @throws FILE_NOT_FOUND / FILE_IO when the file cannot be opened or read (util/read-file.ts); the
 *   errors of GgufFile.fromBytes / withBytes and loadModel.
 */
export function loadModelFile(path: string, kernels: Kernels, opts: LoadModelOptions = {}, parsed?: GgufFile): Model {
  const { fd, size } = openRegularFile(path);
  let bytes: Uint8Array;
  try {
    const buf = kernels.alloc(Math.ceil(size / 4));
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, size);
    readFully(fd, bytes, 0);
  } finally {
    closeSync(fd);
  }
  return loadModel(parsed ? parsed.withBytes(bytes) : GgufFile.fromBytes(bytes), kernels, opts);
}
