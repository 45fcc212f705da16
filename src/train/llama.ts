/**
 * A trainable LLaMA (Touvron et al. 2023) with llama.cpp's GGUF math and tensor names, so that a
 * trained model exports straight to a GGUF that llama.cpp and our inference engine load
 * (llama-gguf.ts). Pre-norm blocks:
 *
 *   x = token_embd[tokens]                                   [n][n_embd]
 *   per block i:
 *     h = rmsnorm(x) ⊙ attn_norm
 *     q = h·attn_qᵀ, k = h·attn_kᵀ, v = h·attn_vᵀ          q [n][n_head·hd], k/v [n][n_head_kv·hd]
 *     q, k = RoPE NORM (pairs 2i, 2i+1), position = t within its sequence
 *     x = x + attention(q, k, v)·attn_outputᵀ               causal, GQA, scale 1/sqrt(hd)
 *     h = rmsnorm(x) ⊙ ffn_norm
 *     x = x + (silu(h·ffn_gateᵀ) ⊙ h·ffn_upᵀ)·ffn_downᵀ
 *   logits = (rmsnorm(x) ⊙ output_norm)·outputᵀ              output = token_embd when tied
 *
 * Weights are stored as GGUF stores them: a matrix with ne = [n_in, n_out] is a row-major
 * [n_out][n_in] Tensor named by its GGUF name ("blk.0.attn_q.weight"). We train in llama.cpp's
 * own Q/K layout, so unlike HF checkpoints no head permutation is involved anywhere.
 *
 * Initialisation (seeded, init.ts): every matrix N(0, 0.02²) as GPT-2 (Radford et al. 2019);
 * the residual projections attn_output and ffn_down N(0, (0.02/sqrt(2·n_layer))²) so the residual
 * stream's variance does not grow with depth (GPT-2 §2.3); norm weights 1.
 */
import { GlassboxError } from "../errors.js";
import type { Kernels } from "../kernels/api.js";
import type { RopeOptions } from "../kernels/ref/index.js";
import { attention } from "../tensor/ops/attention.js";
import { swiglu } from "../tensor/ops/activations.js";
import { crossEntropy } from "../tensor/ops/cross-entropy.js";
import { add } from "../tensor/ops/elementwise.js";
import { embedding } from "../tensor/ops/embedding.js";
import { matmul } from "../tensor/ops/matmul.js";
import { rmsNorm } from "../tensor/ops/rmsnorm.js";
import { rope } from "../tensor/ops/rope.js";
import type { Tape } from "../tensor/tape.js";
import { Tensor } from "../tensor/tensor.js";
import { fillNormal, mulberry32 } from "./init.js";
import { TrainableModel, type PackedForwardOptions } from "./trainable.js";

/** Hyperparameters; names follow llama.cpp's hparams (GGUF key in brackets). */
export interface LlamaConfig {
  /** Vocabulary size (rows of token_embd). */
  readonly nVocab: number;
  /** Hidden size [llama.embedding_length]. */
  readonly nEmbd: number;
  /** Blocks [llama.block_count]. */
  readonly nLayer: number;
  /** Query heads [llama.attention.head_count]; head_dim = nEmbd / nHead. */
  readonly nHead: number;
  /** Key/value heads [llama.attention.head_count_kv]; divides nHead. */
  readonly nHeadKv: number;
  /** FFN inner size [llama.feed_forward_length]. */
  readonly nFf: number;
  /** Training context [llama.context_length]: the longest sequence forward() accepts. */
  readonly nCtx: number;
  /** RoPE base [llama.rope.freq_base], e.g. 10000. */
  readonly ropeFreqBase: number;
  /** RMSNorm epsilon [llama.attention.layer_norm_rms_epsilon], e.g. 1e-5. */
  readonly rmsEps: number;
  /** Output head tied to token_embd (no output.weight tensor). */
  readonly tied: boolean;
  /** Rotated dims per head [llama.rope.dimension_count]; default head_dim. */
  readonly nRot?: number;
}

