/**
 * Random-access byte sources for the safetensors reader: bytes in memory, or a file read on
 * demand (only the ranges asked for). Kept here, not shared with formats/gguf, so that the two
 * readers can evolve separately; the error codes (FILE_NOT_FOUND, FILE_IO) are the same.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { GlassboxError } from "../../errors.js";
import { notRegularFile } from "../file-kind.js";

export interface SafetensorsByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * `length` bytes from `offset` (the caller has checked the range): a view for bytes in
   * memory, a fresh buffer for a file.
   */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** Bytes already in memory; reads are subarray views (no copy). */
export class MemorySource implements SafetensorsByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.byteLength;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  close(): void {}
}

/** A file opened read-only; each read is one positioned read into a new buffer. */
export class FileRangeSource implements SafetensorsByteSource {
  readonly size: number;
  private fd: number;

  /** Opens `path`. Throws GlassboxError FILE_NOT_FOUND or FILE_IO (also when `path` is a directory, pipe or device). */
  constructor(path: string) {
    try {
      this.fd = openSync(path, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
      throw new GlassboxError(code, `cannot open ${path}: ${(e as Error).message}`, { cause: e });
    }
    let problem: string | null;
    try {
      const st = fstatSync(this.fd);
      this.size = st.size;
      problem = notRegularFile(st);
    } catch (e) {
      closeSync(this.fd);
      throw new GlassboxError("FILE_IO", `cannot stat ${path}: ${(e as Error).message}`, { cause: e });
    }
    // open() succeeds on a directory, pipe or device; say so here instead of failing at a read.
    if (problem !== null) {
      closeSync(this.fd);
      throw new GlassboxError("FILE_IO", `cannot open ${path}: ${problem}`);
    }
  }

  /** Throws GlassboxError FILE_IO when the read fails or the file has become shorter. */
  read(offset: number, length: number): Uint8Array {
    if (this.fd < 0) throw new GlassboxError("FILE_IO", "read after close", { offset });
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, out, done, length - done, offset + done);
      } catch (e) {
        throw new GlassboxError("FILE_IO", `read failed: ${(e as Error).message}`, { offset: offset + done, cause: e });
      }
      if (n <= 0) throw new GlassboxError("FILE_IO", "the file became shorter while reading", { offset: offset + done });
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
