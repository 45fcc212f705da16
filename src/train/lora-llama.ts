/**
 * A llama GGUF with LoRA adapters for fine-tuning: the base stays frozen in its stored type
 * (lora-frozen.ts; Q8_0 / Q4_0 / K-quants are dequantized per matmul), only the A and B matrices
 * of the target weights train. The graph is the trainable llama's (llama.ts, llama.cpp's
 * build_llama), with every target matmul replaced by loraLinear (lora-linear.ts):
 *
 *   x = token_embd[tokens]                                  (frozen, dequantized rows)
 *   per block: h = rmsnorm(x) ⊙ attn_norm
 *              q = rope(lin(h, attn_q)), k = rope(lin(h, attn_k)), v = lin(h, attn_v)
 *              x = x + lin(attention(q, k, v), attn_output)
 *              h = rmsnorm(x) ⊙ ffn_norm
 *              x = x + lin(silu(lin(h, ffn_gate)) ⊙ lin(h, ffn_up), ffn_down)
 *   logits = lin(rmsnorm(x) ⊙ output_norm, output)
 *
 * with lin(h, W) = h·Wᵀ + (alpha/r)·(dropout(h)·Aᵀ)·Bᵀ on targets and h·Wᵀ elsewhere. Parameters
 * are named as the adapter file's tensors ("blk.0.attn_q.weight.lora_a"), so checkpoints, the
 * optimizer state and the exported adapter (lora-gguf.ts) agree on names.
 */
import { GlassboxError } from "../errors.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import type { GgufToWrite } from "../formats/gguf/writer.js";
import type { Kernels } from "../kernels/api.js";
import type { RopeOptions } from "../kernels/ref/index.js";
import { LORA_A_SUFFIX, LORA_B_SUFFIX, type LoraAdapter } from "../models/lora.js";
import { dequantizeTensor } from "../quant/traits.js";
import { attention } from "../tensor/ops/attention.js";
import { swiglu } from "../tensor/ops/activations.js";
import { crossEntropy } from "../tensor/ops/cross-entropy.js";
import { add } from "../tensor/ops/elementwise.js";
import { rmsNorm } from "../tensor/ops/rmsnorm.js";
import { rope } from "../tensor/ops/rope.js";
import type { Tape } from "../tensor/tape.js";
import { Tensor } from "../tensor/tensor.js";
import { fillNormal, mulberry32 } from "./init.js";
import { llamaConfigFromGguf } from "./llama-gguf.js";
import type { LlamaConfig } from "./llama.js";
import { loraScale, loraTensorName, resolveLoraConfig, type LoraConfig, type LoraTarget, type ResolvedLoraConfig } from "./lora-config.js";
import { FrozenMatrix } from "./lora-frozen.js";
import { loraAdapterToGguf, type LoraExportOptions, type LoraTensors } from "./lora-gguf.js";
import { loraLinear, type LoraDropout, type LoraParams } from "./lora-linear.js";
import { TrainableModel, type PackedForwardOptions } from "./trainable.js";

/** One frozen block. */
interface FrozenBlock {
  readonly attnNorm: Tensor;
  readonly ffnNorm: Tensor;
  /** The seven matrices by target name. */
  readonly w: Readonly<Record<Exclude<LoraTarget, "output">, FrozenMatrix>>;
}

/** Options of {@link LoraLlama.forward}. */
export interface LoraForwardOptions extends PackedForwardOptions {
  /** Seed of this forward's dropout masks; no dropout when absent (evaluation). */
  dropoutSeed?: number;
}

/** Options of the constructor. */
export interface LoraLlamaOptions {
  /** Seed of A's initialisation (default 0). */
  seed?: number;
}

export class LoraLlama extends TrainableModel {
  readonly config: LlamaConfig;
  readonly lora: ResolvedLoraConfig;
  /** general.architecture of the base ("llama"). */
  readonly arch: string;
  /** alpha / r. */
  readonly scale: number;
  readonly headDim: number;
  readonly rope: RopeOptions;
  readonly tokEmbd: FrozenMatrix;
  readonly blocks: FrozenBlock[] = [];
  readonly outputNorm: Tensor;
  readonly output: FrozenMatrix;
  /** The trainable updates by base tensor name ("blk.0.attn_q.weight"), in GGUF order. */
  readonly adapters = new Map<string, LoraParams>();
  /** A and B of every adapter, in order (A then B per weight): what the optimizer steps. */
  declare readonly params: Tensor[];

