/**
 * Causal multi-head attention over a KV cache, as llama.cpp builds it without flash attention
 * (llama-graph.cpp build_attn_mha: kq = k·q, soft_max_ext(kq, mask, 1/sqrt(head_dim) or given
 * scale, max_bias), kqv = v·softmax): f32 dots, f32 accumulation, GQA/MQA head sharing and ALiBi.
 */
import { GlassboxError } from "../../errors.js";
import { alibiSlope, softmaxRowInPlace } from "./softmax.js";
import { checkLen, checkSize } from "./tensor.js";

const fr = Math.fround;

/** Shapes and options of {@link attention}. */
export interface AttentionOptions {
  /** Query rows in this call. */
  readonly nTokens: number;
  /** Query heads (n_head). */
  readonly nHead: number;
  /** Key/value heads (n_head_kv); must divide nHead. Query head h uses kv head floor(h / (nHead/nHeadKv)). */
  readonly nHeadKv: number;
  /** Dims per head (n_embd_head_k = n_embd_head_v here). */
  readonly headDim: number;
  /** Position of query row 0; row t sits at pos0 + t and sees cache rows 0..pos0+t (causal). */
  readonly pos0: number;
  /** Score scale, default 1/sqrt(headDim) in f32. */
  readonly scale?: number;
  /** ALiBi max bias (8 for bloom/mpt in llama.cpp); 0 or undefined disables ALiBi. */
  readonly maxBias?: number;
}

/**
 * out[t][h][:] = Σ_j softmax_j(scale·q[t][h]·k[j][g] + slope_h·(−(pos0+t−j))) · v[j][g][:],
 * j = 0..pos0+t, g = h / (nHead/nHeadKv).
 * @param out [nTokens][nHead][headDim], must not alias q/k/v.
 * @param q [nTokens][nHead][headDim] (RoPE already applied).
 * @param k,v the cache: [>= pos0+nTokens][nHeadKv][headDim] (row j = position j).
 * @throws KERNEL_BAD_SHAPE when nHeadKv does not divide nHead or buffers are short.
 */
export function attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void {
  const { nTokens, nHead, nHeadKv, headDim, pos0 } = o;
  checkSize("nTokens", nTokens); checkSize("nHead", nHead); checkSize("nHeadKv", nHeadKv); checkSize("headDim", headDim); checkSize("pos0", pos0);
  if (nHeadKv === 0 || nHead % nHeadKv !== 0) throw new GlassboxError("KERNEL_BAD_SHAPE", `n_head_kv ${nHeadKv} must divide n_head ${nHead}`);
  const nKv = pos0 + nTokens;
  const qStride = nHead * headDim, kvStride = nHeadKv * headDim;
  checkLen("q", q, nTokens * qStride); checkLen("out", out, nTokens * qStride);
  checkLen("k", k, nKv * kvStride); checkLen("v", v, nKv * kvStride);
  const scale = fr(o.scale ?? 1 / Math.sqrt(headDim));
  const maxBias = o.maxBias ?? 0;
  const group = nHead / nHeadKv;
  const w = new Float32Array(nKv);
  for (let h = 0; h < nHead; h++) {
    const g = Math.floor(h / group);
    const slope = alibiSlope(h, nHead, maxBias);
    for (let t = 0; t < nTokens; t++) {
      const p = pos0 + t;
      const qo = t * qStride + h * headDim;
      let max = -Infinity;
      for (let j = 0; j <= p; j++) {
        const ko = j * kvStride + g * headDim;
        let s = 0;
        for (let i = 0; i < headDim; i++) s = fr(s + fr(q[qo + i]! * k[ko + i]!));
        s = fr(s * scale);
        if (maxBias > 0) s = fr(s + fr(slope * -(p - j)));
        w[j] = s;
        if (s > max) max = s;
      }
      softmaxRowInPlace(w, 0, p + 1, max);
      for (let i = 0; i < headDim; i++) {
        let acc = 0;
        for (let j = 0; j <= p; j++) acc = fr(acc + fr(w[j]! * v[j * kvStride + g * headDim + i]!));
        out[qo + i] = acc;
      }
    }
  }
}
