/**
 * A sequential little-endian reader over a ByteSource. Every read is bounds-checked against the
 * bytes that remain and fails with a typed GlassboxError carrying the byte offset; 64-bit
 * counts and lengths are compared with what the rest of the file can hold before anything is
 * allocated. Reads go through a chunk of the source (the whole buffer for in-memory input, a
 * 64 KiB+ window for files), so the hot loops over vocabulary strings index bytes directly.
 */
import { GlassboxError } from "../../errors.js";
import type { ByteSource } from "./source.js";
import { decodeGgufStringRange } from "./strings.js";

/** Longest string we accept (bytes). V8 strings hold at most ~2^29 UTF-16 units. */
export const GGUF_MAX_STRING_BYTES = 1 << 28;

const CHUNK = 1 << 16;
const TWO32 = 2 ** 32;

export class Cursor {
  pos = 0;
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkStart = 0;
  private dv = new DataView(this.chunk.buffer);

  constructor(readonly src: ByteSource) {}

  /** Bytes left after the current position. */
  remaining(): number {
    return this.src.size - this.pos;
  }

  /** Makes [pos, pos+n) addressable in `chunk`; returns the index of pos in it. GGUF_TRUNCATED if the file is too short. */
  private need(n: number, what: string): number {
    if (n > this.src.size - this.pos) {
      throw new GlassboxError("GGUF_TRUNCATED", `file ends inside ${what}: needs ${n} bytes, ${this.remaining()} left`, { offset: this.pos });
    }
    let i = this.pos - this.chunkStart;
    if (i < 0 || i + n > this.chunk.length) {
      const rest = this.src.size - this.pos;
      const len = this.src.inMemory ? rest : Math.min(Math.max(CHUNK, n), rest);
      this.chunk = this.src.read(this.pos, len);
      this.chunkStart = this.pos;
      this.dv = new DataView(this.chunk.buffer, this.chunk.byteOffset, this.chunk.byteLength);
      i = 0;
    }
    return i;
  }

  /** The next `n` bytes as a view (valid until the cursor moves to another chunk; copy to keep). */
  take(n: number, what: string): Uint8Array {
    const i = this.need(n, what);
    this.pos += n;
    return this.chunk.subarray(i, i + n);
  }

  /** A DataView whose byte 0 is the current position, covering `n` bytes; advances by n. */
  view(n: number, what: string): { dv: DataView; at: number } {
    const at = this.need(n, what);
    this.pos += n;
    return { dv: this.dv, at };
  }

  u8(what: string): number { const i = this.need(1, what); this.pos += 1; return this.chunk[i]!; }
  u32(what: string): number { const i = this.need(4, what); this.pos += 4; return this.dv.getUint32(i, true); }
  u64(what: string): bigint { const i = this.need(8, what); this.pos += 8; return this.dv.getBigUint64(i, true); }
  i64(what: string): bigint { const i = this.need(8, what); this.pos += 8; return this.dv.getBigInt64(i, true); }

  /**
   * A u64 read exactly as a JS number when it is below 2^53, else as Infinity, so it is never
   * rounded: every caller compares it with a bound far below 2^53 (the bytes left in the file).
   * Cheaper than a BigInt per vocabulary string, and just as exact for that comparison.
   */
  private u64Number(what: string): number {
    const i = this.need(8, what);
    this.pos += 8;
    const lo = this.dv.getUint32(i, true), hi = this.dv.getUint32(i + 4, true);
    return hi < 0x200000 ? hi * TWO32 + lo : Infinity;
  }

  private u64Text(at: number): string {
    return new DataView(this.src.read(at, 8).slice().buffer).getBigUint64(0, true).toString();
  }

  /**
   * A u64 count of items of at least `minItemSize` bytes each, which must fit in the bytes left
   * after the count (less `reserve` bytes the caller still needs) and be at most `limit`;
   * otherwise GlassboxError `code` at the count's offset. Returns a safe JS number.
   */
  count(what: string, minItemSize: number, code: string, limit = Number.MAX_SAFE_INTEGER, reserve = 0): number {
    const at = this.pos;
    const v = this.u64Number(what);
    const max = Math.max(0, Math.min(limit, Math.floor((this.remaining() - reserve) / minItemSize)));
    if (v > max) {
      throw new GlassboxError(code, `${what} is ${this.u64Text(at)}, but at most ${max} fit in the rest of the file`, { offset: at });
    }
    return v;
  }

  /**
   * A u64-length-prefixed string (lossless, see strings.ts); GGUF_BAD_STRING on a length beyond
   * the file or GGUF_MAX_STRING_BYTES. `what` may be a function so hot loops build no message text.
   */
  string(what: string | (() => string)): string {
    const at = this.pos;
    const len = this.u64Number(typeof what === "string" ? what : "string length");
    if (len > this.remaining() || len > GGUF_MAX_STRING_BYTES) {
      const name = typeof what === "string" ? what : what();
      const why = len > this.remaining() ? `exceeds the ${this.remaining()} bytes left` : `exceeds the limit of ${GGUF_MAX_STRING_BYTES} bytes`;
      throw new GlassboxError("GGUF_BAD_STRING", `${name} length ${this.u64Text(at)} ${why}`, { offset: at });
    }
    const i = this.need(len, "string");
    this.pos += len;
    return decodeGgufStringRange(this.chunk, i, i + len);
  }
}
