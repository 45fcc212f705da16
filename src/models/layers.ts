/**
 * Pieces shared by the model families: causal self-attention over the KV cache (separate or
 * fused QKV, optional biases, RoPE or ALiBi, GQA/MQA), the two MLP kinds (SwiGLU, GELU) and the
 * scratch buffers they run in. Each follows the graph llama.cpp builds (llama-graph.cpp
 * build_qkv / build_attn / build_ffn at the reference commit), op by op, so the numerics match.
 *
 * Shapes are row-major, outermost first: `x: [n_tokens][n_embd]`. Weight shapes are in ggml
 * order `[n_in, n_out]` (what GGUF and llama.cpp print).
 */
import type { Kernels } from "../kernels/api.js";
import type { RopeOptions, WeightMatrix } from "../kernels/ref/index.js";
import type { HParams } from "./hparams.js";
import type { KvCache } from "./kv-cache.js";

/** Where an activation lives: `data` is `[nTokens][width]`, token t at position pos0 + t. */
export interface ActivationShape {
  readonly nTokens: number;
  readonly width: number;
  readonly pos0: number;
}

/**
 * Called with each named intermediate result of a forward pass (names as llama.cpp's graph
 * callbacks use them: "inp_embd", "attn_norm", "Qcur", "Kcur", "Vcur", "kqv_out", "attn_out",
 * "ffn_inp", "ffn_norm", "ffn_out", "l_out", "result_norm"; `layer` is -1 outside the blocks).
 * `data` is a view into the model's working memory: read (or copy) it during the call; it is
 * overwritten later. Writing into it changes the rest of the forward pass (an intervention).
 */
export type ActivationHook = (layer: number, name: string, data: Float32Array, shape: ActivationShape) => void;

/** Optional scratch buffers a family asks its Workspace for. */
export interface WorkspaceNeeds {
  readonly fusedQkv?: boolean;
  readonly secondNorm?: boolean;
}

/** Scratch activations for up to `nBatch` tokens, allocated once with kernels.alloc. */
export class Workspace {
  /** Residual stream [nBatch][n_embd]. */
  readonly x: Float32Array;
  /** Normalized input of a sub-layer [nBatch][n_embd]. */
  readonly h: Float32Array;
  /** Second normalized input (parallel-residual blocks, Falcon-40B) [nBatch][n_embd]; empty unless asked for. */
  readonly h2: Float32Array;
  /** Queries [nBatch][n_head][head_dim]. */
  readonly q: Float32Array;
  /** Fused QKV projection [nBatch][n_embd_q + 2 n_embd_kv]; empty unless asked for. */
  readonly qkv: Float32Array;
  /** Attention output before the output projection [nBatch][n_head][head_dim]. */
  readonly kqv: Float32Array;
  /** Attention block output [nBatch][n_embd]. */
  readonly attnOut: Float32Array;
  /** FFN inner activations [nBatch][n_ff] (two of them: gate and up). */
  readonly ffA: Float32Array;
  readonly ffB: Float32Array;
  /** FFN block output [nBatch][n_embd]. */
  readonly ffnOut: Float32Array;
  /** Positions of the tokens in the current batch. */
  readonly positions: Int32Array;

  /**
   * @param needs which optional buffers the family uses: `fusedQkv` (attn_qkv weights) and
   *   `secondNorm` (a second normalized copy of the input, h2).
   */
  constructor(kernels: Kernels, hp: HParams, readonly nBatch: number, needs: WorkspaceNeeds = {}) {
    const b = nBatch;
    this.x = kernels.alloc(b * hp.nEmbd);
    this.h = kernels.alloc(b * hp.nEmbd);
    this.h2 = needs.secondNorm ? kernels.alloc(b * hp.nEmbd) : new Float32Array(0);
    this.q = kernels.alloc(b * hp.nEmbdQ);
    this.qkv = needs.fusedQkv ? kernels.alloc(b * (hp.nEmbdQ + 2 * hp.nEmbdKv)) : new Float32Array(0);
    this.kqv = kernels.alloc(b * hp.nEmbdQ);
    this.attnOut = kernels.alloc(b * hp.nEmbd);
    this.ffA = kernels.alloc(b * hp.nFf);
    this.ffB = kernels.alloc(b * hp.nFf);
    this.ffnOut = kernels.alloc(b * hp.nEmbd);
    this.positions = new Int32Array(b);
  }
}

