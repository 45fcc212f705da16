/**
 * A buffer pool for the training step: f32 buffers recycled by exact length. A training step
 * asks for the same sizes in the same order every time, so after the first step every request
 * is served from the free lists and nothing is allocated any more. This matters for the wasm
 * kernels, whose arena never frees (src/kernels/wasm/arena.ts): buffers taken from
 * `Kernels.alloc` live in WebAssembly memory (no copies when passed to a kernel) and are reused
 * here instead of being leaked.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Elements currently held by the pool or handed out (all buffers ever made). */
  private total = 0;

  /** @param allocate makes a new buffer of n floats (e.g. `kernels.alloc`); default plain Float32Array. */
  constructor(private readonly allocate: (n: number) => Float32Array = (n) => new Float32Array(n)) {}

  /** A buffer of exactly n floats; contents undefined unless `zero` (then all 0). */
  acquire(n: number, zero = false): Float32Array {
    const list = this.free.get(n);
    const b = list?.pop();
    if (b) {
      if (zero) b.fill(0);
      return b;
    }
    this.total += n;
    const nb = this.allocate(n);
    // Kernels.alloc promises zeros but a wasm arena may hand back released scratch: be explicit.
    if (zero) nb.fill(0);
    return nb;
  }

  /** Gives a buffer back (it must not be used by the caller afterwards). */
  release(b: Float32Array): void {
    let list = this.free.get(b.length);
    if (!list) this.free.set(b.length, (list = []));
    list.push(b);
  }

  /** Floats allocated over the pool's life (bytes = 4x). */
  get allocatedElements(): number {
    return this.total;
  }
}
