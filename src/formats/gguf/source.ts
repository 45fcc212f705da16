/**
 * Random-access byte sources for parsers: an in-memory buffer or an open file read on demand.
 * A file source reads only the bytes asked for (through a small window cache), so parsing the
 * header of a multi-GB file touches kilobytes, not gigabytes.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Copies `length` bytes starting at `offset`; the caller has checked the range. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** A source over bytes already in memory (no copy on read: returns subarray views). */
export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.byteLength;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  close(): void {}
}

const WINDOW = 1 << 20;

/** A source over a file descriptor, with a 1 MiB read-ahead window for small header reads. */
export class FileSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  private winStart = 0;
  private win: Uint8Array = new Uint8Array(0);

  constructor(path: string) {
    this.fd = openSync(path, "r");
    try {
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  read(offset: number, length: number): Uint8Array {
    if (offset >= this.winStart && offset + length <= this.winStart + this.win.byteLength) {
      return this.win.subarray(offset - this.winStart, offset - this.winStart + length);
    }
    if (length > WINDOW / 2) return this.readExact(offset, length);
    this.win = this.readExact(offset, Math.min(WINDOW, this.size - offset));
    this.winStart = offset;
    return this.win.subarray(0, length);
  }

  private readExact(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n <= 0) throw new Error(`short read at byte ${offset + done}`);
      done += n;
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
