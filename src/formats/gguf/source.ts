/**
 * Random-access byte sources for parsers: an in-memory buffer or an open file read on demand.
 * A file source reads only the bytes asked for (through a small window cache), so parsing the
 * header of a multi-GB file touches kilobytes, not gigabytes.
 */
import { closeSync, fstatSync } from "node:fs";
import { constants as bufferConstants } from "node:buffer";
import { GlassboxError } from "../../errors.js";
import { openRegularFile, readFully } from "../../util/read-file.js";

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** True when read() returns views of bytes already in memory (no I/O, no copy). */
  readonly inMemory?: boolean;
  /**
   * Returns `length` bytes starting at `offset`; the caller has checked the range. The result may
   * be a view into a cache that the next call overwrites: copy it to keep it.
   */
  read(offset: number, length: number): Uint8Array;
  /** Like read(), but always a fresh buffer that the caller owns (byteOffset 0). */
  readCopy(offset: number, length: number): Uint8Array;
  close(): void;
}

/** Largest single allocation Node allows for a Uint8Array on this platform. */
const MAX_ALLOC = bufferConstants.MAX_LENGTH;

function checkAlloc(length: number, offset: number): void {
  if (length > MAX_ALLOC) {
    throw new GlassboxError("GGUF_TOO_LARGE", `cannot read ${length} bytes at once (this Node.js allows ${MAX_ALLOC})`, { offset });
  }
}

/** A source over bytes already in memory (no copy on read: returns subarray views). */
export class BufferSource implements ByteSource {
  readonly size: number;
  readonly inMemory = true;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.byteLength;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  readCopy(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }
  close(): void {}
}

/**
 * A source over a file descriptor, read with positional reads (the descriptor's position is
 * untouched). Callers that read small pieces keep their own window (see cursor.ts).
 * Errors: `FILE_NOT_FOUND` / `FILE_IO` (GlassboxError) when the file cannot be opened or read.
 */
export class FileSource implements ByteSource {
  readonly size: number;
  private closed = false;

  /** Wraps an open descriptor; `ownsFd` decides whether close() closes it. */
  constructor(private readonly fd: number, private readonly ownsFd: boolean) {
    try {
      this.size = fstatSync(fd).size;
    } catch (e) {
      if (ownsFd) closeSync(fd);
      throw new GlassboxError("FILE_IO", `cannot stat file descriptor ${fd}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Opens `path` read-only. Throws FILE_NOT_FOUND, or FILE_IO (also when `path` is a directory, pipe or device). */
  static open(path: string): FileSource {
    return new FileSource(openRegularFile(path).fd, true);
  }

  read(offset: number, length: number): Uint8Array {
    return this.readCopy(offset, length);
  }

  readCopy(offset: number, length: number): Uint8Array {
    checkAlloc(length, offset);
    const out = new Uint8Array(length);
    readFully(this.fd, out, offset);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }
}
