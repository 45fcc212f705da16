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
  /** End of the highest range ever handed out: memory above it is still as grow() made it (zero). */
  private touched = ARENA_BASE;
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
    if (end > this.touched) this.touched = end;
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

  /**
   * A zero-filled Float32Array of n elements in the memory. Only the part that overlaps memory
   * handed out before (released scratch) is cleared: fresh memory is zero already, and leaving it
   * untouched keeps its pages out of the resident set until they are used (a KV cache costs RSS
   * only for the positions written).
   */
  f32(n: number): Float32Array {
    const dirty = this.touched;
    const p = this.alloc(n * 4); // before reading .buffer: alloc may grow the memory
    const a = new Float32Array(this.memory.buffer, p, n);
    if (p < dirty) a.fill(0, 0, Math.min(n, Math.ceil((dirty - p) / 4)));
    return a;
  }

  /** A zero-filled Uint8Array of n bytes in the memory (cleared like {@link f32}). */
  u8(n: number): Uint8Array {
    const dirty = this.touched;
    const p = this.alloc(n);
    const a = new Uint8Array(this.memory.buffer, p, n);
    if (p < dirty) a.fill(0, 0, Math.min(n, dirty - p));
    return a;
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
