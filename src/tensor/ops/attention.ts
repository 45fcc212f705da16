/**
 * Causal multi-head self-attention with grouped-query heads (GQA/MQA), as llama.cpp builds it
 * without flash attention (llama-graph.cpp build_attn_mha): per query head h, kv head
 * g = floor(h / (n_head / n_head_kv)),
 *   S = scale · Q_h K_gᵀ  (scale = 1/sqrt(head_dim)),  P = softmax over j ≤ t (causal),  O_h = P V_g.
 * Sequences are packed as [batch][seq] rows; each sequence attends only within itself.
 *
 * All products run on `Kernels.gemmF32`. For one (sequence, kv head) the G = n_head/n_head_kv
 * query heads sharing it are stacked into one [G·T][head_dim] matrix, so each product is one GEMM:
 *   forward   S = Q_g · K_gᵀ          [G·T][T]
 *             O = P · V_g             [G·T][hd]
 *   backward  dP = dO · V_gᵀ          [G·T][T]
 *             dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale      (softmax backward)
 *             dQ = dS · K_g           [G·T][hd]
 *             dKᵀ = Q_gᵀ · dS         [hd][T]
 *             dVᵀ = dOᵀ · P           [hd][T]
 * Transposed operands (K_gᵀ, V_gᵀ, Q_gᵀ, dOᵀ) are never materialised: gemmF32's transA/transB
 * flags have its packing step read them as stored.
 * The masked half of S is computed and then set to −∞ before `Kernels.softmax` (the GEMM is far
 * faster than a causal loop); P is kept from the forward for the backward
 * ([batch][n_head][T][T] floats).
 */
import { GlassboxError } from "../../errors.js";
import type { Tape } from "../tape.js";
import type { Tensor } from "../tensor.js";
import { addRows, copyRows, transposeAddInto } from "./transpose.js";

/** Shapes of {@link attention}. */
export interface AttentionShape {
  /** Sequences packed in the rows (rows = batch · seq). */
  readonly batch: number;
  /** Tokens per sequence (T); row b·T + t is token t of sequence b. */
  readonly seq: number;
  /** Query heads (n_head). */
  readonly nHead: number;
  /** Key/value heads (n_head_kv), dividing nHead. */
  readonly nHeadKv: number;
  /** Dims per head. */
  readonly headDim: number;
  /** Score scale; default 1/sqrt(headDim). */
  readonly scale?: number;
}

/**
 * out [batch·seq][nHead·headDim] = causal attention of q [batch·seq][nHead·headDim] over
 * k, v [batch·seq][nHeadKv·headDim] (RoPE already applied to q and k).
 * @throws TENSOR_BAD_SHAPE on mismatched sizes or when nHeadKv does not divide nHead.
 */
