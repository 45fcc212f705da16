/**
 * A bump allocator over one shared WebAssembly.Memory. The first 64 KiB belong to the
 * AssemblyScript module's static data; buffers start above. Memory grows on demand (64 KiB
 * pages, up to 4 GiB); growing never moves or detaches a shared buffer, so earlier views stay valid.
 */
import { GlassboxError } from "../../errors.js";

const PAGE = 65536;
/** Where buffers start (the module's static data lives below). */
export const ARENA_BASE = 65536;

export class Arena {
  /** Next free byte. */
  private top = ARENA_BASE;
  private readonly buffers = new Set<ArrayBufferLike>();

  constructor(readonly memory: WebAssembly.Memory) {
    this.buffers.add(memory.buffer);
  }

  /** Bytes in use (including the reserved first 64 KiB). */
  get used(): number {
    return this.top;
  }

  /**
   * Reserves `bytes` (aligned to `align`, default 64 = a cache line) and returns the byte offset.
   * @throws KERNEL_OUT_OF_MEMORY past 4 GiB.
   */
  alloc(bytes: number, align = 64): number {
    const p = Math.ceil(this.top / align) * align;
    const end = p + bytes;
    this.ensure(end);
    this.top = end;
    return p;
  }

  /** Makes sure the memory is at least `end` bytes long. */
  ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new GlassboxError("KERNEL_OUT_OF_MEMORY", `cannot grow WebAssembly memory to ${end} bytes`, { cause: e });
    }
    this.buffers.add(this.memory.buffer);
  }

  /** A zero-filled Float32Array of n elements in the memory (scratch space is reused, so it is cleared). */
  f32(n: number): Float32Array {
    const p = this.alloc(n * 4); // before reading .buffer: alloc may grow the memory
    return new Float32Array(this.memory.buffer, p, n).fill(0);
  }

  /** A zero-filled Uint8Array of n bytes in the memory. */
  u8(n: number): Uint8Array {
    const p = this.alloc(n);
    return new Uint8Array(this.memory.buffer, p, n).fill(0);
  }

  /** The current top, to pass to {@link release} later (scratch allocations). */
  mark(): number {
    return this.top;
  }

  /** Frees everything allocated after `mark` (mark/release must nest). */
  release(mark: number): void {
    this.top = mark;
  }

  /** True when `a` is a view into this memory (its byteOffset is then the wasm pointer). */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }
}
