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
import { loadGpt2StyleBlock, loadNorm } from "./block-weights.js";
import { readHParams } from "./hparams.js";
import {
  attentionSublayer, embedTokens, emit, ffnSublayer, residual, ropeOptions,
  type GeluMlpWeights, type NormWeights, type PreNormBlock,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/**
 * One GPT-NeoX block: attn_norm.weight/.bias [n_embd] (LayerNorm); attn_qkv [n_embd, n_embd_q + 2 n_embd_kv]
 * + bias; attn_output [n_embd_q, n_embd] + bias [n_embd]; ffn_norm.weight/.bias [n_embd] (LayerNorm);
 * ffn_up [n_embd, n_ff] + bias [n_ff]; ffn_down [n_ff, n_embd] + bias [n_embd].
 */
type GptNeoXLayer = PreNormBlock<GeluMlpWeights>;

/** A GPT-NeoX model; see the module comment. */
export class GptNeoXModel extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  readonly layers: GptNeoXLayer[] = [];
  /** output_norm.weight, output_norm.bias [n_embd] (LayerNorm). */
  readonly outputNorm: NormWeights;
  /** output.weight [n_embd, n_vocab] (untied). */
  readonly output: WeightMatrix;
  /** RoPE settings (NEOX mode, partial: n_rot of head_dim). */
  readonly rope: RopeOptions;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "gptneox") {
    super(keyArch, kernels, readHParams(gguf, keyArch, "layer"), opts, { fusedQkv: true, secondNorm: true });
    const hp = this.hparams;
    const E = hp.nEmbd;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.outputNorm = loadNorm(wl, hp, "output_norm", "layer");
    this.output = wl.matrix("output.weight", E, hp.nVocab);
    this.rope = ropeOptions(hp, "neox");
    for (let i = 0; i < hp.nLayer; i++) this.layers.push(loadGpt2StyleBlock(wl, hp, `blk.${i}.`));
  }

  protected forward(tokens: Int32Array, pos0: number, outFrom: number, logits: Float32Array | undefined): void {
    const T = tokens.length, E = this.hparams.nEmbd;
    const { x, h2, attnOut, ffnOut } = this.ws;
    embedTokens(this, x, this.tokEmbd, tokens);                       // x = token_embd[tokens]
    emit(this, -1, "inp_embd", x, T, E, pos0);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      attentionSublayer(this, l, L.attnNorm, L.attn, { rope: this.rope }, T, pos0); // attnOut = attn(ln1(x))
      if (this.hparams.useParallelResidual) {
        ffnSublayer(this, l, L.ffnNorm, L.ffn, T, pos0, h2);            // ffnOut = gelu_mlp(ln2(x)), same input x
        residual(this, x, ffnOut, x, T);                                // x = (ffn + x) + attn
        residual(this, x, x, attnOut, T);
      } else {
        residual(this, x, attnOut, x, T);                               // x = attn + x
        emit(this, l, "ffn_inp", x, T, E, pos0);
        ffnSublayer(this, l, L.ffnNorm, L.ffn, T, pos0);                // ffnOut = gelu_mlp(ln2(x))
        residual(this, x, ffnOut, x, T);                                // x = ffn + x
      }
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (logits) this.head(T, outFrom, pos0, this.outputNorm, this.output, logits); // layernorm, then output · h
  }
}
