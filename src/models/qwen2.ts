/**
 * Qwen2 / Qwen2.5 (Yang et al. 2024), general.architecture "qwen2": the LLaMA block with
 * biases on the Q, K and V projections and NEOX-type rotary positions (pairs (i, i + n_rot/2)).
 * Pre-norm RMSNorm, grouped-query attention, SwiGLU MLP; head untied or tied to token_embd.
 * Graph: llama.cpp src/models/qwen2.cpp (build_qwen2 at the reference commit).
 *
 * Shapes in ggml order [n_in, n_out]; activations row-major [n_tokens][width].
 */
import type { GgufFile } from "../formats/gguf/reader.js";
import type { Kernels } from "../kernels/api.js";
import type { RopeOptions, WeightMatrix } from "../kernels/ref/index.js";
import { loadLlamaStyleBlock, loadNorm } from "./block-weights.js";
import { readHParams } from "./hparams.js";
import {
  attentionSublayer, embedTokens, emit, ffnSublayer, residual, ropeOptions,
  type NormWeights, type PreNormBlock, type SwiGluWeights,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/**
 * One Qwen2 block: attn_norm.weight [n_embd] (RMSNorm); attn_q [n_embd, n_embd_q] + bias
 * [n_embd_q]; attn_k/attn_v [n_embd, n_embd_kv] + biases; attn_output [n_embd_q, n_embd], no bias;
 * ffn_norm.weight [n_embd] (RMSNorm); ffn_gate/ffn_up [n_embd, n_ff], ffn_down [n_ff, n_embd].
 */
type Qwen2Layer = PreNormBlock<SwiGluWeights>;

/** A Qwen2-family model; see the module comment. */
export class Qwen2Model extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  readonly layers: Qwen2Layer[] = [];
  /** output_norm.weight [n_embd] (RMSNorm). */
  readonly outputNorm: NormWeights;
  /** output.weight [n_embd, n_vocab], or token_embd when tied. */
  readonly output: WeightMatrix;
  /** RoPE settings (NEOX mode, n_rot = head_dim unless the file says otherwise). */
  readonly rope: RopeOptions;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "qwen2") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "rms"), opts);
    const hp = this.hparams;
    const E = hp.nEmbd;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.outputNorm = loadNorm(wl, hp, "output_norm", "rms");
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    this.rope = ropeOptions(hp, "neox");
    for (let i = 0; i < hp.nLayer; i++) this.layers.push(loadLlamaStyleBlock(wl, hp, `blk.${i}.`, { qkv: "required", out: "none" }));
  }

  protected forward(tokens: Int32Array, pos0: number, outFrom: number, logits: Float32Array | undefined): void {
    const T = tokens.length, E = this.hparams.nEmbd;
    const { x, attnOut, ffnOut } = this.ws;
    embedTokens(this, x, this.tokEmbd, tokens);                      // x = token_embd[tokens]
    emit(this, -1, "inp_embd", x, T, E, pos0);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      attentionSublayer(this, l, L.attnNorm, L.attn, { rope: this.rope }, T, pos0); // attnOut = attn(rmsnorm(x))
      residual(this, x, attnOut, x, T);                                // x = attn + x
      emit(this, l, "ffn_inp", x, T, E, pos0);
      ffnSublayer(this, l, L.ffnNorm, L.ffn, T, pos0);                 // ffnOut = swiglu_mlp(rmsnorm(x))
      residual(this, x, ffnOut, x, T);                                 // x = ffn + x
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (logits) this.head(T, outFrom, pos0, this.outputNorm, this.output, logits); // rmsnorm, then output · h
  }
}
