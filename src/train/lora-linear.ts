/**
 * The LoRA linear layer on the autograd tape (Hu et al. 2021): a frozen base weight W
 * [n_out][n_in] (lora-frozen.ts, any stored ggml type) plus a trainable low-rank update,
 *
 *   y = x·Wᵀ + s · (x̃·Aᵀ)·Bᵀ,      x̃ = dropout(x),  s = alpha / r
 *
 * x [n][n_in], A [r][n_in], B [n_out][r], y [n][n_out], all row-major. Dropout (PEFT's
 * lora_dropout) acts on the LoRA input path only: x̃ = x ⊙ m with m_i = 1/(1−p) or 0
 * (probability p), drawn from a seeded generator; the base path sees x unchanged.
 *
 * Backward (dy given; u = x̃·Aᵀ is kept from the forward, g = s·dy):
 *   dB += gᵀ·u                 [n_out][r]
 *   du  = g·B                  [n][r]
 *   dA += duᵀ·x̃               [r][n_in]
 *   dx += dy·W + (du·A) ⊙ m    (W dequantized again here; m = 1 without dropout)
 * W gets no gradient (frozen). All products run on `tape.k.gemmF32`.
 */
import { GlassboxError } from "../errors.js";
import type { Tape } from "../tensor/tape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { FrozenMatrix } from "./lora-frozen.js";

/** The trainable update of one weight. */
export interface LoraParams {
  /** A [r][n_in] (ggml ne = [n_in, r]), named "<base name>.lora_a". */
  readonly a: Tensor;
  /** B [n_out][r] (ggml ne = [r, n_out]), named "<base name>.lora_b". */
  readonly b: Tensor;
  /** s = alpha / r. */
  readonly scale: number;
}

/** Dropout on the LoRA input: probability p, uniform [0, 1) generator. */
export interface LoraDropout {
  readonly p: number;
  readonly uniform: () => number;
}

/**
 * y = x·Wᵀ on a frozen W, forward into y (y [n][nOut]): W [nOut][nIn] as stored (F32) or
 * dequantized into a tape scratch buffer, read transposed by gemmF32 (transB).
 */
function baseForward(tape: Tape, y: Float32Array, x: Float32Array, n: number, w: FrozenMatrix): void {
  const ws = tape.scratch(w.isF32 ? 0 : w.nOut * w.nIn);
  tape.k.gemmF32(y, x, w.values(ws), n, w.nOut, w.nIn, false, false, true);
  tape.free(ws);
}

/**
 * y [..][n_out] = x [..][n_in] · Wᵀ (+ s·(dropout(x)·Aᵀ)·Bᵀ when `lora` is given); see the module
 * comment. Dropout applies whenever `dropout` is given with p > 0 (leave it out to evaluate).
 * @throws TENSOR_BAD_SHAPE when x's row length is not W's n_in or A/B do not fit W.
 */
export function loraLinear(tape: Tape, x: Tensor, w: FrozenMatrix, lora?: LoraParams, dropout?: LoraDropout): Tensor {
  const nIn = w.nIn, nOut = w.nOut;
  if (x.cols !== nIn) throw new GlassboxError("TENSOR_BAD_SHAPE", `loraLinear: x rows have ${x.cols} elements, ${w.name} expects n_in ${nIn}`);
  const n = x.rows, k = tape.k;
  const r = lora ? lora.a.shape[0]! : 0;
  if (lora && (lora.a.shape.length !== 2 || lora.a.shape[1] !== nIn || lora.b.shape.length !== 2 || lora.b.shape[0] !== nOut || lora.b.shape[1] !== r)) {
    throw new GlassboxError("TENSOR_BAD_SHAPE", `loraLinear: A [${lora.a.shape.join(", ")}] / B [${lora.b.shape.join(", ")}] do not fit ${w.name} [${nOut}][${nIn}]`);
  }
  const y = tape.tensor([...x.shape.slice(0, -1), nOut], lora ? tape.needsGrad(x, lora.a, lora.b) : tape.needsGrad(x));
  baseForward(tape, y.data, x.data, n, w);
  if (!lora && !y.requiresGrad) return y;

  // LoRA path: u = x̃·Aᵀ [n][r], y += s·u·Bᵀ
  let mask: Float32Array | undefined, xd = x.data, u: Float32Array | undefined;
  if (lora) {
    const keep = y.requiresGrad;
    if (dropout && dropout.p > 0) {
      const inv = 1 / (1 - dropout.p);
      mask = tape.buffer(n * nIn);
      xd = tape.buffer(n * nIn);
      for (let i = 0; i < n * nIn; i++) {
        const m = dropout.uniform() >= dropout.p ? inv : 0;
        mask[i] = m;
        xd[i] = x.data[i]! * m;
      }
    }
    u = keep ? tape.buffer(n * r) : tape.scratch(n * r);
    k.gemmF32(u, xd, lora.a.data, n, r, nIn, false, false, true); // u = x̃·Aᵀ (A [r][nIn] is Bᵀ here)
    const v = tape.scratch(n * nOut);
    k.gemmF32(v, u, lora.b.data, n, nOut, r, false, false, true); // v = u·Bᵀ
    const s = lora.scale, yd = y.data;
    for (let i = 0; i < n * nOut; i++) yd[i] = yd[i]! + s * v[i]!;
    tape.free(v);
    if (!keep) tape.free(u);
  }
  if (!y.requiresGrad) return y;

  tape.record(() => {
    const dy = y.grad;
    if (!dy) return;
    const gx = x.requiresGrad ? tape.grad(x) : null;
    if (lora && u) {
      const s = lora.scale;
      const g = tape.scratch(n * nOut);
      for (let i = 0; i < n * nOut; i++) g[i] = s * dy[i]!;
      if (lora.b.requiresGrad) {
        k.gemmF32(tape.grad(lora.b), g, u, nOut, r, n, true, true); // dB += gᵀ·u
      }
      if (lora.a.requiresGrad || gx) {
        const du = tape.scratch(n * r);
        k.gemmF32(du, g, lora.b.data, n, r, nOut);
        if (lora.a.requiresGrad) {
          k.gemmF32(tape.grad(lora.a), du, xd, r, nIn, n, true, true); // dA += duᵀ·x̃
        }
        if (gx) {
          if (!mask) k.gemmF32(gx, du, lora.a.data, n, nIn, r, true);
          else {
            const dxd = tape.scratch(n * nIn);
            k.gemmF32(dxd, du, lora.a.data, n, nIn, r);
            for (let i = 0; i < n * nIn; i++) gx[i] = gx[i]! + dxd[i]! * mask[i]!;
            tape.free(dxd);
          }
        }
        tape.free(du);
      }
      tape.free(g);
    }
    if (gx) {
      const ws = tape.scratch(w.isF32 ? 0 : nOut * nIn);
      k.gemmF32(gx, dy, w.values(ws), n, nIn, nOut, true);
      tape.free(ws);
    }
  });
  return y;
}
