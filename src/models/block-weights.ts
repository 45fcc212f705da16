/**
 * Loading the standard tensors of a transformer block by their GGUF names (llama.cpp's
 * LLM_TENSOR_* names, `blk.<i>.` prefix): norms, attention (separate or fused QKV), and the two
 * MLP kinds. Which biases a family has is said at the call, as llama.cpp's llama-model.cpp
 * load_tensors does per architecture (required, TENSOR_NOT_REQUIRED, or not created).
 *
 * Shapes in ggml order [n_in, n_out] (ne[0] first), as GGUF stores them and llama.cpp prints them.
 * Every loader throws what {@link WeightLoader} throws: MODEL_MISSING_TENSOR for an absent
 * required tensor, MODEL_BAD_TENSOR for a wrong shape or type, KERNEL_UNSUPPORTED_TYPE.
 */
import type { HParams } from "./hparams.js";
import type { AttentionWeights, GeluMlpWeights, NormWeights, PreNormBlock, SwiGluWeights } from "./layers.js";
import type { WeightLoader } from "./weights.js";

/** Whether a family has a tensor: it must be there, is used when there, or is not read at all. */
export type Presence = "required" | "optional" | "none";

/** A 1-D tensor [n] as f32 per `presence` (undefined when "none" or when absent and "optional"). */
function vectorIf(wl: WeightLoader, name: string, n: number, presence: Presence): Float32Array | undefined {
  if (presence === "none") return undefined;
  return presence === "optional" ? wl.vector(name, n, true) : wl.vector(name, n);
}

/**
 * A norm's weights: `<name>.weight` [n_embd], and for kind "layer" also `<name>.bias` [n_embd]
 * (both required).
 * @param name tensor name without ".weight", e.g. "blk.0.attn_norm" or "output_norm".
 */
export function loadNorm(wl: WeightLoader, hp: HParams, name: string, kind: NormWeights["kind"]): NormWeights {
  const weight = wl.vector(name + ".weight", hp.nEmbd);
  return kind === "rms" ? { kind, weight } : { kind, weight, bias: wl.vector(name + ".bias", hp.nEmbd) };
}

/**
 * Separate-projection attention of block prefix `p` ("blk.<i>."): attn_q [n_embd, n_embd_q],
 * attn_k and attn_v [n_embd, n_embd_kv], attn_output [n_embd_q, n_embd]; biases attn_q/k/v.bias
 * [n_embd_q], [n_embd_kv], [n_embd_kv] per `bias.qkv`, attn_output.bias [n_embd] per `bias.out`.
 */
export function loadSplitAttention(wl: WeightLoader, hp: HParams, p: string, bias: { readonly qkv: Presence; readonly out: Presence }): AttentionWeights {
  const E = hp.nEmbd, Q = hp.nEmbdQ, KV = hp.nEmbdKv;
  return {
    wq: wl.matrix(p + "attn_q.weight", E, Q),
    wk: wl.matrix(p + "attn_k.weight", E, KV),
    wv: wl.matrix(p + "attn_v.weight", E, KV),
    bq: vectorIf(wl, p + "attn_q.bias", Q, bias.qkv),
    bk: vectorIf(wl, p + "attn_k.bias", KV, bias.qkv),
    bv: vectorIf(wl, p + "attn_v.bias", KV, bias.qkv),
    wo: wl.matrix(p + "attn_output.weight", Q, E),
    bo: vectorIf(wl, p + "attn_output.bias", E, bias.out),
  };
}

/**
 * Fused-QKV attention of block prefix `p`: attn_qkv [n_embd, n_embd_q + 2 n_embd_kv] (output rows
 * Q, then K, then V), attn_output [n_embd_q, n_embd]; per `bias`, attn_qkv.bias
 * [n_embd_q + 2 n_embd_kv] and attn_output.bias [n_embd].
 */
export function loadFusedAttention(wl: WeightLoader, hp: HParams, p: string, bias: Presence): AttentionWeights {
  const E = hp.nEmbd, Q = hp.nEmbdQ, KV = hp.nEmbdKv;
  return {
    wqkv: wl.matrix(p + "attn_qkv.weight", E, Q + 2 * KV),
    bqkv: vectorIf(wl, p + "attn_qkv.bias", Q + 2 * KV, bias),
    wo: wl.matrix(p + "attn_output.weight", Q, E),
    bo: vectorIf(wl, p + "attn_output.bias", E, bias),
  };
}

/** SwiGLU MLP of block prefix `p`: ffn_gate and ffn_up [n_embd, n_ff], ffn_down [n_ff, n_embd]. */
export function loadSwiGlu(wl: WeightLoader, hp: HParams, p: string): SwiGluWeights {
  const E = hp.nEmbd, F = hp.nFf;
  return {
    gate: wl.matrix(p + "ffn_gate.weight", E, F),
    up: wl.matrix(p + "ffn_up.weight", E, F),
    down: wl.matrix(p + "ffn_down.weight", F, E),
  };
}

/**
 * GELU MLP of block prefix `p`: ffn_up [n_embd, n_ff], ffn_down [n_ff, n_embd]; per `bias`,
 * ffn_up.bias [n_ff] and ffn_down.bias [n_embd].
 */
export function loadGeluMlp(wl: WeightLoader, hp: HParams, p: string, bias: Presence): GeluMlpWeights {
  const E = hp.nEmbd, F = hp.nFf;
  return {
    up: wl.matrix(p + "ffn_up.weight", E, F),
    upB: vectorIf(wl, p + "ffn_up.bias", F, bias),
    down: wl.matrix(p + "ffn_down.weight", F, E),
    downB: vectorIf(wl, p + "ffn_down.bias", E, bias),
  };
}

/**
 * A LLaMA-style block (llama, qwen2) of prefix `p`: attn_norm and ffn_norm RMSNorms [n_embd],
 * separate-projection attention ({@link loadSplitAttention} with `bias`), SwiGLU MLP.
 */
export function loadLlamaStyleBlock(wl: WeightLoader, hp: HParams, p: string, bias: { readonly qkv: Presence; readonly out: Presence }): PreNormBlock<SwiGluWeights> {
  return {
    attnNorm: loadNorm(wl, hp, p + "attn_norm", "rms"),
    attn: loadSplitAttention(wl, hp, p, bias),
    ffnNorm: loadNorm(wl, hp, p + "ffn_norm", "rms"),
    ffn: loadSwiGlu(wl, hp, p),
  };
}

/**
 * A GPT-2-style block (gpt2, gptneox, bloom) of prefix `p`: attn_norm and ffn_norm LayerNorms
 * with biases [n_embd], fused-QKV attention and GELU MLP, every linear layer with its bias.
 */
export function loadGpt2StyleBlock(wl: WeightLoader, hp: HParams, p: string): PreNormBlock<GeluMlpWeights> {
  return {
    attnNorm: loadNorm(wl, hp, p + "attn_norm", "layer"),
    attn: loadFusedAttention(wl, hp, p, "required"),
    ffnNorm: loadNorm(wl, hp, p + "ffn_norm", "layer"),
    ffn: loadGeluMlp(wl, hp, p, "required"),
  };
}