/** What the shared layers need from the model running them. */
export interface ForwardContext {
  readonly kernels: Kernels;
  readonly hparams: HParams;
  readonly cache: KvCache;
  readonly ws: Workspace;
  /** Set to receive intermediate activations; undefined costs nothing. */
  onActivation: ActivationHook | undefined;
}

/**
 * Reports `data[0 .. nTokens*width)` to the context's activation hook, if one is set.
 * The check happens before any view is made, so an unset hook costs one comparison.
 */
export function emit(m: ForwardContext, layer: number, name: string, data: Float32Array, nTokens: number, width: number, pos0: number): void {
  const hook = m.onActivation;
  if (hook !== undefined) hook(layer, name, data.subarray(0, nTokens * width), { nTokens, width, pos0 });
}

/**
 * Attention weights of one block. Either separate projections (wq/wk/wv, as llama, qwen2) or one
 * fused `wqkv` whose output rows are [0, n_embd_q) = Q, then n_embd_kv rows of K, then of V
 * (gpt2, gptneox, falcon, bloom).
 */
export interface AttentionWeights {
  /** attn_q.weight [n_embd, n_embd_q] (ggml order). */
  readonly wq?: WeightMatrix;
  /** attn_k.weight [n_embd, n_embd_kv]. */
  readonly wk?: WeightMatrix;
  /** attn_v.weight [n_embd, n_embd_kv]. */
  readonly wv?: WeightMatrix;
  /** attn_q/k/v.bias [n_embd_q], [n_embd_kv], [n_embd_kv] (qwen2). */
  readonly bq?: Float32Array;
  readonly bk?: Float32Array;
  readonly bv?: Float32Array;
  /** attn_qkv.weight [n_embd, n_embd_q + 2 n_embd_kv]. */
  readonly wqkv?: WeightMatrix;
  /** attn_qkv.bias [n_embd_q + 2 n_embd_kv]. */
  readonly bqkv?: Float32Array;
  /** attn_output.weight [n_embd_q, n_embd]. */
  readonly wo: WeightMatrix;
  /** attn_output.bias [n_embd]. */
  readonly bo?: Float32Array;
}

/** How positions enter attention: RoPE on Q and K, ALiBi biases on the scores, or neither. */
export interface PositionSpec {
  /** RoPE applied to Q and K (mode "norm" for llama, "neox" for qwen2/falcon/gptneox). */
  readonly rope?: RopeOptions;
  /** ALiBi max bias (bloom: 8); 0/undefined = no ALiBi. */
  readonly alibiMaxBias?: number;
}

/** The attention scale llama.cpp uses: 1.0f / sqrtf(head_dim), in f32. */
export function attentionScale(headDim: number): number {
  return Math.fround(1 / Math.fround(Math.sqrt(headDim)));
}

/**
 * Causal self-attention of one block for tokens at positions pos0 .. pos0+nTokens-1:
 * Q, K, V projections (+ biases), RoPE on Q and K, K and V stored in the cache at their
 * positions, softmax(Q·Kᵀ·scale [+ ALiBi]) · V over cache rows 0..pos (GQA: query head h uses
 * kv head h / (n_head / n_head_kv)), then the output projection (+ bias).
 * Source: Vaswani et al. 2017; llama.cpp build_qkv + build_attn (no flash attention).
 * @param h normalized input [nTokens][n_embd] (read only).
 * @param out [nTokens][n_embd] (must not alias h).
 */
