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
import { loadGpt2StyleBlock, loadNorm } from "./block-weights.js";
import { readHParams } from "./hparams.js";
import {
  attentionSublayer, embedTokens, emit, ffnSublayer, norm, residual,
  type GeluMlpWeights, type NormWeights, type PreNormBlock,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/** ALiBi max bias for bloom (llama.cpp: hparams.f_max_alibi_bias = 8.0f). */
export const BLOOM_ALIBI_MAX_BIAS = 8;

/**
 * One BLOOM block: attn_norm.weight/.bias [n_embd] (LayerNorm); attn_qkv [n_embd, n_embd_q + 2 n_embd_kv]
 * + bias; attn_output [n_embd_q, n_embd] + bias [n_embd]; ffn_norm.weight/.bias [n_embd] (LayerNorm);
 * ffn_up [n_embd, n_ff] + bias [n_ff]; ffn_down [n_ff, n_embd] + bias [n_embd].
 */
type BloomLayer = PreNormBlock<GeluMlpWeights>;

/** A BLOOM model; see the module comment. */
export class BloomModel extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  /** token_embd_norm.weight, token_embd_norm.bias [n_embd] (LayerNorm). */
  readonly tokNorm: NormWeights;
  readonly layers: BloomLayer[] = [];
  /** output_norm.weight, output_norm.bias [n_embd] (LayerNorm). */
  readonly outputNorm: NormWeights;
  /** output.weight [n_embd, n_vocab], or token_embd when tied. */
  readonly output: WeightMatrix;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "bloom") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "layer"), opts, { fusedQkv: true });
    const hp = this.hparams;
    const E = hp.nEmbd;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.tokNorm = loadNorm(wl, hp, "token_embd_norm", "layer");
    this.outputNorm = loadNorm(wl, hp, "output_norm", "layer");
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    for (let i = 0; i < hp.nLayer; i++) this.layers.push(loadGpt2StyleBlock(wl, hp, `blk.${i}.`));
  }

  protected forward(tokens: Int32Array, pos0: number, outFrom: number, logits: Float32Array | undefined): void {
    const T = tokens.length, E = this.hparams.nEmbd;
    const { x, attnOut, ffnOut } = this.ws;
    embedTokens(this, x, this.tokEmbd, tokens);                       // x = layernorm(token_embd[tokens])
    norm(this, x, x, T, this.tokNorm);
    emit(this, -1, "inp_norm", x, T, E, pos0);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      attentionSublayer(this, l, L.attnNorm, L.attn, { alibiMaxBias: BLOOM_ALIBI_MAX_BIAS }, T, pos0); // attnOut = attn(layernorm(x))
      residual(this, x, attnOut, x, T);                                 // x = attn + x
      emit(this, l, "ffn_inp", x, T, E, pos0);
      ffnSublayer(this, l, L.ffnNorm, L.ffn, T, pos0);                  // ffnOut = gelu_mlp(layernorm(x))
      residual(this, x, ffnOut, x, T);                                  // x = ffn + x
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (logits) this.head(T, outFrom, pos0, this.outputNorm, this.output, logits); // layernorm, then output · h
  }
}
