/**
 * GPT-NeoX / Pythia (Black et al. 2022; Biderman et al. 2023), general.architecture "gptneox":
 * pre-norm LayerNorm blocks, fused QKV with biases, partial rotary positions (NEOX type on the
 * first `rope.dimension_count` dims of each head), GELU MLP, and the parallel residual
 * x + attn(ln1(x)) + ffn(ln2(x)) when `use_parallel_residual` is true (the default).
 * Graph: llama.cpp src/models/gptneox.cpp (build_gptneox at the reference commit).
 *
 * Shapes in ggml order [n_in, n_out]; activations row-major [n_tokens][width].
 */
import type { GgufFile } from "../formats/gguf/reader.js";
import type { Kernels } from "../kernels/api.js";
import type { RopeOptions, WeightMatrix } from "../kernels/ref/index.js";
import { readHParams } from "./hparams.js";
import {
  embedTokens, emit, ffnGelu, layerNorm, residual, ropeOptions, selfAttention,
  type AttentionWeights, type GeluMlpWeights,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/** One GPT-NeoX block. */
interface GptNeoXLayer {
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

/** A GPT-NeoX model; see the module comment. */
export class GptNeoXModel extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  readonly layers: GptNeoXLayer[] = [];
  /** output_norm.weight, output_norm.bias [n_embd]. */
  readonly outputNorm: Float32Array;
  readonly outputNormB: Float32Array;
  /** output.weight [n_embd, n_vocab] (untied). */
  readonly output: WeightMatrix;
  /** RoPE settings (NEOX mode, partial: n_rot of head_dim). */
  readonly rope: RopeOptions;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "gptneox") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "layer"), opts, { fusedQkv: true, secondNorm: true });
    const hp = this.hparams;
    const E = hp.nEmbd, Q = hp.nEmbdQ, KV = hp.nEmbdKv, F = hp.nFf;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.outputNorm = wl.vector("output_norm.weight", E);
    this.outputNormB = wl.vector("output_norm.bias", E);
    this.output = wl.matrix("output.weight", E, hp.nVocab);
    this.rope = ropeOptions(hp, "neox");
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
    const { x, h, h2, attnOut, ffnOut } = this.ws;
    embedTokens(this, x, this.tokEmbd, tokens);                       // x = token_embd[tokens]
    emit(this, -1, "inp_embd", x, T, E, pos0);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      layerNorm(this, h, x, T, L.attnNorm, L.attnNormB);               // h = ln1(x)
      emit(this, l, "attn_norm", h, T, E, pos0);
      selfAttention(this, l, L.attn, { rope: this.rope }, h, T, pos0, attnOut);
      if (this.hparams.useParallelResidual) {
        layerNorm(this, h2, x, T, L.ffnNorm, L.ffnNormB);              // h2 = ln2(x), same input x
        emit(this, l, "ffn_norm", h2, T, E, pos0);
        ffnGelu(this, l, L.ffn, h2, T, pos0, ffnOut);
        residual(this, x, ffnOut, x, T);                                // x = (ffn + x) + attn
        residual(this, x, x, attnOut, T);
      } else {
        residual(this, x, attnOut, x, T);                               // x = attn + x
        emit(this, l, "ffn_inp", x, T, E, pos0);
        layerNorm(this, h, x, T, L.ffnNorm, L.ffnNormB);               // h = ln2(x)
        emit(this, l, "ffn_norm", h, T, E, pos0);
        ffnGelu(this, l, L.ffn, h, T, pos0, ffnOut);
        residual(this, x, ffnOut, x, T);                                // x = ffn + x
      }
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (!logits) return;
    const rows = T - outFrom;
    layerNorm(this, h, x.subarray(outFrom * E), rows, this.outputNorm, this.outputNormB);
    this.head(h, rows, pos0 + outFrom, this.output, logits);
  }
}
