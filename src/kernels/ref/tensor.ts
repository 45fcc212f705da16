/**
 * Conventions shared by every kernel (reference and WebAssembly):
 *
 * - Activations are `Float32Array`s holding a **row-major** tensor: the last dimension listed is
 *   contiguous. Shapes in doc comments are written outermost first, e.g. `x: [n_tokens][n_embd]`
 *   means `x[t * n_embd + i]`. This is the reverse of ggml's `ne` order (`ne[0]` = row length).
 * - Sizes are passed explicitly as numbers; kernels never infer them from `length` (a buffer may
 *   be longer than needed, e.g. a preallocated KV cache). Kernels throw `GlassboxError` with code
 *   `KERNEL_BAD_SHAPE` when a buffer is too short or a size is invalid.
 * - Outputs are written into caller-provided arrays (`out` first), so a model can preallocate
 *   everything once. Unless a doc comment says otherwise, `out` may alias an input of the same
 *   shape (element-wise ops, norms, softmax, rope run in place safely); matmul and attention
 *   outputs must not alias their inputs.
 * - Weights stay in ggml's stored layout: see {@link WeightMatrix} in `weights.ts`.
 *
 * `F32Tensor` bundles data and dims for code that wants to pass both around; the kernels
 * themselves take `(array, sizes...)`.
 */
import { GlassboxError } from "../../errors.js";

/** A dense f32 tensor, row-major, `dims` outermost first (so `dims.at(-1)` is the row length). */
export interface F32Tensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Allocates a zero-filled row-major tensor of the given dims (outermost first). */
export function zeros(dims: readonly number[]): F32Tensor {
  return { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims: [...dims] };
}

/** Throws KERNEL_BAD_SHAPE unless `n` is a non-negative safe integer. */
export function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new GlassboxError("KERNEL_BAD_SHAPE", `${name} must be a non-negative integer, got ${n}`);
}

/** Throws KERNEL_BAD_SHAPE when `arr` holds fewer than `need` elements. */
export function checkLen(name: string, arr: { length: number }, need: number): void {
  if (arr.length < need) throw new GlassboxError("KERNEL_BAD_SHAPE", `${name} has ${arr.length} elements, needs ${need}`);
}
