/**
 * Reverse-mode automatic differentiation on a tape (Wengert list). Every op (ops/*.ts) computes
 * its forward result immediately and, when an input needs a gradient, pushes a closure that
 * computes its backward: it reads the output's gradient and accumulates (+=) into the inputs'
 * gradients. `backward(loss)` seeds d loss = 1 and runs the closures in reverse order. As in
 * llm.c, each op's backward is written right below its forward, in the same file.
 *
 * Memory: activations and their gradients come from a BufferPool (pool.ts) and go back to it on
 * `reset()`, so a training loop that calls forward / backward / reset with the same shapes
 * allocates nothing after its first step. Parameters are ordinary Tensors owning `data` and a
 * preallocated `grad`; the tape never frees those.
 */
import { GlassboxError } from "../errors.js";
import type { Kernels } from "../kernels/api.js";
import { BufferPool } from "./pool.js";
import { Tensor } from "./tensor.js";

export class Tape {
  /** Gradients are recorded only while this is true (set false for inference-only forwards). */
  gradEnabled = true;
  private readonly backs: (() => void)[] = [];
  private readonly held: Float32Array[] = [];
  private readonly heldGrads: Tensor[] = [];

  /**
   * @param k kernels used by the ops for heavy math (GEMM); refKernels or loadWasmKernels().
   * @param pool where step buffers come from; default a pool over `k.alloc` (wasm memory for the wasm kernels).
   */
  constructor(readonly k: Kernels, readonly pool: BufferPool = new BufferPool((n) => k.alloc(n))) {}

  /** A step buffer of n floats (returned to the pool on reset); zero-filled when `zero`. */
  buffer(n: number, zero = false): Float32Array {
    const b = this.pool.acquire(n, zero);
    this.held.push(b);
    return b;
  }

  /** Temporary buffer for use inside one op (forward or backward); give it back with {@link free}. */
  scratch(n: number, zero = false): Float32Array {
    return this.pool.acquire(n, zero);
  }

  /** Returns a {@link scratch} buffer to the pool. */
  free(b: Float32Array): void {
    this.pool.release(b);
  }

  /** A new activation tensor with a step buffer (contents undefined unless `zero`). */
  tensor(shape: readonly number[], requiresGrad: boolean, zero = false): Tensor {
    let n = 1;
    for (const d of shape) n *= d;
    return new Tensor(this.buffer(n, zero), shape, requiresGrad);
  }

  /** True when gradients are being recorded and any of `ts` needs one. */
  needsGrad(...ts: Tensor[]): boolean {
    if (!this.gradEnabled) return false;
    for (const t of ts) if (t.requiresGrad) return true;
    return false;
  }

  /** Records a backward closure (run in reverse order by {@link backward}). */
  record(fn: () => void): void {
    this.backs.push(fn);
  }

  /**
   * The gradient buffer of `t`, created zero-filled from the pool when `t` has none yet
   * (activations). Parameters should own their grad (see the model), so it outlives reset().
   */
  grad(t: Tensor): Float32Array {
    if (t.grad) return t.grad;
    t.grad = this.pool.acquire(t.size, true);
    this.heldGrads.push(t);
    return t.grad;
  }

  /** Number of recorded backward closures. */
  get length(): number {
    return this.backs.length;
  }

  /**
   * Backpropagates from a scalar `loss`: d loss = `seed` (e.g. 1/accumulation steps), then every
   * recorded closure in reverse. Gradients accumulate into existing `grad` buffers (call the
   * model's zeroGrad() between optimizer steps). The recorded closures are dropped afterwards.
   * @throws TAPE_NOT_SCALAR when `loss` has more than one element.
   */
  backward(loss: Tensor, seed = 1): void {
    if (loss.size !== 1) throw new GlassboxError("TAPE_NOT_SCALAR", `backward needs a scalar loss, got shape [${loss.shape.join(", ")}]`);
    const g = this.grad(loss);
    g[0] = g[0]! + seed;
    for (let i = this.backs.length - 1; i >= 0; i--) this.backs[i]!();
    this.backs.length = 0;
  }

  /**
   * Ends a step: drops recorded closures and returns every step buffer and activation gradient
   * to the pool. Tensors made by this tape since the last reset must not be used afterwards.
   */
  reset(): void {
    this.backs.length = 0;
    for (const b of this.held) this.pool.release(b);
    this.held.length = 0;
    for (const t of this.heldGrads) {
      if (t.grad) this.pool.release(t.grad);
      t.grad = null;
    }
    this.heldGrads.length = 0;
  }
}