  /**
   * Reads the frozen base from `g` (a llama GGUF: any tensor type the quant table dequantizes)
   * and makes zero-B adapters for the targets (A initialised from `seed`, see lora-config.ts).
   * @throws TRAIN_BAD_MODEL / TRAIN_UNSUPPORTED as llamaConfigFromGguf and for tensors that have
   *   no place in a llama; TRAIN_UNSUPPORTED for the "output" target on a tied head (llama.cpp
   *   would apply it to the token embedding too); TRAIN_BAD_CONFIG for bad LoRA settings.
   */
  constructor(g: GgufFile, kernels: Kernels, lora: LoraConfig = {}, o: LoraLlamaOptions = {}) {
    super(kernels);
    const c = llamaConfigFromGguf(g);
    this.config = c;
    this.lora = resolveLoraConfig(lora);
    this.arch = String(g.get("general.architecture"));
    this.scale = loraScale(this.lora.alpha, this.lora.rank);
    const E = c.nEmbd, hd = E / c.nHead, Q = hd * c.nHead, KV = hd * c.nHeadKv;
    this.headDim = hd;
    this.rope = { nRot: c.nRot ?? hd, mode: "norm", freqBase: c.ropeFreqBase };
    if (c.tied && this.lora.targets.includes("output")) {
      throw new GlassboxError("TRAIN_UNSUPPORTED", "the output head is tied to token_embd: an 'output' LoRA would be applied to the token embedding as well; leave 'output' out of the targets");
    }
    const known = new Set(["token_embd.weight", "output_norm.weight", "output.weight"]);
    const vec = (name: string, n: number): Tensor => {
      const t = g.tensor(name);
      if (!t || t.ne[0] !== n || t.ne.slice(1).some((d) => d !== 1)) throw new GlassboxError("TRAIN_BAD_MODEL", `tensor ${name} is missing or not [${n}]`);
      const v = kernels.alloc(n);
      v.set(dequantizeTensor(t.type, g.tensorBytes(t), n));
      return new Tensor(v, [n], false, name);
    };
    const mat = (name: string, nIn: number, nOut: number) => FrozenMatrix.fromGguf(g, name, nIn, nOut);
    this.tokEmbd = mat("token_embd.weight", E, c.nVocab);
    for (let i = 0; i < c.nLayer; i++) {
      const p = `blk.${i}.`;
      for (const s of ["attn_norm", "ffn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]) known.add(`${p}${s}.weight`);
      this.blocks.push({
        attnNorm: vec(p + "attn_norm.weight", E),
        ffnNorm: vec(p + "ffn_norm.weight", E),
        w: {
          attn_q: mat(p + "attn_q.weight", E, Q),
          attn_k: mat(p + "attn_k.weight", E, KV),
          attn_v: mat(p + "attn_v.weight", E, KV),
          attn_output: mat(p + "attn_output.weight", Q, E),
          ffn_gate: mat(p + "ffn_gate.weight", E, c.nFf),
          ffn_up: mat(p + "ffn_up.weight", E, c.nFf),
          ffn_down: mat(p + "ffn_down.weight", c.nFf, E),
        },
      });
    }
    for (const t of g.tensors) {
      if (!known.has(t.name)) throw new GlassboxError("TRAIN_UNSUPPORTED", `tensor ${t.name} has no place in the trainable llama`);
    }
    this.outputNorm = vec("output_norm.weight", E);
    this.output = c.tied ? this.tokEmbd : mat("output.weight", E, c.nVocab);

    const rnd = mulberry32(o.seed ?? 0);
    const r = this.lora.rank;
    for (let i = 0; i < c.nLayer; i++) {
      for (const t of ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"] as const) {
        if (this.lora.targets.includes(t)) this.addAdapter(loraTensorName(t, i), this.blocks[i]!.w[t], r, rnd);
      }
    }
    if (this.lora.targets.includes("output")) this.addAdapter("output.weight", this.output, r, rnd);
  }

  private addAdapter(name: string, w: FrozenMatrix, r: number, rnd: () => number): void {
    const a = this.newParam(name + LORA_A_SUFFIX, [r, w.nIn]);
    const b = this.newParam(name + LORA_B_SUFFIX, [w.nOut, r]);
    if (this.lora.init === "gaussian") fillNormal(a.data, 1 / r, rnd);
    else {
      const bound = 1 / Math.sqrt(w.nIn); // kaiming_uniform_(a = sqrt(5)) on fan_in = n_in
      for (let i = 0; i < a.size; i++) a.data[i] = (2 * rnd() - 1) * bound;
    }
    this.adapters.set(name, { a, b, scale: this.scale });
  }

  /** Trainable scalars (A and B of every adapter). */
  get trainableCount(): number {
    let n = 0;
    for (const p of this.params) n += p.size;
    return n;
  }

  /** Bytes of the frozen base as held in memory (stored types). */
  get baseBytes(): number {
    let n = this.tokEmbd.byteLength + this.outputNorm.size * 4;
    for (const b of this.blocks) {
      n += (b.attnNorm.size + b.ffnNorm.size) * 4;
      for (const m of Object.values(b.w)) n += m.byteLength;
    }
    return n + (this.output === this.tokEmbd ? 0 : this.output.byteLength);
  }

  private lin(tape: Tape, h: Tensor, w: FrozenMatrix, drop: LoraDropout | undefined): Tensor {
    return loraLinear(tape, h, w, this.adapters.get(w.name), drop);
  }

  /**
   * Runs the model on `tokens` ([batch][T] packed, each sequence from position 0). Returns
   * logits [batch·T][n_vocab] and, with targets, the mean cross-entropy over non-masked targets.
   * @throws TRAIN_BAD_INPUT (tokens not a multiple of batch, T > n_ctx, targets length);
   *   TENSOR_BAD_INDEX for a token or target outside the vocabulary.
   */
  forward(tape: Tape, tokens: Int32Array, o: LoraForwardOptions = {}): { logits: Tensor; loss: Tensor | null } {
    const c = this.config, N = tokens.length;
    const { batch: B, seq: T, pos } = this.packedInput(N, o.batch ?? 1, o.targets, c.nCtx);
    const hd = this.headDim, eps = c.rmsEps, E = c.nEmbd;
    const shape = { batch: B, seq: T, nHead: c.nHead, nHeadKv: c.nHeadKv, headDim: hd };
    const drop: LoraDropout | undefined = o.dropoutSeed !== undefined && this.lora.dropout > 0
      ? { p: this.lora.dropout, uniform: mulberry32(o.dropoutSeed) } : undefined;

    let x = tape.tensor([N, E], false);
    for (let t = 0; t < N; t++) {
      const id = tokens[t]!;
      if (!(id >= 0 && id < c.nVocab)) throw new GlassboxError("TENSOR_BAD_INDEX", `token ${id} at ${t} is outside [0, ${c.nVocab})`);
      this.tokEmbd.dequantizeRows(id, id + 1, x.data.subarray(t * E, (t + 1) * E));
    }
    for (const L of this.blocks) {
      let h = rmsNorm(tape, x, L.attnNorm, eps);
      const q = rope(tape, this.lin(tape, h, L.w.attn_q, drop), c.nHead, hd, pos, this.rope);
      const k = rope(tape, this.lin(tape, h, L.w.attn_k, drop), c.nHeadKv, hd, pos, this.rope);
      const v = this.lin(tape, h, L.w.attn_v, drop);
      x = add(tape, x, this.lin(tape, attention(tape, q, k, v, shape), L.w.attn_output, drop));
      h = rmsNorm(tape, x, L.ffnNorm, eps);
      const act = swiglu(tape, this.lin(tape, h, L.w.ffn_gate, drop), this.lin(tape, h, L.w.ffn_up, drop));
      x = add(tape, x, this.lin(tape, act, L.w.ffn_down, drop));
    }
    const logits = this.lin(tape, rmsNorm(tape, x, this.outputNorm, eps), this.output, drop);
    const loss = o.targets ? crossEntropy(tape, logits, o.targets) : null;
    return { logits, loss };
  }

  /** The adapters as f32 arrays (copies), in order. */
  adapterTensors(): LoraTensors[] {
    return [...this.adapters].map(([name, p]) => ({
      name, rank: p.a.shape[0]!, nIn: p.a.shape[1]!, nOut: p.b.shape[0]!, a: p.a.data.slice(), b: p.b.data.slice(),
    }));
  }

  /** The adapter GGUF (llama.cpp's format; lora-gguf.ts) with this model's alpha and architecture. */
  toAdapterGguf(o: LoraExportOptions = {}): GgufToWrite {
    return loraAdapterToGguf(this.arch, this.lora.alpha, this.adapterTensors(), o);
  }

  /**
   * Loads A and B from an adapter file (e.g. to continue training it).
   * @throws TRAIN_BAD_CONFIG when the adapter's weights, ranks or alpha differ from this model's.
   */
  loadAdapter(adapter: LoraAdapter): void {
    const bad = (m: string): never => { throw new GlassboxError("TRAIN_BAD_CONFIG", m); };
    if (adapter.alpha !== Math.fround(this.lora.alpha)) bad(`the adapter has alpha ${adapter.alpha}, this run ${this.lora.alpha}`);
    const names = [...adapter.weights.keys()];
    if (names.length !== this.adapters.size || names.some((n) => !this.adapters.has(n))) bad(`the adapter adapts ${names.join(", ")}; this run's targets give ${[...this.adapters.keys()].join(", ")}`);
    for (const w of adapter.weights.values()) {
      const p = this.adapters.get(w.name)!;
      if (w.rank !== p.a.shape[0]) bad(`'${w.name}': the adapter has rank ${w.rank}, this run ${p.a.shape[0]}`);
      p.a.data.set(dequantizeTensor(w.a.type, w.a.data, p.a.size));
      p.b.data.set(dequantizeTensor(w.b.type, w.b.data, p.b.size));
    }
  }
}
