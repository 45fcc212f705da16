/**
 * GPT-2 (Radford et al. 2019), general.architecture "gpt2": learned absolute position
 * embeddings added to the token embeddings, pre-norm LayerNorm blocks, one fused QKV projection,
 * biases on every linear layer, GELU MLP; head untied or tied to token_embd.
 * Graph: llama.cpp src/models/gpt2.cpp (build_gpt2 at the reference commit).
 *
 * Shapes in ggml order [n_in, n_out]; activations row-major [n_tokens][width].
 */
import { GlassboxError } from "../errors.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import type { Kernels } from "../kernels/api.js";
import type { WeightMatrix } from "../kernels/ref/index.js";
import { loadGpt2StyleBlock, loadNorm } from "./block-weights.js";
import { readHParams } from "./hparams.js";
import {
  attentionSublayer, embedTokens, emit, ffnSublayer, residual,
  type GeluMlpWeights, type NormWeights, type PreNormBlock,
} from "./layers.js";
import { TransformerModel, type LoadModelOptions } from "./model.js";
import { WeightLoader } from "./weights.js";

/**
 * One GPT-2 block: attn_norm.weight/.bias [n_embd] (LayerNorm); attn_qkv [n_embd, n_embd_q + 2 n_embd_kv]
 * + bias; attn_output [n_embd_q, n_embd] + bias [n_embd]; ffn_norm.weight/.bias [n_embd] (LayerNorm);
 * ffn_up [n_embd, n_ff] + bias [n_ff]; ffn_down [n_ff, n_embd] + bias [n_embd].
 */
type Gpt2Layer = PreNormBlock<GeluMlpWeights>;

/** A GPT-2 model; see the module comment. */
export class Gpt2Model extends TransformerModel {
  /** token_embd.weight [n_embd, n_vocab]. */
  readonly tokEmbd: WeightMatrix;
  /** position_embd.weight [n_embd, n_ctx_train]. */
  readonly posEmbd: WeightMatrix;
  readonly layers: Gpt2Layer[] = [];
  /** output_norm.weight, output_norm.bias [n_embd] (LayerNorm). */
  readonly outputNorm: NormWeights;
  /** output.weight [n_embd, n_vocab], or token_embd when tied. */
  readonly output: WeightMatrix;

  /** @throws MODEL_BAD_METADATA, MODEL_MISSING_TENSOR, MODEL_BAD_TENSOR; MODEL_BAD_OPTION when nCtx exceeds the learned positions. */
  constructor(gguf: GgufFile, kernels: Kernels, opts: LoadModelOptions = {}, keyArch = "gpt2") {
    const hp = readHParams(gguf, keyArch, "layer");
    if (opts.nCtx !== undefined && opts.nCtx > hp.nCtxTrain) {
      throw new GlassboxError("MODEL_BAD_OPTION", `nCtx ${opts.nCtx} exceeds the ${hp.nCtxTrain} learned positions of this model`);
    }
    super(keyArch, kernels, hp, opts, { fusedQkv: true });
    const E = hp.nEmbd;
    const wl = new WeightLoader(gguf, kernels);
    this.tokEmbd = wl.embedding("token_embd.weight", E, hp.nVocab);
    this.posEmbd = wl.embedding("position_embd.weight", E, hp.nCtxTrain);
    this.outputNorm = loadNorm(wl, hp, "output_norm", "layer");
    this.output = wl.matrix("output.weight", E, hp.nVocab, true) ?? this.tokEmbd;
    for (let i = 0; i < hp.nLayer; i++) this.layers.push(loadGpt2StyleBlock(wl, hp, `blk.${i}.`));
  }

  protected forward(tokens: Int32Array, pos0: number, outFrom: number, logits: Float32Array | undefined): void {
    const T = tokens.length, E = this.hparams.nEmbd;
    const { x, h, attnOut, ffnOut, positions } = this.ws;
    embedTokens(this, x, this.tokEmbd, tokens);                       // x = token_embd[tokens]
    embedTokens(this, h, this.posEmbd, positions.subarray(0, T));     //   + position_embd[pos]
    residual(this, x, x, h, T);
    emit(this, -1, "inp_embd", x, T, E, pos0);
    for (let l = 0; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      attentionSublayer(this, l, L.attnNorm, L.attn, {}, T, pos0);     // attnOut = attn(layernorm(x))
      residual(this, x, attnOut, x, T);                                 // x = attn + x
      emit(this, l, "ffn_inp", x, T, E, pos0);
      ffnSublayer(this, l, L.ffnNorm, L.ffn, T, pos0);                  // ffnOut = gelu_mlp(layernorm(x))
      residual(this, x, ffnOut, x, T);                                  // x = ffn + x
      emit(this, l, "l_out", x, T, E, pos0);
    }
    if (logits) this.head(T, outFrom, pos0, this.outputNorm, this.output, logits); // layernorm, then output · h
  }
}
