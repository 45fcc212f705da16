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
import { loadFusedAttention, loadGeluMlp, loadNorm } from "./block-weights.js";
import { readHParams } from "./hparams.js";
import {
  embedTokens, emit, ffnGelu, norm, residual, ropeOptions, selfAttention,
  type AttentionWeights, type GeluMlpWeights, type NormWeights,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/** One Falcon block. */
interface FalconLayer {
  /** attn_norm.weight, attn_norm.bias [n_embd] (LayerNorm): the input of the MLP (and of attention in 7B). */
  readonly attnNorm: NormWeights;
  /** attn_norm_2.weight, .bias [n_embd] (LayerNorm; Falcon-40B only): the input of attention. */
  readonly attnNorm2: NormWeights | undefined;
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
  /** output_norm.weight, output_norm.bias [n_embd] (LayerNorm). */
  readonly outputNorm: NormWeights;
  /** output.weight [n_embd, n_vocab], or token_embd when tied. */
  readonly output: WeightMatrix;
  /** RoPE settings (NEOX mode over the whole head). */
  readonly rope: RopeOptions;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "falcon") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "layer"), opts, { fusedQkv: true, secondNorm: true });
    const hp = this.hparams;
    const E = hp.nEmbd;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.outputNorm = loadNorm(wl, hp, "output_norm", "layer");
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    this.rope = ropeOptions(hp, "neox");
    for (let i = 0; i < hp.nLayer; i++) {
      const p = `blk.${i}.`;
      this.layers.push({
        attnNorm: loadNorm(wl, hp, p + "attn_norm", "layer"),
        attnNorm2: gguf.tensor(p + "attn_norm_2.weight") ? loadNorm(wl, hp, p + "attn_norm_2", "layer") : undefined,
        attn: loadFusedAttention(wl, hp, p, "none"),
        ffn: loadGeluMlp(wl, hp, p, "none"),
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
      norm(this, h, x, T, L.attnNorm);                                  // h = ln(x): the MLP input
      emit(this, l, "attn_norm", h, T, E, pos0);
      let attnIn = h;
      if (L.attnNorm2) {                                                // Falcon-40B: attention reads ln_2(x)
        norm(this, h2, x, T, L.attnNorm2);
        emit(this, l, "attn_norm_2", h2, T, E, pos0);
        attnIn = h2;
      }
      selfAttention(this, l, L.attn, { rope: this.rope }, attnIn, T, pos0, attnOut);
      ffnGelu(this, l, L.ffn, h, T, pos0, ffnOut);                      // MLP on the same ln(x)
      residual(this, ffnOut, ffnOut, attnOut, T);                        // x = (ffn + attn) + x
      residual(this, x, ffnOut, x, T);
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (logits) this.head(T, outFrom, pos0, this.outputNorm, this.output, logits); // layernorm, then output · h
  }
}
