/**
 * Linear layer without bias, as llama.cpp's `ggml_mul_mat(W, x)`: y = x · Wᵀ.
 * x: [n][n_in] row-major; W: [n_out][n_in] row-major, i.e. a GGUF weight with ne = [n_in, n_out]
 * stored as is; y: [n][n_out].
 *
 * Forward:  y = x · Wᵀ                → gemmF32 with transB (W [n_out][n_in] is Bᵀ)
 * Backward: dx += dy · W              → gemmF32 (W is already [n_out][n_in] = B [K][N])
 *           dW += dyᵀ · x             → gemmF32 with transA (dy [n][n_out] is Aᵀ)
 * All three products run on `tape.k.gemmF32`, so the wasm kernels' threaded SIMD GEMM does the
 * work; the transposed operands are read by its packing step, never materialised.
 */
import { GlassboxError } from "../../errors.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

/**
 * y [..][n_out] = x [..][n_in] · Wᵀ with W [n_out][n_in] (ggml ne = [n_in, n_out]).
 * The leading dims of x are kept (y.shape = [...x.shape[:-1], n_out]).
 * @throws TENSOR_BAD_SHAPE when x's row length differs from W's n_in or W is not 2-D.
 */
export function matmul(tape: Tape, x: Tensor, w: Tensor): Tensor {
  if (w.shape.length !== 2) throw new GlassboxError("TENSOR_BAD_SHAPE", `matmul: weight must be 2-D, got [${w.shape.join(", ")}]`);
  const nOut = w.shape[0]!, nIn = w.shape[1]!;
  if (x.cols !== nIn) throw new GlassboxError("TENSOR_BAD_SHAPE", `matmul: x rows have ${x.cols} elements, weight${w.name ? " " + w.name : ""} expects n_in ${nIn}`);
  const n = x.rows;
  const k = tape.k;
  const y = tape.tensor([...x.shape.slice(0, -1), nOut], tape.needsGrad(x, w));
  k.gemmF32(y.data, x.data, w.data, n, nOut, nIn, false, false, true);
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      if (x.requiresGrad) k.gemmF32(tape.grad(x), dy, w.data, n, nIn, nOut, true);
      if (w.requiresGrad) k.gemmF32(tape.grad(w), dy, x.data, nOut, nIn, n, true, true);
    });
  }
  return y;
}
