/**
 * LLaMA (Touvron et al. 2023) and the models that share its GGUF layout under
 * general.architecture "llama": LLaMA 1/2/3, Mistral, TinyLlama, SmolLM, DeepSeek-LLM.
 * Pre-norm blocks with RMSNorm, rotary positions (NORM type: pairs (2i, 2i+1)), grouped-query
 * attention, SwiGLU MLP; output head untied (`output.weight`) or tied to `token_embd`.
 * Llama 3 frequency scaling comes from the optional `rope_freqs.weight`.
 * Graph: llama.cpp src/models/llama.cpp (build_llama at the reference commit).
 *
 * Shapes in ggml order [n_in, n_out]; activations row-major [n_tokens][width].
 */
import { GlassboxError } from "../errors.js";
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
 * One LLaMA block: attn_norm.weight [n_embd] (RMSNorm); attn_q [n_embd, n_embd_q], attn_k/attn_v
 * [n_embd, n_embd_kv], attn_output [n_embd_q, n_embd], each with an optional bias;
 * ffn_norm.weight [n_embd] (RMSNorm); ffn_gate/ffn_up [n_embd, n_ff], ffn_down [n_ff, n_embd].
 */
type LlamaLayer = PreNormBlock<SwiGluWeights>;

/** A LLaMA-family model; see the module comment. */
export class LlamaModel extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  readonly layers: LlamaLayer[] = [];
  /** output_norm.weight [n_embd] (RMSNorm). */
  readonly outputNorm: NormWeights;
  /** output.weight [n_embd, n_vocab], or token_embd when tied. */
  readonly output: WeightMatrix;
  /** RoPE settings (NORM mode, n_rot, base, scaling, Llama 3 factors). */
  readonly rope: RopeOptions;

  /**
   * @param keyArch prefix of the hyperparameter keys (the file's general.architecture).
   * @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR, MODEL_UNSUPPORTED_ARCH (mixture of experts).
   */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "llama") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "rms"), opts);
    const hp = this.hparams;
    const E = hp.nEmbd;
    if (gguf.tensor("blk.0.ffn_gate_inp.weight")) {
      throw new GlassboxError("MODEL_UNSUPPORTED_ARCH", "mixture-of-experts llama models (ffn_gate_inp) are not supported");
    }
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.outputNorm = loadNorm(wl, hp, "output_norm", "rms");
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    const freqFactors = wl.vector("rope_freqs.weight", hp.nRot / 2, true);
    this.rope = ropeOptions(hp, "norm", freqFactors);
    for (let i = 0; i < hp.nLayer; i++) this.layers.push(loadLlamaStyleBlock(wl, hp, `blk.${i}.`, { qkv: "optional", out: "optional" }));
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
