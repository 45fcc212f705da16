/**
 * A Tensor for training: f32 values in one `Float32Array`, row-major, with the shape written
 * outermost first (`[n_tokens][n_embd]` = data[t * n_embd + i]; a weight stored as ggml's
 * ne = [n_in, n_out] has the row-major shape [n_out][n_in]). A tensor that takes part in
 * autograd has `requiresGrad`; its gradient (same shape, same layout) lives in `grad` once the
 * tape has produced one. Parameters own their `grad` buffer for their whole life; activations
 * get theirs from the tape's buffer pool (see tape.ts).
 */
import { GlassboxError } from "../errors.js";

/** Number of elements of a shape; throws TENSOR_BAD_SHAPE on a non-integer or negative dim. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new GlassboxError("TENSOR_BAD_SHAPE", `bad dimension ${d} in shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

export class Tensor {
  /** Gradient of the loss with respect to `data` (same layout), or null when none was produced yet. */
  grad: Float32Array | null = null;

  /**
   * @param data the values, row-major; its length must equal the product of `shape`.
   * @param shape dims outermost first.
   * @param requiresGrad whether backward should produce a gradient for this tensor; may be changed
   *   later (e.g. set false to freeze a base weight while training an adapter).
   * @param name optional name (parameters: the GGUF tensor name, e.g. "blk.0.attn_q.weight").
   * @throws TENSOR_BAD_SHAPE when data.length differs from the shape's size.
   */
  constructor(readonly data: Float32Array, readonly shape: readonly number[], public requiresGrad = false, readonly name?: string) {
    const n = shapeSize(shape);
    if (data.length !== n) throw new GlassboxError("TENSOR_BAD_SHAPE", `data has ${data.length} elements, shape [${shape.join(", ")}] needs ${n}`);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Size of the innermost dim (the row length); 1 for a scalar. */
  get cols(): number {
    return this.shape.length === 0 ? 1 : this.shape[this.shape.length - 1]!;
  }

  /** Number of rows = size / cols. */
  get rows(): number {
    const c = this.cols;
    return c === 0 ? 0 : this.data.length / c;
  }

  /** A scalar tensor's value (or element 0). */
  item(): number {
    return this.data[0]!;
  }
}

/**
 * Throws TENSOR_BAD_SHAPE unless `t.shape` equals `shape` (use -1 in `shape` for "any").
 * @param what names the operand in the message.
 */
export function expectShape(what: string, t: Tensor, shape: readonly number[]): void {
  const ok = t.shape.length === shape.length && shape.every((d, i) => d < 0 || t.shape[i] === d);
  if (!ok) throw new GlassboxError("TENSOR_BAD_SHAPE", `${what}: shape [${t.shape.join(", ")}], expected [${shape.map((d) => (d < 0 ? "*" : d)).join(", ")}]`);
}
