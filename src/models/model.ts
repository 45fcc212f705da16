/**
 * The model interface every family implements, and the base class that holds what they share:
 * hyperparameters, the KV cache, scratch memory, and `eval` (input checks, batching, which
 * logits to return). A family file only writes `forward` for one batch, top to bottom.
 *
 * `eval(tokens, startPos)` returning the last token's logits makes every model a
 * `LogitsSource` (src/generate/types.ts) as it is; no adapter is needed.
 */
import { GlassboxError } from "../errors.js";
import type { Kernels } from "../kernels/api.js";
import type { WeightMatrix } from "../kernels/ref/index.js";
import type { HParams } from "./hparams.js";
import type { AppliedLora } from "./lora.js";
import { KvCache } from "./kv-cache.js";
import { Workspace, emit, norm, type ActivationHook, type ForwardContext, type NormWeights, type WorkspaceNeeds } from "./layers.js";

/** Options of {@link Model.eval}. */
export interface EvalOptions {
  /** Return the logits of every token, [n_tokens][n_vocab] row-major (a fresh array), instead of the last row only. */
  readonly allLogits?: boolean;
}

/**
 * Default most tokens per forward pass (llama.cpp's n_ubatch, which defaults to 512). 128 keeps the
 * scratch activations small (about 2.5 MB at n_embd 768, n_ff 2048, against 20 MB at 512) so that
 * peak memory stays near file + KV cache; the GEMMs already work in row chunks of 16, so
 * longer batches bring no measurable prefill speed.
 */
export const DEFAULT_N_BATCH = 128;

/** Options of loadModel. */
export interface LoadModelOptions {
  /** Context size in tokens (KV cache rows); default min(context_length, 4096). */
  readonly nCtx?: number;
  /** Most tokens per forward pass (scratch rows); longer inputs are split; default min(DEFAULT_N_BATCH, nCtx). */
  readonly nBatch?: number;
  /** Receives intermediate activations (see ActivationHook); can also be set later on the model. */
  readonly onActivation?: ActivationHook;
  /** LoRA adapters to apply (lora.ts: openLoraAdapter), each with its scale (default 1), as llama.cpp applies them. */
  readonly lora?: readonly AppliedLora[];
}

/** A loaded language model with its own KV cache. */
export interface Model {
  /** `general.architecture` of the file. */
  readonly arch: string;
  readonly hparams: HParams;
  /** Context size (positions the KV cache holds). */
  readonly nCtx: number;
  /** Vocabulary size: length of one logits row. */
  readonly nVocab: number;
  /** Most tokens per forward pass. */
  readonly nBatch: number;
  /** Positions currently valid in the KV cache (0 after reset). */
  readonly nPast: number;
  readonly kernels: Kernels;
  /** Intermediate activations go here when set (zero cost when undefined). */
  onActivation: ActivationHook | undefined;
  /**
   * Runs `tokens` at positions startPos, startPos+1, ... (positions from startPos on are
   * overwritten; earlier ones are reused from the cache) and returns logits: the last token's
   * [n_vocab] (a buffer the next call reuses), or with `allLogits` every token's
   * [n_tokens][n_vocab] row-major (a fresh array).
   * @throws PROMPT_TOO_LONG when startPos + tokens.length > nCtx (the message states both);
   *   MODEL_BAD_POSITION when startPos is negative or past nPast; MODEL_BAD_TOKEN for an id
   *   outside [0, nVocab); MODEL_EMPTY_INPUT for no tokens.
   */
  eval(tokens: Int32Array, startPos: number, opts?: EvalOptions): Float32Array;
  /** Forgets the cache (nPast = 0). */
  reset(): void;
}

/** Base of the family classes: see the module comment. */
export abstract class TransformerModel implements Model, ForwardContext {
  readonly nCtx: number;
  readonly nBatch: number;
  readonly nVocab: number;
  readonly cache: KvCache;
  readonly ws: Workspace;
  onActivation: ActivationHook | undefined;
  private past = 0;
  private readonly lastLogits: Float32Array;

