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
import { readHParams } from "./hparams.js";
import {
  embedTokens, emit, ffnSwiGlu, residual, rmsNorm, ropeOptions, selfAttention,
  type AttentionWeights, type SwiGluWeights,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/** One LLaMA block. */
interface LlamaLayer {
  /** attn_norm.weight [n_embd]. */
  readonly attnNorm: Float32Array;
  /** attn_q [n_embd, n_embd_q], attn_k/attn_v [n_embd, n_embd_kv], attn_output [n_embd_q, n_embd]; optional biases. */
  readonly attn: AttentionWeights;
  /** ffn_norm.weight [n_embd]. */
  readonly ffnNorm: Float32Array;
  /** ffn_gate/ffn_up [n_embd, n_ff], ffn_down [n_ff, n_embd]. */
  readonly ffn: SwiGluWeights;
}

/** A LLaMA-family model; see the module comment. */
export class LlamaModel extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  readonly layers: LlamaLayer[] = [];
  /** output_norm.weight [n_embd]. */
  readonly outputNorm: Float32Array;
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
    const E = hp.nEmbd, Q = hp.nEmbdQ, KV = hp.nEmbdKv, F = hp.nFf;
    if (gguf.tensor("blk.0.ffn_gate_inp.weight")) {
      throw new GlassboxError("MODEL_UNSUPPORTED_ARCH", "mixture-of-experts llama models (ffn_gate_inp) are not supported");
    }
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.outputNorm = wl.vector("output_norm.weight", E);
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    const freqFactors = wl.vector("rope_freqs.weight", hp.nRot / 2, true);
    this.rope = ropeOptions(hp, "norm", freqFactors);
    for (let i = 0; i < hp.nLayer; i++) {
      const p = `blk.${i}.`;
      this.layers.push({
        attnNorm: wl.vector(p + "attn_norm.weight", E),
        attn: {
          wq: wl.matrix(p + "attn_q.weight", E, Q),
          wk: wl.matrix(p + "attn_k.weight", E, KV),
          wv: wl.matrix(p + "attn_v.weight", E, KV),
          bq: wl.vector(p + "attn_q.bias", Q, true),
          bk: wl.vector(p + "attn_k.bias", KV, true),
          bv: wl.vector(p + "attn_v.bias", KV, true),
          wo: wl.matrix(p + "attn_output.weight", Q, E),
          bo: wl.vector(p + "attn_output.bias", E, true),
        },
        ffnNorm: wl.vector(p + "ffn_norm.weight", E),
        ffn: {
          gate: wl.matrix(p + "ffn_gate.weight", E, F),
          up: wl.matrix(p + "ffn_up.weight", E, F),
          down: wl.matrix(p + "ffn_down.weight", F, E),
        },
      });
    }
  }

  protected forward(tokens: Int32Array, pos0: number, outFrom: number, logits: Float32Array | undefined): void {
    const T = tokens.length, E = this.hparams.nEmbd;
    const { x, h, attnOut, ffnOut } = this.ws;
    embedTokens(this, x, this.tokEmbd, tokens);                      // x = token_embd[tokens]
    emit(this, -1, "inp_embd", x, T, E, pos0);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      rmsNorm(this, h, x, T, L.attnNorm);                              // h = rmsnorm(x) * attn_norm
      emit(this, l, "attn_norm", h, T, E, pos0);
      selfAttention(this, l, L.attn, { rope: this.rope }, h, T, pos0, attnOut);
      residual(this, x, attnOut, x, T);                                // x = attn + x
      emit(this, l, "ffn_inp", x, T, E, pos0);
      rmsNorm(this, h, x, T, L.ffnNorm);                               // h = rmsnorm(x) * ffn_norm
      emit(this, l, "ffn_norm", h, T, E, pos0);
      ffnSwiGlu(this, l, L.ffn, h, T, pos0, ffnOut);
      residual(this, x, ffnOut, x, T);                                 // x = ffn + x
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (!logits) return;
    const rows = T - outFrom;
    rmsNorm(this, h, x.subarray(outFrom * E), rows, this.outputNorm);  // only the rows we return
    this.head(h, rows, pos0 + outFrom, this.output, logits);
  }
}
