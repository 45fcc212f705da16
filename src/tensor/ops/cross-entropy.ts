/**
 * Softmax cross-entropy over logits with an ignore index, mean over the counted rows — the
 * language-model loss. Rows whose target is {@link IGNORE_INDEX} (-1) add nothing and get a zero
 * gradient: that is how "loss only on assistant turns" masks prompt tokens.
 *
 * Forward (per counted row, z = logits row, y = target, f64 sums):
 *   loss_row = logsumexp(z) − z[y],   loss = Σ loss_row / count
 * Backward: dz = dloss · (softmax(z) − onehot(y)) / count. As in llm.c's fused
 * softmax-crossentropy, the forward already writes this gradient (for dloss = 1) into a step
 * buffer, so the exponentials are computed once (by `Kernels.softmax`).
 */
import { GlassboxError } from "../../errors.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

/** Target value meaning "no loss at this position". */
export const IGNORE_INDEX = -1;

/**
 * Mean cross-entropy (natural log, nats) of `logits` [n][n_vocab] against `targets` [n].
 * Returns a scalar tensor (shape [1]); 0 with a zero gradient when every target is ignored.
 * @throws TENSOR_BAD_SHAPE when targets.length differs from the number of rows;
 *   TENSOR_BAD_INDEX for a target outside [0, n_vocab) other than -1.
 */
export function crossEntropy(tape: Tape, logits: Tensor, targets: Int32Array): Tensor {
  const v = logits.cols, n = logits.rows;
  if (targets.length !== n) throw new GlassboxError("TENSOR_BAD_SHAPE", `crossEntropy: ${targets.length} targets for ${n} rows`);
  let count = 0;
  for (let t = 0; t < n; t++) {
    const y = targets[t]!;
    if (y === IGNORE_INDEX) continue;
    if (y < 0 || y >= v || !Number.isInteger(y)) throw new GlassboxError("TENSOR_BAD_INDEX", `crossEntropy: target ${y} at row ${t} is outside [0, ${v})`);
    count++;
  }
  const loss = tape.tensor([1], tape.needsGrad(logits));
  const z = logits.data;
  // probabilities on the kernel (SIMD, threads); kept as the gradient when it is needed
  const p = loss.requiresGrad ? tape.buffer(n * v) : tape.scratch(n * v);
  tape.k.softmax(p, z, n, v);
  const inv = count > 0 ? 1 / count : 0;
  let total = 0;
  for (let t = 0; t < n; t++) {
    const o = t * v, y = targets[t]!;
    if (y === IGNORE_INDEX) {
      p.fill(0, o, o + v);
      continue;
    }
    let max = -Infinity, arg = 0;
    for (let j = 0; j < v; j++) if (z[o + j]! > max) { max = z[o + j]!; arg = j; }
    // −log p_y = logsumexp(z) − z_y = (max − z_y) + log Σ exp(z − max), and Σ exp(z − max)
    // = 1 / p_argmax: exact enough and never underflows (p_argmax >= 1/n_vocab)
    total += max - z[o + y]! - Math.log(p[o + arg]!);
  }
  loss.data[0] = total * inv;
  const dz = loss.requiresGrad ? p : null;
  if (!dz) tape.free(p);
  else {
    tape.k.scale(dz, dz, inv, n * v);
    for (let t = 0; t < n; t++) if (targets[t] !== IGNORE_INDEX) dz[t * v + targets[t]!] = dz[t * v + targets[t]!]! - inv;
  }
  if (dz) {
    tape.record(() => {
      const dl = loss.grad;
      if (!dl) return;
      const s = dl[0]!;
      const g = tape.grad(logits);
      const m = n * v;
      if (s === 1) tape.k.add(g, g, dz, m);
      else for (let i = 0; i < m; i++) g[i] = g[i]! + s * dz[i]!;
    });
  }
  return loss;
}