  /**
   * @param arch general.architecture of the file.
   * @param needs optional scratch buffers the family's forward uses (see WorkspaceNeeds).
   * @throws MODEL_BAD_OPTION for a non-positive nCtx or nBatch.
   */
  constructor(readonly arch: string, readonly kernels: Kernels, readonly hparams: HParams, opts: LoadModelOptions = {}, needs: WorkspaceNeeds = {}) {
    const nCtx = opts.nCtx ?? Math.min(hparams.nCtxTrain, 4096);
    if (!Number.isSafeInteger(nCtx) || nCtx <= 0) throw new GlassboxError("MODEL_BAD_OPTION", `nCtx must be a positive integer, got ${nCtx}`);
    const nBatch = opts.nBatch ?? Math.min(DEFAULT_N_BATCH, nCtx);
    if (!Number.isSafeInteger(nBatch) || nBatch <= 0) throw new GlassboxError("MODEL_BAD_OPTION", `nBatch must be a positive integer, got ${nBatch}`);
    this.nCtx = nCtx;
    this.nBatch = Math.min(nBatch, nCtx);
    this.nVocab = hparams.nVocab;
    this.cache = new KvCache(kernels, hparams.nLayer, nCtx, hparams.nHeadKv, hparams.headDim);
    this.ws = new Workspace(kernels, hparams, this.nBatch, needs);
    this.lastLogits = kernels.alloc(hparams.nVocab);
    this.onActivation = opts.onActivation;
  }

  get nPast(): number {
    return this.past;
  }

  reset(): void {
    this.past = 0;
  }

  eval(tokens: Int32Array, startPos: number, opts: EvalOptions = {}): Float32Array {
    const n = tokens.length;
    if (n === 0) throw new GlassboxError("MODEL_EMPTY_INPUT", "eval needs at least one token");
    if (!Number.isSafeInteger(startPos) || startPos < 0) throw new GlassboxError("MODEL_BAD_POSITION", `startPos must be a non-negative integer, got ${startPos}`);
    if (startPos > this.past) {
      throw new GlassboxError("MODEL_BAD_POSITION", `startPos ${startPos} is past the ${this.past} positions in the KV cache`);
    }
    if (startPos + n > this.nCtx) {
      throw new GlassboxError("PROMPT_TOO_LONG", `${n} tokens at position ${startPos} need ${startPos + n} positions, but the context holds ${this.nCtx} (n_ctx)`);
    }
    for (let i = 0; i < n; i++) {
      const id = tokens[i]!;
      if (id < 0 || id >= this.nVocab) throw new GlassboxError("MODEL_BAD_TOKEN", `token id ${id} (index ${i}) is outside the vocabulary [0, ${this.nVocab})`);
    }
    const all = opts.allLogits === true;
    const result = all ? new Float32Array(n * this.nVocab) : this.lastLogits;
    this.past = Math.min(this.past, startPos);
    for (let c = 0; c < n; c += this.nBatch) {
      const m = Math.min(this.nBatch, n - c);
      const pos0 = startPos + c;
      for (let t = 0; t < m; t++) this.ws.positions[t] = pos0 + t;
      const chunk = tokens.subarray(c, c + m);
      if (all) this.forward(chunk, pos0, 0, result.subarray(c * this.nVocab, (c + m) * this.nVocab));
      else if (c + m === n) this.forward(chunk, pos0, m - 1, result);
      else this.forward(chunk, pos0, m, undefined);
      this.past = pos0 + m;
    }
    return result;
  }

  /**
   * One forward pass over `tokens` (at most nBatch) at positions pos0.., with ws.positions
   * filled. Writes logits of rows [outFrom, tokens.length) into `logits` ([rows][n_vocab]);
   * no logits when outFrom == tokens.length.
   */
  protected abstract forward(tokens: Int32Array, pos0: number, outFrom: number, logits: Float32Array | undefined): void;

  /**
   * The end of `forward`: the final norm of rows [outFrom, nTokens) of the residual stream ws.x
   * (only the rows that get logits) into ws.h [rows][n_embd], reported as "result_norm", then
   * the LM head logits = output · h into `logits` [rows][n_vocab] row-major.
   * @param pos0 position of the batch's first token (row 0 of ws.x).
   * @param output output.weight (or the tied token_embd) [n_embd, n_vocab] in ggml order.
   */
  protected head(nTokens: number, outFrom: number, pos0: number, outputNorm: NormWeights, output: WeightMatrix, logits: Float32Array): void {
    const E = this.hparams.nEmbd, rows = nTokens - outFrom, h = this.ws.h;
    norm(this, h, this.ws.x.subarray(outFrom * E), rows, outputNorm);
    emit(this, -1, "result_norm", h, rows, E, pos0 + outFrom);
    this.kernels.matmul(logits, h, rows, output);
  }
}