export function selfAttention(m: ForwardContext, layer: number, w: AttentionWeights, pos: PositionSpec, h: Float32Array, nTokens: number, pos0: number, out: Float32Array): void {
  const { kernels: K, hparams: hp, cache, ws } = m;
  const T = nTokens;
  const nQ = hp.nEmbdQ, nKv = hp.nEmbdKv;
  const q = ws.q;
  const k = cache.kRows(layer, pos0, T);
  const v = cache.vRows(layer, pos0, T);
  if (w.wqkv) {
    // qkv [T][nQ + 2 nKv] -> Q rows into ws.q, K and V rows into the cache at their positions
    const width = nQ + 2 * nKv;
    K.matmul(ws.qkv, h, T, w.wqkv);
    if (w.bqkv) K.addRow(ws.qkv, ws.qkv, w.bqkv, T, width);
    for (let t = 0; t < T; t++) {
      const row = ws.qkv.subarray(t * width, (t + 1) * width);
      q.set(row.subarray(0, nQ), t * nQ);
      k.set(row.subarray(nQ, nQ + nKv), t * nKv);
      v.set(row.subarray(nQ + nKv, width), t * nKv);
    }
  } else {
    // separate projections (one job where the kernels can) write K and V straight into the cache rows
    K.matmulMulti([q, k, v], h, T, [w.wq!, w.wk!, w.wv!]);
    if (w.bq) K.addRow(q, q, w.bq, T, nQ);
    if (w.bk) K.addRow(k, k, w.bk, T, nKv);
    if (w.bv) K.addRow(v, v, w.bv, T, nKv);
  }
  if (pos.rope) {
    K.rope(q, T, hp.nHead, hp.headDim, ws.positions, pos.rope);
    K.rope(k, T, hp.nHeadKv, hp.headDim, ws.positions, pos.rope);
  }
  emit(m, layer, "Qcur", q, T, nQ, pos0);
  emit(m, layer, "Kcur", k, T, nKv, pos0);
  emit(m, layer, "Vcur", v, T, nKv, pos0);
  K.attention(ws.kqv, q, cache.k[layer]!, cache.v[layer]!, {
    nTokens: T, nHead: hp.nHead, nHeadKv: hp.nHeadKv, headDim: hp.headDim, pos0,
    scale: attentionScale(hp.headDim), maxBias: pos.alibiMaxBias ?? 0,
  });
  emit(m, layer, "kqv_out", ws.kqv, T, nQ, pos0);
  K.matmul(out, ws.kqv, T, w.wo);
  if (w.bo) K.addRow(out, out, w.bo, T, hp.nEmbd);
  emit(m, layer, "attn_out", out, T, hp.nEmbd, pos0);
}

/** SwiGLU MLP weights (llama, qwen2): down( silu(gate(x)) * up(x) ). */
export interface SwiGluWeights {
  /** ffn_gate.weight [n_embd, n_ff]. */
  readonly gate: WeightMatrix;
  /** ffn_up.weight [n_embd, n_ff]. */
  readonly up: WeightMatrix;
  /** ffn_down.weight [n_ff, n_embd]. */
  readonly down: WeightMatrix;
}

/**
 * SwiGLU feed-forward (Shazeer 2020): out = down(silu(gate·h) ⊙ (up·h)).
 * llama.cpp build_ffn(LLM_FFN_SILU, LLM_FFN_PAR).
 * @param h [nTokens][n_embd]. @param out [nTokens][n_embd] (must not alias h).
 */
export function ffnSwiGlu(m: ForwardContext, layer: number, w: SwiGluWeights, h: Float32Array, nTokens: number, pos0: number, out: Float32Array): void {
  const { kernels: K, hparams: hp, ws } = m;
  K.matmulMulti([ws.ffB, ws.ffA], h, nTokens, [w.up, w.gate]);
  K.swiglu(ws.ffA, ws.ffA, ws.ffB, nTokens * hp.nFf);
  emit(m, layer, "ffn_act", ws.ffA, nTokens, hp.nFf, pos0);
  K.matmul(out, ws.ffA, nTokens, w.down);
  emit(m, layer, "ffn_out", out, nTokens, hp.nEmbd, pos0);
}

