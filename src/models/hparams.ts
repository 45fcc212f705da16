/**
 * Model hyperparameters read from GGUF metadata (`<arch>.*` keys, as llama.cpp's
 * llama-model.cpp `load_hparams` reads them) plus the vocabulary size from `token_embd`'s shape.
 * Names follow llama.cpp's `llama_hparams` (n_embd, n_head_kv, n_rot, f_norm_eps...).
 */
import { GlassboxError } from "../errors.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import type { GgufValue } from "../formats/gguf/types.js";

/** How RoPE frequencies are scaled (`<arch>.rope.scaling.type`). */
export type RopeScalingType = "none" | "linear" | "yarn";

/** Hyperparameters of a decoder-only transformer. */
export interface HParams {
  /** `general.architecture`, e.g. "llama". */
  readonly arch: string;
  /** Context length the model was trained with (`<arch>.context_length`, n_ctx_train). */
  readonly nCtxTrain: number;
  /** Hidden size (`<arch>.embedding_length`, n_embd). */
  readonly nEmbd: number;
  /** Number of transformer blocks (`<arch>.block_count`, n_layer). */
  readonly nLayer: number;
  /** FFN inner size (`<arch>.feed_forward_length`, n_ff). */
  readonly nFf: number;
  /** Query heads (`<arch>.attention.head_count`, n_head). */
  readonly nHead: number;
  /** Key/value heads (`<arch>.attention.head_count_kv`, default n_head; < n_head is GQA, 1 is MQA). */
  readonly nHeadKv: number;
  /** Dims per head (`<arch>.attention.key_length`, default n_embd / n_head). */
  readonly headDim: number;
  /** K (and V) width per token: headDim * nHeadKv (n_embd_k_gqa). */
  readonly nEmbdKv: number;
  /** Q width per token: headDim * nHead. */
  readonly nEmbdQ: number;
  /** Epsilon of RMSNorm (`attention.layer_norm_rms_epsilon`) or LayerNorm (`attention.layer_norm_epsilon`). */
  readonly normEps: number;
  /** Rotated dims per head (`<arch>.rope.dimension_count`, n_rot; default headDim). */
  readonly nRot: number;
  /** RoPE theta base (`<arch>.rope.freq_base`, default 10000). */
  readonly ropeFreqBase: number;
  /** RoPE scaling type (`<arch>.rope.scaling.type`, default "linear" when a factor is given, else "none"). */
  readonly ropeScalingType: RopeScalingType;
  /** Positions are multiplied by this: 1 / `rope.scaling.factor` (or `rope.scale_linear`); 1 when unscaled. */
  readonly ropeFreqScale: number;
  /** YaRN: `rope.scaling.original_context_length` (default nCtxTrain). */
  readonly ropeNCtxOrig: number;
  /** YaRN: `rope.scaling.attn_factor` (default 1). */
  readonly ropeAttnFactor: number;
  /** Vocabulary size: ne[1] of `token_embd.weight`. */
  readonly nVocab: number;
  /** gptneox: `<arch>.use_parallel_residual` (default true for gptneox). */
  readonly useParallelResidual: boolean;
}

/** A number from a GGUF value (any integer or float type; u64/i64 as BigInt within 2^53). */
function asNumber(v: GgufValue | undefined): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint" && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}

/** Metadata accessor that names the missing or malformed key in its errors. */
export class Meta {
  constructor(readonly gguf: GgufFile, readonly arch: string) {}

  /** Number at `key` (`{arch}` is replaced), or `def` when absent; MODEL_BAD_METADATA when absent without default or not a number. */
  num(key: string, def?: number): number {
    const k = key.replace("{arch}", this.arch);
    const raw = this.gguf.get(k);
    if (raw === undefined) {
      if (def !== undefined) return def;
      throw new GlassboxError("MODEL_BAD_METADATA", `missing GGUF key '${k}' (required for architecture '${this.arch}')`);
    }
    const n = asNumber(raw);
    if (n === undefined || !Number.isFinite(n)) {
      throw new GlassboxError("MODEL_BAD_METADATA", `GGUF key '${k}' must be a number, got ${typeof raw === "object" ? "an array" : typeof raw}`);
    }
    return n;
  }

  /** Positive integer at `key` (see {@link num}). */
  int(key: string, def?: number): number {
    const n = this.num(key, def);
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new GlassboxError("MODEL_BAD_METADATA", `GGUF key '${key.replace("{arch}", this.arch)}' must be a positive integer, got ${n}`);
    }
    return n;
  }

  /** String at `key`, or undefined when absent; MODEL_BAD_METADATA when not a string. */
  str(key: string): string | undefined {
    const k = key.replace("{arch}", this.arch);
    const raw = this.gguf.get(k);
    if (raw === undefined) return undefined;
    if (typeof raw !== "string") throw new GlassboxError("MODEL_BAD_METADATA", `GGUF key '${k}' must be a string`);
    return raw;
  }

  /** Boolean at `key`, or `def` when absent. */
  bool(key: string, def: boolean): boolean {
    const k = key.replace("{arch}", this.arch);
    const raw = this.gguf.get(k);
    if (raw === undefined) return def;
    if (typeof raw !== "boolean") throw new GlassboxError("MODEL_BAD_METADATA", `GGUF key '${k}' must be a bool`);
    return raw;
  }
}

