/**
 * BLOOM (BigScience 2022), general.architecture "bloom": a LayerNorm right after the token
 * embedding (`token_embd_norm`), pre-norm LayerNorm blocks, fused QKV with biases, no position
 * embedding but ALiBi biases on the attention scores (Press et al. 2022; max bias 8, which
 * llama.cpp hard-codes for bloom), GELU MLP, biases everywhere; head untied or tied to token_embd.
 * Graph: llama.cpp src/models/bloom.cpp (build_bloom at the reference commit).
 *
 * Shapes in ggml order [n_in, n_out]; activations row-major [n_tokens][width].
 */
import type { GgufFile } from "../formats/gguf/reader.js";
import type { Kernels } from "../kernels/api.js";
import type { WeightMatrix } from "../kernels/ref/index.js";
import { readHParams } from "./hparams.js";
import {
  embedTokens, emit, ffnGelu, layerNorm, residual, selfAttention,
  type AttentionWeights, type GeluMlpWeights,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/** ALiBi max bias for bloom (llama.cpp: hparams.f_max_alibi_bias = 8.0f). */
export const BLOOM_ALIBI_MAX_BIAS = 8;

/** One BLOOM block. */
interface BloomLayer {
  /** attn_norm.weight, attn_norm.bias [n_embd]. */
  readonly attnNorm: Float32Array;
  readonly attnNormB: Float32Array;
  /** attn_qkv [n_embd, n_embd_q + 2 n_embd_kv] + bias; attn_output [n_embd_q, n_embd] + bias [n_embd]. */
  readonly attn: AttentionWeights;
  /** ffn_norm.weight, ffn_norm.bias [n_embd]. */
  readonly ffnNorm: Float32Array;
  readonly ffnNormB: Float32Array;
  /** ffn_up [n_embd, n_ff] + bias [n_ff]; ffn_down [n_ff, n_embd] + bias [n_embd]. */
  readonly ffn: GeluMlpWeights;
}

/** A BLOOM model; see the module comment. */
export class BloomModel extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  /** token_embd_norm.weight, token_embd_norm.bias [n_embd]. */
  readonly tokNorm: Float32Array;
  readonly tokNormB: Float32Array;
  readonly layers: BloomLayer[] = [];
  /** output_norm.weight, output_norm.bias [n_embd]. */
  readonly outputNorm: Float32Array;
  readonly outputNormB: Float32Array;
  /** output.weight [n_embd, n_vocab], or token_embd when tied. */
  readonly output: WeightMatrix;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "bloom") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "layer"), opts, { fusedQkv: true });
    const hp = this.hparams;
    const E = hp.nEmbd, Q = hp.nEmbdQ, KV = hp.nEmbdKv, F = hp.nFf;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.tokNorm = wl.vector("token_embd_norm.weight", E);
    this.tokNormB = wl.vector("token_embd_norm.bias", E);
    this.outputNorm = wl.vector("output_norm.weight", E);
    this.outputNormB = wl.vector("output_norm.bias", E);
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    for (let i = 0; i < hp.nLayer; i++) {
      const p = `blk.${i}.`;
      this.layers.push({
        attnNorm: wl.vector(p + "attn_norm.weight", E),
        attnNormB: wl.vector(p + "attn_norm.bias", E),
        attn: {
          wqkv: wl.matrix(p + "attn_qkv.weight", E, Q + 2 * KV),
          bqkv: wl.vector(p + "attn_qkv.bias", Q + 2 * KV),
          wo: wl.matrix(p + "attn_output.weight", Q, E),
          bo: wl.vector(p + "attn_output.bias", E),
        },
        ffnNorm: wl.vector(p + "ffn_norm.weight", E),
        ffnNormB: wl.vector(p + "ffn_norm.bias", E),
        ffn: {
          up: wl.matrix(p + "ffn_up.weight", E, F),
          upB: wl.vector(p + "ffn_up.bias", F),
          down: wl.matrix(p + "ffn_down.weight", F, E),
          downB: wl.vector(p + "ffn_down.bias", E),
        },
      });
    }
  }

  protected forward(tokens: Int32Array, pos0: number, outFrom: number, logits: Float32Array | undefined): void {
    const T = tokens.length, E = this.hparams.nEmbd;
    const { x, h, attnOut, ffnOut } = this.ws;
    embedTokens(this, x, this.tokEmbd, tokens);                       // x = layernorm(token_embd[tokens])
    layerNorm(this, x, x, T, this.tokNorm, this.tokNormB);
    emit(this, -1, "inp_norm", x, T, E, pos0);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      layerNorm(this, h, x, T, L.attnNorm, L.attnNormB);               // h = layernorm(x)
      emit(this, l, "attn_norm", h, T, E, pos0);
      selfAttention(this, l, L.attn, { alibiMaxBias: BLOOM_ALIBI_MAX_BIAS }, h, T, pos0, attnOut);
      residual(this, x, attnOut, x, T);                                 // x = attn + x
      emit(this, l, "ffn_inp", x, T, E, pos0);
      layerNorm(this, h, x, T, L.ffnNorm, L.ffnNormB);                 // h = layernorm(x)
      emit(this, l, "ffn_norm", h, T, E, pos0);
      ffnGelu(this, l, L.ffn, h, T, pos0, ffnOut);
      residual(this, x, ffnOut, x, T);                                  // x = ffn + x
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (!logits) return;
    const rows = T - outFrom;
    layerNorm(this, h, x.subarray(outFrom * E), rows, this.outputNorm, this.outputNormB);
    this.head(h, rows, pos0 + outFrom, this.output, logits);
  }
}