/** GELU MLP weights (gpt2, gptneox, falcon, bloom): down(gelu(up(x) + b_up)) + b_down. */
export interface GeluMlpWeights {
  /** ffn_up.weight [n_embd, n_ff]. */
  readonly up: WeightMatrix;
  /** ffn_up.bias [n_ff]. */
  readonly upB?: Float32Array;
  /** ffn_down.weight [n_ff, n_embd]. */
  readonly down: WeightMatrix;
  /** ffn_down.bias [n_embd]. */
  readonly downB?: Float32Array;
}

/**
 * GELU feed-forward (Hendrycks & Gimpel 2016, tanh form through ggml's fp16 table, see the
 * kernels' `gelu`): out = down(gelu(up·h + b_up)) + b_down. llama.cpp build_ffn(LLM_FFN_GELU, LLM_FFN_SEQ).
 * @param h [nTokens][n_embd]. @param out [nTokens][n_embd] (must not alias h).
 */
export function ffnGelu(m: ForwardContext, layer: number, w: GeluMlpWeights, h: Float32Array, nTokens: number, pos0: number, out: Float32Array): void {
  const { kernels: K, hparams: hp, ws } = m;
  K.matmul(ws.ffA, h, nTokens, w.up);
  if (w.upB) K.addRow(ws.ffA, ws.ffA, w.upB, nTokens, hp.nFf);
  K.gelu(ws.ffA, ws.ffA, nTokens * hp.nFf);
  emit(m, layer, "ffn_act", ws.ffA, nTokens, hp.nFf, pos0);
  K.matmul(out, ws.ffA, nTokens, w.down);
  if (w.downB) K.addRow(out, out, w.downB, nTokens, hp.nEmbd);
  emit(m, layer, "ffn_out", out, nTokens, hp.nEmbd, pos0);
}

/** RMSNorm with weight (Zhang & Sennrich 2019): out = x / sqrt(mean(x²) + eps) ⊙ w, per row. */
export function rmsNorm(m: ForwardContext, out: Float32Array, x: Float32Array, nTokens: number, weight: Float32Array): void {
  m.kernels.rmsNorm(out, x, nTokens, m.hparams.nEmbd, m.hparams.normEps, weight);
}

/** LayerNorm with weight and bias (Ba et al. 2016): out = (x − mean)/sqrt(var + eps) ⊙ w + b, per row. */
export function layerNorm(m: ForwardContext, out: Float32Array, x: Float32Array, nTokens: number, weight: Float32Array, bias?: Float32Array): void {
  m.kernels.layerNorm(out, x, nTokens, m.hparams.nEmbd, m.hparams.normEps, weight, bias);
}

/**
 * The weights of one normalization over n_embd: RMSNorm (`kind` "rms": `<name>.weight` only) or
 * LayerNorm (`kind` "layer": `<name>.weight` and `<name>.bias`; the bias is optional for the kernel).
 */
export interface NormWeights {
  readonly kind: "rms" | "layer";
  /** <name>.weight [n_embd]. */
  readonly weight: Float32Array;
  /** <name>.bias [n_embd] (LayerNorm only). */
  readonly bias?: Float32Array;
}

/**
 * Applies `w` to each row of x [nTokens][n_embd] into out [nTokens][n_embd]: {@link rmsNorm} for
 * kind "rms", {@link layerNorm} for kind "layer" (out may alias x as the kernels allow).
 */
export function norm(m: ForwardContext, out: Float32Array, x: Float32Array, nTokens: number, w: NormWeights): void {
  if (w.kind === "rms") rmsNorm(m, out, x, nTokens, w.weight);
  else layerNorm(m, out, x, nTokens, w.weight, w.bias);
}

/** The MLP of a block: SwiGLU (the weights have `gate`) or GELU. */
export type MlpWeights = SwiGluWeights | GeluMlpWeights;

/**
 * The weights of a pre-norm block, x + attn(norm(x)) then x + mlp(norm(x)) (or the parallel
 * form): attn_norm and ffn_norm [n_embd] each, the attention, and the MLP of type `F`.
 */