export function attention(tape: Tape, q: Tensor, k: Tensor, v: Tensor, s: AttentionShape): Tensor {
  const { batch: B, seq: T, nHead: H, nHeadKv: HKV, headDim: hd } = s;
  if (HKV <= 0 || H % HKV !== 0) throw new GlassboxError("TENSOR_BAD_SHAPE", `attention: n_head_kv ${HKV} must divide n_head ${H}`);
  const qs = H * hd, kvs = HKV * hd, N = B * T;
  if (q.size !== N * qs || k.size !== N * kvs || v.size !== N * kvs) {
    throw new GlassboxError("TENSOR_BAD_SHAPE", `attention: q [${q.shape.join(", ")}], k [${k.shape.join(", ")}], v [${v.shape.join(", ")}] do not fit batch ${B} x seq ${T}, ${H}/${HKV} heads of ${hd}`);
  }
  const G = H / HKV, M = G * T;
  const scale = s.scale ?? 1 / Math.sqrt(hd);
  const kr = tape.k;
  const out = tape.tensor([N, qs], tape.needsGrad(q, k, v));
  const keep = out.requiresGrad;
  const P = keep ? tape.buffer(B * HKV * M * T) : tape.scratch(M * T);
  const Qg = tape.scratch(M * hd), Kg = tape.scratch(T * hd), Vg = tape.scratch(T * hd), Og = tape.scratch(M * hd);
  const qd = q.data, kd = k.data, vd = v.data, od = out.data;
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < HKV; g++) {
      const Pbg = keep ? P.subarray((b * HKV + g) * M * T, (b * HKV + g + 1) * M * T) : P;
      for (let hh = 0; hh < G; hh++) copyRows(Qg, qd, T, hd, qs, b * T * qs + (g * G + hh) * hd, hd, hh * T * hd);
      copyRows(Kg, kd, T, hd, kvs, b * T * kvs + g * hd, hd, 0);
      kr.gemmF32(Pbg, Qg, Kg, M, T, hd, false, false, true);          // S = Q·Kᵀ (Kᵀ read by the packing)
      maskCausal(Pbg, M, T);
      kr.softmax(Pbg, Pbg, M, T, scale);
      copyRows(Vg, vd, T, hd, kvs, b * T * kvs + g * hd, hd, 0);
      kr.gemmF32(Og, Pbg, Vg, M, hd, T);
      for (let hh = 0; hh < G; hh++) copyRows(od, Og, T, hd, hd, hh * T * hd, qs, b * T * qs + (g * G + hh) * hd);
    }
  }
  tape.free(Qg); tape.free(Kg); tape.free(Vg); tape.free(Og);
  if (!keep) {
    tape.free(P);
    return out;
  }
  tape.record(() => {
    const dy = out.grad;
    if (!dy) return;
    const dq = q.requiresGrad ? tape.grad(q) : null;
    const dk = k.requiresGrad ? tape.grad(k) : null;
    const dv = v.requiresGrad ? tape.grad(v) : null;
    const dOg = tape.scratch(M * hd), Vg = tape.scratch(T * hd), dP = tape.scratch(M * T);
    const Kg = tape.scratch(T * hd), dQg = tape.scratch(M * hd), Qg = tape.scratch(M * hd), dKVt = tape.scratch(hd * T);
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < HKV; g++) {
        const Pbg = P.subarray((b * HKV + g) * M * T, (b * HKV + g + 1) * M * T);
        const kvOff = b * T * kvs + g * hd;
        for (let hh = 0; hh < G; hh++) copyRows(dOg, dy, T, hd, qs, b * T * qs + (g * G + hh) * hd, hd, hh * T * hd);
        if (dv) {
          kr.gemmF32(dKVt, dOg, Pbg, hd, T, M, false, true);            // dVᵀ = dOᵀ·P
          transposeAddInto(dv, dKVt, hd, T, T, 0, kvs, kvOff);
        }
        if (!dq && !dk) continue;
        copyRows(Vg, vd, T, hd, kvs, kvOff, hd, 0);
        kr.gemmF32(dP, dOg, Vg, M, T, hd, false, false, true);          // dP = dO·Vᵀ
        softmaxCausalBackward(dP, Pbg, M, T, scale);                    // dP -> dS
        if (dq) {
          copyRows(Kg, k.data, T, hd, kvs, kvOff, hd, 0);
          kr.gemmF32(dQg, dP, Kg, M, hd, T);                            // dQ = dS·K
          for (let hh = 0; hh < G; hh++) addRows(dq, dQg, T, hd, hd, hh * T * hd, qs, b * T * qs + (g * G + hh) * hd);
        }
        if (dk) {
          for (let hh = 0; hh < G; hh++) copyRows(Qg, q.data, T, hd, qs, b * T * qs + (g * G + hh) * hd, hd, hh * T * hd);
          kr.gemmF32(dKVt, Qg, dP, hd, T, M, false, true);              // dKᵀ = Qᵀ·dS
          transposeAddInto(dk, dKVt, hd, T, T, 0, kvs, kvOff);
        }
      }
    }
    for (const x of [dOg, Vg, dP, Kg, dQg, Qg, dKVt]) tape.free(x);
  });
  return out;
}

/** In place on S [M][T] (row r is query position t = r mod T): S[r][j] = −∞ for j > t, so softmax gives 0 there. */
function maskCausal(S: Float32Array, M: number, T: number): void {
  for (let r = 0; r < M; r++) {
    const t = r % T, o = r * T;
    S.fill(-Infinity, o + t + 1, o + T);
  }
}

/** In place: dP [M][T] becomes dS = scale · P ⊙ (dP − Σ_j P·dP) on j ≤ t, 0 elsewhere. */
function softmaxCausalBackward(dP: Float32Array, P: Float32Array, M: number, T: number, scale: number): void {
  for (let r = 0; r < M; r++) {
    const t = r % T, o = r * T;
    let dot = 0;
    for (let j = 0; j <= t; j++) dot += P[o + j]! * dP[o + j]!;
    for (let j = 0; j <= t; j++) dP[o + j] = scale * P[o + j]! * (dP[o + j]! - dot);
    dP.fill(0, o + t + 1, o + T);
  }
}
