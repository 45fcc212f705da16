/**
 * What the two trainable llamas share (LlamaTrainable: every weight, llama.ts; LoraLlama: low-rank
 * adapters on a frozen base, lora-llama.ts): the tensors the optimizer steps and their gradient
 * buffers, the checks and positions of a packed batch, and gradient-free logits for evaluation.
 * A packed batch is `batch` sequences of T tokens each, concatenated row-major ([batch][T]), each
 * sequence starting at position 0.
 */
import { GlassboxError } from "../errors.js";
import type { Kernels } from "../kernels/api.js";
import { Tape } from "../tensor/tape.js";
import { Tensor } from "../tensor/tensor.js";

/** Options of a trainable model's forward (the subclasses may take more). */
export interface PackedForwardOptions {
  /** Sequences packed in `tokens` (default 1); tokens.length / batch = sequence length T. */
  batch?: number;
  /** Next-token targets, same length as tokens; -1 masks a position out of the loss. */
  targets?: Int32Array;
}

/** A packed batch checked by {@link TrainableModel.packedInput}. */
export interface PackedInput {
  /** Sequences. */
  batch: number;
  /** Tokens per sequence. */
  seq: number;
  /** Position of each token within its sequence (t mod T), [batch·T]. */
  pos: Int32Array;
}

/** Base of the trainable models: parameters, packed-batch input, evaluation logits. */
export abstract class TrainableModel {
  /** The tensors the optimizer steps, in order (each owns its `grad`). */
  readonly params: Tensor[] = [];
  private positions = new Int32Array(0);
  private positionsSeq = 0;
  private evalTape: Tape | undefined;

  constructor(readonly kernels: Kernels) {}

  /**
   * Runs the model on packed `tokens` on `tape`: logits [batch·T][n_vocab] and, when targets are
   * given, the mean cross-entropy over the non-masked targets (a scalar for tape.backward).
   */
  abstract forward(tape: Tape, tokens: Int32Array, o?: PackedForwardOptions): { logits: Tensor; loss: Tensor | null };

  /**
   * A new trainable parameter named `name` of row-major `shape`, all zero, with a zero gradient
   * buffer (both from kernels.alloc); appended to `params`.
   */
  protected newParam(name: string, shape: number[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = new Tensor(this.kernels.alloc(n).fill(0), shape, true, name);
    t.grad = this.kernels.alloc(n).fill(0);
    this.params.push(t);
    return t;
  }

  /** Sets every parameter gradient to 0 (between optimizer steps). */
  zeroGrad(): void {
    for (const t of this.params) t.grad!.fill(0);
  }

  /**
   * Checks `n` packed tokens in `batch` sequences (and the targets' length) against the training
   * context `nCtx`; returns the shape and the positions (cached while the shape stays the same).
   * @throws TRAIN_BAD_INPUT when n is 0 or not a multiple of batch, T > nCtx, or the targets'
   *   length is not n.
   */
  protected packedInput(n: number, batch: number, targets: Int32Array | undefined, nCtx: number): PackedInput {
    if (!Number.isInteger(batch) || batch < 1 || n % batch !== 0 || n === 0) throw new GlassboxError("TRAIN_BAD_INPUT", `${n} tokens do not split into ${batch} sequences`);
    const seq = n / batch;
    if (seq > nCtx) throw new GlassboxError("TRAIN_BAD_INPUT", `sequence length ${seq} exceeds n_ctx ${nCtx}`);
    if (targets && targets.length !== n) throw new GlassboxError("TRAIN_BAD_INPUT", `${targets.length} targets for ${n} tokens`);
    if (this.positions.length !== n || this.positionsSeq !== seq) {
      this.positions = new Int32Array(n);
      for (let i = 0; i < n; i++) this.positions[i] = i % seq;
      this.positionsSeq = seq;
    }
    return { batch, seq, pos: this.positions };
  }

  /**
   * Logits [tokens.length][n_vocab] for one sequence without recording gradients (and with the
   * forward's defaults, e.g. no dropout); a copy, so it outlives the internal tape.
   */
  logits(tokens: Int32Array): Float32Array {
    const tape = (this.evalTape ??= new Tape(this.kernels)); // one pool: the wasm arena never frees
    tape.gradEnabled = false;
    const out = this.forward(tape, tokens).logits.data.slice();
    tape.reset();
    return out;
  }
}