export interface PreNormBlock<F extends MlpWeights> {
  readonly attnNorm: NormWeights;
  readonly attn: AttentionWeights;
  readonly ffnNorm: NormWeights;
  readonly ffn: F;
}

/**
 * Norm, then self-attention: the first sub-layer of a pre-norm block (GPT-2, LLaMA; llama.cpp
 * build_norm then build_attn). ws.h = norm(ws.x), reported as "attn_norm", then
 * ws.attnOut = {@link selfAttention}(ws.h). The residual add is the family's (it differs between
 * sequential and parallel blocks). ws.x, ws.h, ws.attnOut: [nTokens][n_embd] row-major.
 */
export function attentionSublayer(m: ForwardContext, layer: number, normW: NormWeights, w: AttentionWeights, pos: PositionSpec, nTokens: number, pos0: number): void {
  const { x, h, attnOut } = m.ws;
  norm(m, h, x, nTokens, normW);
  emit(m, layer, "attn_norm", h, nTokens, m.hparams.nEmbd, pos0);
  selfAttention(m, layer, w, pos, h, nTokens, pos0, attnOut);
}

/**
 * Norm, then MLP: the second sub-layer of a pre-norm block (llama.cpp build_norm then build_ffn).
 * hOut = norm(ws.x), reported as "ffn_norm", then ws.ffnOut = {@link ffnSwiGlu}(hOut) when `w`
 * has `gate`, else {@link ffnGelu}(hOut). The residual add is the family's.
 * ws.x, hOut, ws.ffnOut: [nTokens][n_embd] row-major.
 * @param hOut where the normalized input goes: ws.h, or ws.h2 where ws.h must stay as it is.
 */
export function ffnSublayer(m: ForwardContext, layer: number, normW: NormWeights, w: MlpWeights, nTokens: number, pos0: number, hOut: Float32Array = m.ws.h): void {
  const { x, ffnOut } = m.ws;
  norm(m, hOut, x, nTokens, normW);
  emit(m, layer, "ffn_norm", hOut, nTokens, m.hparams.nEmbd, pos0);
  if ("gate" in w) ffnSwiGlu(m, layer, w, hOut, nTokens, pos0, ffnOut);
  else ffnGelu(m, layer, w, hOut, nTokens, pos0, ffnOut);
}

/** Residual add: out = a + b over [nTokens][n_embd] (out may alias a or b). */
export function residual(m: ForwardContext, out: Float32Array, a: Float32Array, b: Float32Array, nTokens: number): void {
  m.kernels.add(out, a, b, nTokens * m.hparams.nEmbd);
}

/** Token embeddings: out[t] = token_embd row tokens[t] (dequantized), [nTokens][n_embd]. */
export function embedTokens(m: ForwardContext, out: Float32Array, tokEmbd: WeightMatrix, tokens: Int32Array): void {
  m.kernels.getRows(out, tokEmbd, tokens);
}

/**
 * RoPE settings from the hyperparameters (Su et al. 2021): n_rot, theta base, linear/YaRN
 * scaling (ext_factor 1 for YaRN, as llama.cpp sets it when the file asks for YaRN) and optional
 * per-frequency divisors (`rope_freqs.weight`, Llama 3).
 * @param mode "norm" rotates pairs (2i, 2i+1) (llama); "neox" rotates (i, i + n_rot/2).
 */
export function ropeOptions(hp: HParams, mode: "norm" | "neox", freqFactors?: Float32Array): RopeOptions {
  const yarn = hp.ropeScalingType === "yarn";
  return {
    nRot: hp.nRot,
    mode,
    freqBase: hp.ropeFreqBase,
    freqScale: hp.ropeFreqScale,
    ...(freqFactors ? { freqFactors } : {}),
    extFactor: yarn ? 1 : 0,
    attnFactor: hp.ropeAttnFactor,
    betaFast: 32,
    betaSlow: 1,
    nCtxOrig: hp.ropeNCtxOrig,
  };
}
