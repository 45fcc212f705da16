/**
 * Token embedding: row gather from a table, as llama.cpp's `ggml_get_rows(token_embd, tokens)`.
 * table: [n_vocab][n_embd] row-major (GGUF token_embd.weight, ne = [n_embd, n_vocab]).
 *
 * Forward:  y[t] = table[ids[t]]
 * Backward: table.grad[ids[t]] += dy[t]   (scatter-add; repeated ids add up)
 */
import { GlassboxError } from "../../errors.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";

/**
 * y [ids.length][n_embd] = table[ids].
 * @throws TENSOR_BAD_SHAPE when the table is not 2-D; TENSOR_BAD_INDEX when an id is outside [0, n_vocab).
 */
export function embedding(tape: Tape, table: Tensor, ids: Int32Array): Tensor {
  if (table.shape.length !== 2) throw new GlassboxError("TENSOR_BAD_SHAPE", `embedding: table must be 2-D, got [${table.shape.join(", ")}]`);
  const nVocab = table.shape[0]!, e = table.shape[1]!, n = ids.length;
  for (let t = 0; t < n; t++) {
    const id = ids[t]!;
    if (id < 0 || id >= nVocab) throw new GlassboxError("TENSOR_BAD_INDEX", `embedding: token id ${id} at position ${t} is outside [0, ${nVocab})`);
  }
  const y = tape.tensor([n, e], tape.needsGrad(table));
  const src = table.data, dst = y.data;
  for (let t = 0; t < n; t++) dst.set(src.subarray(ids[t]! * e, ids[t]! * e + e), t * e);
  if (y.requiresGrad) {
    tape.record(() => {
      const dy = y.grad;
      if (!dy) return;
      const g = tape.grad(table);
      for (let t = 0; t < n; t++) {
        const o = ids[t]! * e, p = t * e;
        for (let i = 0; i < e; i++) g[o + i] = g[o + i]! + dy[p + i]!;
      }
    });
  }
  return y;
}
