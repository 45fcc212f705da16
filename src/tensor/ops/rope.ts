/**
 * Rotary position embedding (Su et al. 2021), llama.cpp's NORM mode (GGML_ROPE_TYPE_NORM:
 * pairs (2i, 2i+1) of each head rotate by θ_i = pos · base^(−2i/n_rot)); NEOX mode (pairs
 * (i, i + n_rot/2)) and partial rotation (dims >= n_rot pass through) are accepted too.
 *
 * cos/sin come from the kernels' `ropeCache` (ggml's f32 recipe, including frequency scaling,
 * factors and YaRN), computed once per positions array and options and cached, so the rotation
 * loop below is all that runs per call. Each pair (a, b) is multiplied by
 * M(θ) = [[c, −s], [s, c]] (c, s already include the attention factor):
 *   forward   (a, b) → (a·c − b·s, a·s + b·c)
 *   backward  dx = M(θ)ᵀ dy:  (da, db) → (da·c + db·s, −da·s + db·c)
 * Results equal `Kernels.rope` up to the last bit of each product (one rounding here, two there).
 */
import { GlassboxError } from "../../errors.js";
import { ropeCache, type RopeOptions } from "../../kernels/ref/rope.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

const tables = new WeakMap<Int32Array, Map<string, Float32Array>>();

/** [n][nRot] interleaved (cos, sin) per pair for positions[0..n), cached per array and options. */
function ropeTable(positions: Int32Array, n: number, o: RopeOptions): Float32Array {
  const key = o.freqFactors ? undefined
    : [n, o.nRot, o.mode, o.freqBase, o.freqScale, o.extFactor, o.attnFactor, o.betaFast, o.betaSlow, o.nCtxOrig].join("|");
  let byKey = tables.get(positions);
  const have = key !== undefined ? byKey?.get(key) : undefined;
  if (have) return have;
  const table = new Float32Array(n * o.nRot);
  for (let t = 0; t < n; t++) ropeCache(table.subarray(t * o.nRot, (t + 1) * o.nRot), positions[t]!, o);
  if (key !== undefined) {
    if (!byKey) tables.set(positions, (byKey = new Map()));
    byKey.set(key, table);
  }
  return table;
}

/**
 * y [n][nHead·headDim] = RoPE(x) with row t at `positions[t]`.
 * @param positions Int32Array of length >= n (e.g. t mod seq for packed sequences); reuse the same
 *   array across calls to hit the cos/sin cache (do not mutate it afterwards).
 * @throws TENSOR_BAD_SHAPE when x's row length is not nHead·headDim, positions is short, or
 *   nRot is odd or larger than headDim.
 */
export function rope(tape: Tape, x: Tensor, nHead: number, headDim: number, positions: Int32Array, o: RopeOptions): Tensor {
  const n = x.rows, nRot = o.nRot, half = nRot / 2, neox = o.mode === "neox";
  if (x.cols !== nHead * headDim) throw new GlassboxError("TENSOR_BAD_SHAPE", `rope: rows have ${x.cols} elements, expected n_head ${nHead} x head_dim ${headDim}`);
  if (positions.length < n) throw new GlassboxError("TENSOR_BAD_SHAPE", `rope: ${positions.length} positions for ${n} rows`);
  if (nRot % 2 !== 0 || nRot <= 0 || nRot > headDim) throw new GlassboxError("TENSOR_BAD_SHAPE", `rope: n_rot ${nRot} must be even and in (0, head_dim ${headDim}]`);
  const cs = ropeTable(positions, n, o);
  const y = tape.tensor(x.shape, tape.needsGrad(x));
  const xd = x.data, yd = y.data;
  if (nRot < headDim) yd.set(xd); // pass-through dims (rotated dims [0, n_rot) of each head are overwritten)
  const step = neox ? 1 : 2, other = neox ? half : 1;
  for (let t = 0; t < n; t++) {
    const co = t * nRot;
    for (let h = 0; h < nHead; h++) {
      const base = (t * nHead + h) * headDim;
      for (let i = 0; i < half; i++) {
        const c = cs[co + 2 * i]!, s = cs[co + 2 * i + 1]!;
        const ia = base + i * step, ib = ia + other;
        const a = xd[ia]!, b = xd[ib]!;
        yd[ia] = a * c - b * s;
        yd[ib] = a * s + b * c;
      }
    }
  }
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const dx = tape.grad(x);
      for (let t = 0; t < n; t++) {
        const co = t * nRot;
        for (let h = 0; h < nHead; h++) {
          const base = (t * nHead + h) * headDim;
          for (let i = 0; i < half; i++) {
            const c = cs[co + 2 * i]!, s = cs[co + 2 * i + 1]!;
            const ia = base + i * step, ib = ia + other;
            const da = dy[ia]!, db = dy[ib]!;
            dx[ia] = dx[ia]! + da * c + db * s;
            dx[ib] = dx[ib]! - da * s + db * c;
          }
          for (let d = base + nRot; d < base + headDim; d++) dx[d] = dx[d]! + dy[d]!; // pass-through dims
        }
      }
    });
  }
  return y;
}