/** Reads `general.architecture`; MODEL_BAD_METADATA when absent. */
export function readArchitecture(gguf: GgufFile): string {
  const arch = gguf.get("general.architecture");
  if (typeof arch !== "string" || arch === "") {
    throw new GlassboxError("MODEL_BAD_METADATA", "missing GGUF key 'general.architecture' (a string such as \"llama\")");
  }
  return arch;
}

/**
 * Reads the hyperparameters of a model whose GGUF keys use the prefix `arch` (which may differ
 * from general.architecture only for aliases). `norm` says which epsilon key the family uses.
 * @throws MODEL_BAD_METADATA naming the key that is missing or malformed, or when the shapes
 *   disagree (n_head not dividing n_embd, n_head_kv not dividing n_head, n_rot odd or > head_dim,
 *   no `token_embd.weight`).
 */
export function readHParams(gguf: GgufFile, arch: string, norm: "rms" | "layer"): HParams {
  const m = new Meta(gguf, arch);
  const nCtxTrain = m.int("{arch}.context_length");
  const nEmbd = m.int("{arch}.embedding_length");
  const nLayer = m.int("{arch}.block_count");
  const nFf = m.int("{arch}.feed_forward_length");
  const nHead = m.int("{arch}.attention.head_count");
  const nHeadKv = m.int("{arch}.attention.head_count_kv", nHead);
  if (nEmbd % nHead !== 0 && gguf.get(`${arch}.attention.key_length`) === undefined) {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.attention.head_count ${nHead} does not divide ${arch}.embedding_length ${nEmbd}`);
  }
  const headDim = m.int("{arch}.attention.key_length", nEmbd / nHead);
  const headDimV = m.int("{arch}.attention.value_length", headDim);
  if (headDimV !== headDim) {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.attention.value_length ${headDimV} differs from key_length ${headDim}; not supported`);
  }
  if (nHead % nHeadKv !== 0) {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.attention.head_count_kv ${nHeadKv} does not divide head_count ${nHead}`);
  }
  const normEps = norm === "rms"
    ? m.num("{arch}.attention.layer_norm_rms_epsilon")
    : m.num("{arch}.attention.layer_norm_epsilon");
  // llama.cpp takes these as given and produces NaN logits at the first token; say which key is wrong at load instead
  if (!(normEps > 0) || !Number.isFinite(normEps)) {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.attention.layer_norm${norm === "rms" ? "_rms" : ""}_epsilon must be a positive number, got ${normEps}`);
  }
  const nRot = m.int("{arch}.rope.dimension_count", headDim);
  if (nRot % 2 !== 0 || nRot > headDim) {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.rope.dimension_count ${nRot} must be even and at most the head size ${headDim}`);
  }
  const ropeFreqBase = m.num("{arch}.rope.freq_base", 10000);
  if (!(ropeFreqBase > 0) || !Number.isFinite(ropeFreqBase)) {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.rope.freq_base must be a positive number, got ${ropeFreqBase}`);
  }
  let factor = m.num("{arch}.rope.scaling.factor", 0);
  if (factor === 0) factor = m.num("{arch}.rope.scale_linear", 0);
  if (!(factor >= 0) || !Number.isFinite(factor)) {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.rope.scaling.factor must be a non-negative number, got ${factor}`);
  }
  const typeStr = m.str("{arch}.rope.scaling.type") ?? (factor !== 0 ? "linear" : "none");
  if (typeStr !== "none" && typeStr !== "linear" && typeStr !== "yarn") {
    throw new GlassboxError("MODEL_BAD_METADATA", `${arch}.rope.scaling.type '${typeStr}' is not supported (none, linear, yarn)`);
  }
  const ropeFreqScale = typeStr === "none" || factor === 0 ? 1 : 1 / factor;
  const ropeNCtxOrig = m.int("{arch}.rope.scaling.original_context_length", nCtxTrain);
  const ropeAttnFactor = m.num("{arch}.rope.scaling.attn_factor", 1);
  const embd = gguf.tensor("token_embd.weight");
  if (!embd) throw new GlassboxError("MODEL_BAD_METADATA", "missing tensor 'token_embd.weight' (its shape gives the vocabulary size)");
  if (embd.ne[0] !== nEmbd) {
    throw new GlassboxError("MODEL_BAD_METADATA", `token_embd.weight has ne[0]=${embd.ne[0]}, expected ${arch}.embedding_length ${nEmbd}`);
  }
  const nVocab = embd.ne[1] ?? 1;
  return {
    arch, nCtxTrain, nEmbd, nLayer, nFf, nHead, nHeadKv, headDim,
    nEmbdKv: headDim * nHeadKv, nEmbdQ: headDim * nHead,
    normEps, nRot, ropeFreqBase,
    ropeScalingType: typeStr, ropeFreqScale, ropeNCtxOrig, ropeAttnFactor,
    nVocab,
    useParallelResidual: m.bool("{arch}.use_parallel_residual", true),
  };
}