/** Initialisation options. */
export interface LlamaInitOptions {
  /** Seed of the generator (default 0). */
  seed?: number;
  /** Std of the matrices (default 0.02); residual projections get std / sqrt(2·n_layer). */
  std?: number;
}

/** One block's parameters (row-major [n_out][n_in] matrices, GGUF names in comments). */
export interface LlamaBlock {
  /** blk.i.attn_norm.weight [n_embd] */
  readonly attnNorm: Tensor;
  /** blk.i.attn_q.weight [n_head·hd][n_embd] */
  readonly wq: Tensor;
  /** blk.i.attn_k.weight [n_head_kv·hd][n_embd] */
  readonly wk: Tensor;
  /** blk.i.attn_v.weight [n_head_kv·hd][n_embd] */
  readonly wv: Tensor;
  /** blk.i.attn_output.weight [n_embd][n_head·hd] */
  readonly wo: Tensor;
  /** blk.i.ffn_norm.weight [n_embd] */
  readonly ffnNorm: Tensor;
  /** blk.i.ffn_gate.weight [n_ff][n_embd] */
  readonly gate: Tensor;
  /** blk.i.ffn_up.weight [n_ff][n_embd] */
  readonly up: Tensor;
  /** blk.i.ffn_down.weight [n_embd][n_ff] */
  readonly down: Tensor;
}

/** Options of {@link LlamaTrainable.forward}. */
export type ForwardOptions = PackedForwardOptions;

/** Checks a config; throws TRAIN_BAD_CONFIG naming the first bad field. */
export function checkLlamaConfig(c: LlamaConfig): void {
  const bad = (m: string): never => { throw new GlassboxError("TRAIN_BAD_CONFIG", m); };
  for (const f of ["nVocab", "nEmbd", "nLayer", "nHead", "nHeadKv", "nFf", "nCtx"] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 1) bad(`${f} must be a positive integer, got ${c[f]}`);
  }
  if (c.nEmbd % c.nHead !== 0) bad(`nEmbd ${c.nEmbd} is not a multiple of nHead ${c.nHead}`);
  if (c.nHead % c.nHeadKv !== 0) bad(`nHeadKv ${c.nHeadKv} does not divide nHead ${c.nHead}`);
  const hd = c.nEmbd / c.nHead;
  const nRot = c.nRot ?? hd;
  if (!Number.isInteger(nRot) || nRot < 2 || nRot % 2 !== 0 || nRot > hd) bad(`nRot ${nRot} must be even and in [2, head_dim ${hd}]`);
  if (!(c.ropeFreqBase > 0)) bad(`ropeFreqBase must be > 0, got ${c.ropeFreqBase}`);
  if (!(c.rmsEps > 0)) bad(`rmsEps must be > 0, got ${c.rmsEps}`);
}

export class LlamaTrainable extends TrainableModel {
  /** Every parameter in GGUF order (token_embd, blocks, output_norm, output). */
  declare readonly params: Tensor[];
  readonly tokEmbd: Tensor;
  readonly blocks: LlamaBlock[] = [];
  readonly outputNorm: Tensor;
  /** output.weight [n_vocab][n_embd], or token_embd when tied. */
  readonly output: Tensor;
  readonly headDim: number;
  readonly rope: RopeOptions;
  private readonly byName = new Map<string, Tensor>();

