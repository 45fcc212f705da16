/**
 * SiLU (Hendrycks & Gimpel 2016; Elfwing et al. 2018) and the SwiGLU gate of llama's FFN
 * (Shazeer 2020): silu(x) = x·σ(x), swiglu(g, u) = silu(g) ⊙ u. Forward on `Kernels.silu` /
 * `Kernels.swiglu` (the inference numerics).
 *
 * d silu(x)/dx = σ(x)·(1 + x·(1 − σ(x)))
 * swiglu backward: dg += dy ⊙ u ⊙ silu'(g),  du += dy ⊙ silu(g); silu(g) is kept from the
 * forward and σ(g) = silu(g)/g, so the backward has no exponential.
 */
import { GlassboxError } from "../../errors.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

/** y = silu(x), any shape. */
export function silu(tape: Tape, x: Tensor): Tensor {
  const y = tape.tensor(x.shape, tape.needsGrad(x));
  const n = x.size;
  tape.k.silu(y.data, x.data, n);
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const g = tape.grad(x), xd = x.data;
      for (let i = 0; i < n; i++) {
        const v = xd[i]!, s = 1 / (1 + Math.exp(-v));
        g[i] = g[i]! + dy[i]! * s * (1 + v * (1 - s));
      }
    });
  }
  return y;
}

/** y = silu(gate) ⊙ up (same number of elements; y takes gate's shape). @throws TENSOR_BAD_SHAPE. */
export function swiglu(tape: Tape, gate: Tensor, up: Tensor): Tensor {
  if (gate.size !== up.size) throw new GlassboxError("TENSOR_BAD_SHAPE", `swiglu: gate [${gate.shape.join(", ")}] and up [${up.shape.join(", ")}] differ`);
  const y = tape.tensor(gate.shape, tape.needsGrad(gate, up));
  const n = gate.size;
  if (!y.requiresGrad) {
    tape.k.swiglu(y.data, gate.data, up.data, n);
    return y;
  }
  // silu(g) once, kept for the backward: y = silu(g) ⊙ up rounds exactly as Kernels.swiglu does
  const sg = tape.buffer(n);
  tape.k.silu(sg, gate.data, n);
  tape.k.mul(y.data, sg, up.data, n);
  tape.record(() => {
    const dy = y.grad;
    if (!dy) return;
    const gd = gate.data, ud = up.data;
    const dg = gate.requiresGrad ? tape.grad(gate) : null;
    const du = up.requiresGrad ? tape.grad(up) : null;
    // σ(g) = silu(g) / g: no exponential in the backward
    if (dg && du) {
      for (let i = 0; i < n; i++) {
        const v = gd[i]!, s = sg[i]!, d = dy[i]!;
        const sig = v !== 0 ? s / v : 0.5;
        dg[i] = dg[i]! + d * ud[i]! * (sig + s * (1 - sig));
        du[i] = du[i]! + d * s;
      }
    } else if (dg) {
      for (let i = 0; i < n; i++) {
        const v = gd[i]!, s = sg[i]!;
        const sig = v !== 0 ? s / v : 0.5;
        dg[i] = dg[i]! + dy[i]! * ud[i]! * (sig + s * (1 - sig));
      }
    } else if (du) {
      for (let i = 0; i < n; i++) du[i] = du[i]! + dy[i]! * sg[i]!;
    }
  });
  return y;
}
