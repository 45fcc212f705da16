/**
 * Rotary position embedding (Su et al. 2021), llama.cpp's NORM mode (GGML_ROPE_TYPE_NORM:
 * pairs (2i, 2i+1) of each head rotate by θ_i = pos · base^(−2i/n_rot)); NEOX mode is accepted
 * too. The forward runs `Kernels.rope` on a copy of x, so it matches the inference engine.
 *
 * Each pair is multiplied by the 2x2 matrix M(θ) = s·[[cos, −sin], [sin, cos]] (s = attn
 * factor, 1 by default). Backward: dx = M(θ)ᵀ dy = M(−θ) dy, which is the same kernel run at
 * the negated positions (cos is even, sin odd, and θ is linear in pos in every RoPE variant).
 */
import { GlassboxError } from "../../errors.js";
import type { RopeOptions } from "../../kernels/ref/index.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

/**
 * y [n][nHead·headDim] = RoPE(x) with row t at `positions[t]`.
 * @param positions Int32Array of length n (e.g. t mod seq for packed sequences).
 * @throws TENSOR_BAD_SHAPE when x's row length is not nHead·headDim or positions is short.
 */
export function rope(tape: Tape, x: Tensor, nHead: number, headDim: number, positions: Int32Array, o: RopeOptions): Tensor {
  const n = x.rows;
  if (x.cols !== nHead * headDim) throw new GlassboxError("TENSOR_BAD_SHAPE", `rope: rows have ${x.cols} elements, expected n_head ${nHead} x head_dim ${headDim}`);
  if (positions.length < n) throw new GlassboxError("TENSOR_BAD_SHAPE", `rope: ${positions.length} positions for ${n} rows`);
  const y = tape.tensor(x.shape, tape.needsGrad(x));
  y.data.set(x.data);
  tape.k.rope(y.data, n, nHead, headDim, positions, o);
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const neg = new Int32Array(n);
      for (let t = 0; t < n; t++) neg[t] = -positions[t]!;
      const tmp = tape.scratch(dy.length);
      tmp.set(dy);
      tape.k.rope(tmp, n, nHead, headDim, neg, o);
      const dx = tape.grad(x);
      tape.k.add(dx, dx, tmp, dx.length);
      tape.free(tmp);
    });
  }
  return y;
}
