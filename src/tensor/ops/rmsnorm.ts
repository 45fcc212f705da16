/**
 * RMSNorm with weight (Zhang & Sennrich 2019), as llama.cpp builds it (ggml_rms_norm then
 * ggml_mul by the weight): per row of n elements,
 *   r = 1 / sqrt(mean(x²) + eps),   x̂ = x·r,   y = x̂ ⊙ w.
 * Forward on `Kernels.rmsNorm` (the same numerics the inference engine uses).
 *
 * Backward (per row, g = dy ⊙ w):
 *   dw += dy ⊙ x̂                       (summed over rows)
 *   dx += r·g − x · r³ · (g·x) / n
 * computed with f64 row sums.
 */
import { GlassboxError } from "../../errors.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

/**
 * y [..][n] = rmsnorm(x [..][n]) ⊙ weight [n].
 * @param eps llama.attention.layer_norm_rms_epsilon (e.g. 1e-5).
 * @throws TENSOR_BAD_SHAPE when weight's length differs from x's row length.
 */
export function rmsNorm(tape: Tape, x: Tensor, weight: Tensor, eps: number): Tensor {
  const n = x.cols, rows = x.rows;
  if (weight.size !== n) throw new GlassboxError("TENSOR_BAD_SHAPE", `rmsNorm: weight has ${weight.size} elements, rows have ${n}`);
  const y = tape.tensor(x.shape, tape.needsGrad(x, weight));
  tape.k.rmsNorm(y.data, x.data, rows, n, eps, weight.data);
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const xd = x.data, w = weight.data;
      const dx = x.requiresGrad ? tape.grad(x) : null;
      const dw = weight.requiresGrad ? tape.grad(weight) : null;
      const epsF = Math.fround(eps);
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        let ss = 0, gx = 0;
        for (let i = 0; i < n; i++) {
          const v = xd[o + i]!;
          ss += v * v;
          gx += dy[o + i]! * w[i]! * v;
        }
        const rs = 1 / Math.sqrt(ss / n + epsF);
        if (dw) for (let i = 0; i < n; i++) dw[i] = dw[i]! + dy[o + i]! * xd[o + i]! * rs;
        if (dx) {
          const c = (rs * rs * rs * gx) / n;
          for (let i = 0; i < n; i++) dx[o + i] = dx[o + i]! + rs * dy[o + i]! * w[i]! - xd[o + i]! * c;
        }
      }
    });
  }
  return y;
}