  /**
   * Allocates the parameters (and their gradients) with `kernels.alloc` and initialises them
   * (see the module comment) unless `init` is false (then all zero, e.g. before loading).
   * @throws TRAIN_BAD_CONFIG.
   */
  constructor(readonly config: LlamaConfig, kernels: Kernels, init: LlamaInitOptions | false = {}) {
    super(kernels);
    checkLlamaConfig(config);
    const c = config, E = c.nEmbd, hd = E / c.nHead, Q = hd * c.nHead, KV = hd * c.nHeadKv;
    this.headDim = hd;
    this.rope = { nRot: c.nRot ?? hd, mode: "norm", freqBase: c.ropeFreqBase };
    this.tokEmbd = this.make("token_embd.weight", [c.nVocab, E]);
    for (let i = 0; i < c.nLayer; i++) {
      const p = `blk.${i}.`;
      this.blocks.push({
        attnNorm: this.make(p + "attn_norm.weight", [E]),
        wq: this.make(p + "attn_q.weight", [Q, E]),
        wk: this.make(p + "attn_k.weight", [KV, E]),
        wv: this.make(p + "attn_v.weight", [KV, E]),
        wo: this.make(p + "attn_output.weight", [E, Q]),
        ffnNorm: this.make(p + "ffn_norm.weight", [E]),
        gate: this.make(p + "ffn_gate.weight", [c.nFf, E]),
        up: this.make(p + "ffn_up.weight", [c.nFf, E]),
        down: this.make(p + "ffn_down.weight", [E, c.nFf]),
      });
    }
    this.outputNorm = this.make("output_norm.weight", [E]);
    this.output = c.tied ? this.tokEmbd : this.make("output.weight", [c.nVocab, E]);
    if (init !== false) this.initialize(init);
  }

  private make(name: string, shape: number[]): Tensor {
    const t = this.newParam(name, shape);
    this.byName.set(name, t);
    return t;
  }

  /** Re-initialises every parameter from `seed` (see the module comment). */
  initialize(o: LlamaInitOptions = {}): void {
    const std = o.std ?? 0.02;
    const rnd = mulberry32(o.seed ?? 0);
    const resid = std / Math.sqrt(2 * this.config.nLayer);
    for (const t of this.params) {
      if (t.shape.length === 1) t.data.fill(1);
      else fillNormal(t.data, /attn_output|ffn_down/.test(t.name!) ? resid : std, rnd);
    }
  }

  /** The parameter with GGUF name `name`, or undefined. */
  param(name: string): Tensor | undefined {
    return this.byName.get(name);
  }

  /** Number of trainable scalars (a tied head counted once). */
  get parameterCount(): number {
    let n = 0;
    for (const t of this.params) n += t.size;
    return n;
  }

  /**
   * Runs the model on `tokens` ([batch][T] packed row-major, each sequence starting at
   * position 0) on `tape`. Returns logits [batch·T][n_vocab] and, when targets are given, the
   * mean cross-entropy over non-masked targets (a scalar to pass to tape.backward).
   * @throws TRAIN_BAD_INPUT when tokens.length is not a multiple of batch or T > nCtx;
   *   TENSOR_BAD_INDEX for a token or target outside the vocabulary.
   */
  forward(tape: Tape, tokens: Int32Array, o: ForwardOptions = {}): { logits: Tensor; loss: Tensor | null } {
    const c = this.config;
    const { batch: B, seq: T, pos } = this.packedInput(tokens.length, o.batch ?? 1, o.targets, c.nCtx);
    const hd = this.headDim, eps = c.rmsEps;
    const shape = { batch: B, seq: T, nHead: c.nHead, nHeadKv: c.nHeadKv, headDim: hd };
    let x = embedding(tape, this.tokEmbd, tokens);
    for (const L of this.blocks) {
      let h = rmsNorm(tape, x, L.attnNorm, eps);
      const q = rope(tape, matmul(tape, h, L.wq), c.nHead, hd, pos, this.rope);
      const k = rope(tape, matmul(tape, h, L.wk), c.nHeadKv, hd, pos, this.rope);
      const v = matmul(tape, h, L.wv);
      x = add(tape, x, matmul(tape, attention(tape, q, k, v, shape), L.wo));
      h = rmsNorm(tape, x, L.ffnNorm, eps);
      x = add(tape, x, matmul(tape, swiglu(tape, matmul(tape, h, L.gate), matmul(tape, h, L.up)), L.down));
    }
    const logits = matmul(tape, rmsNorm(tape, x, this.outputNorm, eps), this.output);
    const loss = o.targets ? crossEntropy(tape, logits, o.targets) : null;
    return { logits, loss };
  }
}
