/**
 * Falcon (Almazrouei et al. 2023), general.architecture "falcon". Falcon-7B style: one
 * LayerNorm feeds both the attention and the MLP, which run in parallel:
 * x + attn(ln(x)) + ffn(ln(x)); multi-query attention (n_head_kv = 1) with a fused QKV and
 * NEOX-type rotary positions; no linear biases; GELU MLP. Falcon-40B adds `attn_norm_2`: the
 * attention then reads ln_2(x) while the MLP keeps ln(x). Head untied or tied to token_embd.
 * Graph: llama.cpp src/models/falcon.cpp (build_falcon at the reference commit).
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

/** One Falcon block. */
interface FalconLayer {
  /** attn_norm.weight, attn_norm.bias [n_embd]: the input of the MLP (and of attention in 7B). */
  readonly attnNorm: Float32Array;
  readonly attnNormB: Float32Array;
  /** attn_norm_2.weight, .bias [n_embd] (Falcon-40B only): the input of attention. */
  readonly attnNorm2?: Float32Array;
  readonly attnNorm2B?: Float32Array;
  /** attn_qkv [n_embd, n_embd_q + 2 n_embd_kv]; attn_output [n_embd_q, n_embd]. */
  readonly attn: AttentionWeights;
  /** ffn_up [n_embd, n_ff]; ffn_down [n_ff, n_embd]. */
  readonly ffn: GeluMlpWeights;
}

/** A Falcon model; see the module comment. */
export class FalconModel extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  readonly layers: FalconLayer[] = [];
  /** output_norm.weight, output_norm.bias [n_embd]. */
  readonly outputNorm: Float32Array;
  readonly outputNormB: Float32Array;
  /** output.weight [n_embd, n_vocab], or token_embd when tied. */
  readonly output: WeightMatrix;
  /** RoPE settings (NEOX mode over the whole head). */
  readonly rope: RopeOptions;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "falcon") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "layer"), opts, { fusedQkv: true, secondNorm: true });
    const hp = this.hparams;
    const E = hp.nEmbd, Q = hp.nEmbdQ, KV = hp.nEmbdKv, F = hp.nFf;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.outputNorm = wl.vector("output_norm.weight", E);
    this.outputNormB = wl.vector("output_norm.bias", E);
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    this.rope = ropeOptions(hp, "neox");
    for (let i = 0; i < hp.nLayer; i++) {
      const p = `blk.${i}.`;
      const attnNorm2 = wl.vector(p + "attn_norm_2.weight", E, true);
      this.layers.push({
        attnNorm: wl.vector(p + "attn_norm.weight", E),
        attnNormB: wl.vector(p + "attn_norm.bias", E),
        ...(attnNorm2 ? { attnNorm2, attnNorm2B: wl.vector(p + "attn_norm_2.bias", E) } : {}),
        attn: {
          wqkv: wl.matrix(p + "attn_qkv.weight", E, Q + 2 * KV),
          wo: wl.matrix(p + "attn_output.weight", Q, E),
        },
        ffn: {
          up: wl.matrix(p + "ffn_up.weight", E, F),
          down: wl.matrix(p + "ffn_down.weight", F, E),
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
      layerNorm(this, h, x, T, L.attnNorm, L.attnNormB);               // h = ln(x): the MLP input
      emit(this, l, "attn_norm", h, T, E, pos0);
      let attnIn = h;
      if (L.attnNorm2) {                                                // Falcon-40B: attention reads ln_2(x)
        layerNorm(this, h2, x, T, L.attnNorm2, L.attnNorm2B);
        emit(this, l, "attn_norm_2", h2, T, E, pos0);
        attnIn = h2;
      }
      selfAttention(this, l, L.attn, { rope: this.rope }, attnIn, T, pos0, attnOut);
      ffnGelu(this, l, L.ffn, h, T, pos0, ffnOut);                      // MLP on the same ln(x)
      residual(this, ffnOut, ffnOut, attnOut, T);                        // x = (ffn + attn) + x
      residual(this, x, ffnOut, x, T);
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (!logits) return;
    const rows = T - outFrom;
    layerNorm(this, h, x.subarray(outFrom * E), rows, this.outputNorm, this.outputNormB);
    this.head(h, rows, pos0 + outFrom, this.output, logits);
  }
}
