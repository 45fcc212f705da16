/**
 * Element-wise add and multiply of two tensors of the same shape (the residual connection and
 * gating in a transformer block). Forward on `Kernels.add` / `Kernels.mul`.
 *
 * add: y = a + b      → da += dy,      db += dy
 * mul: y = a ⊙ b      → da += dy ⊙ b,  db += dy ⊙ a
 */
import { GlassboxError } from "../../errors.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new GlassboxError("TENSOR_BAD_SHAPE", `${op}: shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] differ`);
}

/** y = a + b (same number of elements; y takes a's shape). @throws TENSOR_BAD_SHAPE. */
export function add(tape: Tape, a: Tensor, b: Tensor): Tensor {
  sameSize("add", a, b);
  const y = tape.tensor(a.shape, tape.needsGrad(a, b));
  const k = tape.k, n = a.size;
  k.add(y.data, a.data, b.data, n);
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      if (a.requiresGrad) { const g = tape.grad(a); k.add(g, g, dy, n); }
      if (b.requiresGrad) { const g = tape.grad(b); k.add(g, g, dy, n); }
    });
  }
  return y;
}

/** y = a ⊙ b (same number of elements; y takes a's shape). @throws TENSOR_BAD_SHAPE. */
export function mul(tape: Tape, a: Tensor, b: Tensor): Tensor {
  sameSize("mul", a, b);
  const y = tape.tensor(a.shape, tape.needsGrad(a, b));
  const n = a.size;
  tape.k.mul(y.data, a.data, b.data, n);
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const ad = a.data, bd = b.data;
      if (a.requiresGrad) { const g = tape.grad(a); for (let i = 0; i < n; i++) g[i] = g[i]! + dy[i]! * bd[i]!; }
      if (b.requiresGrad) { const g = tape.grad(b); for (let i = 0; i < n; i++) g[i] = g[i]! + dy[i]! * ad[i]!; }
    });
  }
  return y;
}
