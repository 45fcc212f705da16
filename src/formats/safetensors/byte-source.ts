/**
 * Random-access byte sources for the safetensors reader: bytes in memory, or a file read on
 * demand (only the ranges asked for). Kept here, not shared with formats/gguf, so that the two
 * readers can evolve separately; both open and read files through util/read-file.ts, so their
 * errors (FILE_NOT_FOUND, FILE_IO) are the same.
 */
import { closeSync } from "node:fs";
import { GlassboxError } from "../../errors.js";
import { openRegularFile, readFully } from "../../util/read-file.js";

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
    ({ fd: this.fd, size: this.size } = openRegularFile(path));
  }

  /** Throws GlassboxError FILE_IO when the read fails or the file has become shorter. */
  read(offset: number, length: number): Uint8Array {
    if (this.fd < 0) throw new GlassboxError("FILE_IO", "read after close", { offset });
    const out = new Uint8Array(length);
    readFully(this.fd, out, offset);
    return out;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
