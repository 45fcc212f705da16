/**
 * llama-quantize's per-tensor type policy: which tensors of a model get quantized, and to which ggml
 * type, for a requested file type. Source: llama.cpp src/llama-quant.cpp
 * (`tensor_allows_quantization`, `llama_tensor_get_type_impl`, `tensor_type_fallback`,
 * `llama_ftype_get_default_type`) and include/llama.h (`enum llama_ftype`), with no importance
 * matrix, no overrides (--output-tensor-type, --token-embedding-type, --tensor-type) and not --pure.
 *
 * Policy (what `glassbox quantize --help` summarizes):
 * - Only tensors whose name ends in "weight" and that have at least 2 dimensions larger than 1
 *   (ggml_n_dims >= 2) are converted. Never converted: "*_norm.weight", "ffn_gate_inp.weight"
 *   (MoE router), position_embd / token_types (BERT), ssm_conv1d, RWKV time_mix_* small weights,
 *   T5 attn_rel_b and a few vision/audio tensors. Everything else keeps its type (1-D tensors, norms
 *   and biases stay F32).
 * - f32 / f16 / bf16 targets: every convertible tensor gets that type, nothing else changes.
 * - Quantized targets start from the target's base type (q4_k_m -> Q4_K, ...) and then:
 *   - output.weight (and token_embd.weight when the embeddings are tied, i.e. there is no
 *     output.weight) gets Q6_K, or Q8_0 for a q8_0 target, for Falcon, or when its row length is not
 *     a multiple of the base type's block size;
 *   - q4_k_m / q5_k_m: attn_v (also attn_qkv, attn_kv_b) and ffn_down get Q6_K in "more bits" layers:
 *     the first and last eighth of the layers and every third layer in between
 *     (i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2); Falcon's ffn_down under q4_k_m: Q6_K for i < n/16,
 *     Q5_K in "more bits" layers, else Q4_K;
 *   - q4_k_s: attn_v of the first 4 such tensors Q5_K; ffn_down of the first n/8 layers Q5_K (not Falcon);
 *   - 8-expert MoE models: attn_v and attn_k get Q8_0; attn_output Q5_K under q4_k_*;
 *   - LLaMA-2/3 70B (llama, 80 layers, GQA): attn_v that would be Q4_K becomes Q5_K.
 *   - Fallback when the row length (ne[0]) is not a multiple of the chosen type's block size:
 *     Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0; a 32-block type that still does not fit -> F16.
 *     This is why a Q4_0 file of a model with n_embd = 32 has output.weight in Q8_0.
 *
 * The policy follows the llama.cpp source in /work/llama-src (newer than the vectors' c392e509);
 * for the targets supported here it differs from c392e509 in two places: attn_qkv under
 * q4_k_m/q5_k_m follows the attn_v rule (c392e509: Q5_K / Q6_K), and a 32-block type with a row length
 * not divisible by 32 falls back to F16 (c392e509: error).
 */
import { GlassboxError } from "../errors.js";
import { GgmlType, ggmlTypeInfo } from "../formats/gguf/ggml-types.js";

/** Quantization targets (llama-quantize file types) this library can produce byte-exactly. */
export const QUANT_TARGETS = [
  "f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k",
] as const;
export type QuantTarget = (typeof QUANT_TARGETS)[number];

/** Accepted spellings that map to a target (llama-quantize's "Q4_K" means Q4_K_M). */
const ALIASES: Readonly<Record<string, QuantTarget>> = { q4_k: "q4_k_m", q5_k: "q5_k_m" };

/**
 * `general.file_type` (llama.cpp `enum llama_ftype`) written for each target:
 * ALL_F32 = 0, MOSTLY_F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9, Q4_K_S = 14,
 * Q4_K_M = 15, Q5_K_S = 16, Q5_K_M = 17, Q6_K = 18, BF16 = 32.
 */
export const FILE_TYPE: Readonly<Record<QuantTarget, number>> = {
  f32: 0, f16: 1, q4_0: 2, q4_1: 3, q8_0: 7, q5_0: 8, q5_1: 9,
  q4_k_s: 14, q4_k_m: 15, q5_k_s: 16, q5_k_m: 17, q6_k: 18, bf16: 32,
};

/** `general.quantization_version` that llama-quantize writes (GGML_QNT_VERSION). */
export const QUANTIZATION_VERSION = 2;

/** The base ggml type of each target (`llama_ftype_get_default_type`). */
export const TARGET_BASE_TYPE: Readonly<Record<QuantTarget, number>> = {
  f32: GgmlType.F32, f16: GgmlType.F16, bf16: GgmlType.BF16,
  q4_0: GgmlType.Q4_0, q4_1: GgmlType.Q4_1, q5_0: GgmlType.Q5_0, q5_1: GgmlType.Q5_1, q8_0: GgmlType.Q8_0,
  q4_k_s: GgmlType.Q4_K, q4_k_m: GgmlType.Q4_K, q5_k_s: GgmlType.Q5_K, q5_k_m: GgmlType.Q5_K, q6_k: GgmlType.Q6_K,
};

/** One-paragraph summary of the policy for `--help`. */
export const QUANT_POLICY_SUMMARY =
  "Follows llama-quantize: only >=2-D tensors named *weight are converted (norms, biases, routers " +
  "and position embeddings keep their type). output.weight (or tied token_embd) gets Q6_K (Q8_0 for " +
  "q8_0, Falcon, or rows not divisible by the block size). q4_k_m/q5_k_m give attn_v and ffn_down " +
  "Q6_K in the first/last eighth of layers and every third layer between; q4_k_s gives the first " +
  "attn_v/ffn_down layers Q5_K. Rows not divisible by 256 fall back Q4_K->Q5_0, Q5_K->Q5_1, Q6_K->Q8_0, " +
  "and to F16 when not divisible by 32.";

/** Model facts the policy needs (from GGUF metadata; see `modelQuantInfo`). */
export interface ModelQuantInfo {
  /** general.architecture, e.g. "llama", "falcon". */
  readonly arch: string;
  /** {arch}.block_count (n_layer). */
  readonly nLayer: number;
  /** {arch}.expert_count; 0 or absent for dense models. */
  readonly nExpert?: number;
  /** {arch}.attention.head_count and head_count_kv (only used to recognise LLaMA 70B). */
  readonly nHead?: number;
  readonly nHeadKv?: number;
  /** True when the model has no output.weight (token_embd doubles as the output head). Default false. */
  readonly tiedEmbeddings?: boolean;
  /** Number of attn_v / attn_qkv / attn_kv_b tensors; defaults to nLayer. */
  readonly nAttentionWv?: number;
}

/**
 * Normalizes a target name (case-insensitive; "q4_k" means q4_k_m, "q5_k" q5_k_m).
 * @throws GlassboxError QUANT_BAD_TARGET listing the supported targets.
 */
export function resolveQuantTarget(name: string): QuantTarget {
  const k = name.trim().toLowerCase();
  const t = ALIASES[k] ?? (QUANT_TARGETS as readonly string[]).find((x) => x === k);
  if (t === undefined) {
    throw new GlassboxError("QUANT_BAD_TARGET", `unknown quantization target "${name}"; supported: ${QUANT_TARGETS.join(", ")} (q4_k = q4_k_m, q5_k = q5_k_m)`);
  }
  return t as QuantTarget;
}

/** ggml_n_dims: the number of dimensions up to the last one larger than 1 (at least 1). */
function nDims(ne: readonly number[]): number {
  for (let i = ne.length - 1; i >= 1; i--) if (ne[i]! > 1) return i + 1;
  return 1;
}

const NEVER_QUANTIZED_PARTS = [
  "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
  "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
  "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
  "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
  "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
  "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
  "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos",
  ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
] as const;

/**
 * Whether llama-quantize converts this tensor at all (`tensor_allows_quantization`): name ends in
 * "weight", ggml_n_dims(ne) >= 2, and it is none of the excluded tensors listed in the module doc.
 * `ne` is in ggml order (ne[0] = row length).
 */
export function tensorAllowsQuantization(name: string, ne: readonly number[]): boolean {
  if (nDims(ne) < 2) return false;
  if (!name.endsWith("weight")) return false;
  if (name === "position_embd.weight" || name === "token_types.weight") return false;
  for (const part of NEVER_QUANTIZED_PARTS) if (name.includes(part)) return false;
  return true;
}

type Category = "output" | "token_embd" | "attn_qkv" | "attn_kv_b" | "attn_v" | "attn_k" | "attn_q"
  | "attn_output" | "ffn_up" | "ffn_gate" | "ffn_down" | "other";

/** `tensor_get_category`: the first matching rule, in llama.cpp's order. */
function categoryOf(name: string): Category {
  if (name === "output.weight") return "output";
  if (name === "token_embd.weight" || name === "per_layer_token_embd.weight") return "token_embd";
  if (name.includes("attn_qkv.weight")) return "attn_qkv";
  if (name.includes("attn_kv_b.weight")) return "attn_kv_b";
  if (name.includes("attn_v.weight")) return "attn_v";
  if (name.includes("attn_k.weight")) return "attn_k";
  if (name.includes("attn_q.weight")) return "attn_q";
  if (name.includes("attn_output.weight")) return "attn_output";
  if (name.includes("ffn_up")) return "ffn_up";
  if (name.includes("ffn_gate")) return "ffn_gate";
  if (name.includes("ffn_down")) return "ffn_down";
  return "other";
}

function isAttnVLike(c: Category): boolean {
  return c === "attn_v" || c === "attn_qkv" || c === "attn_kv_b";
}

/** The layer index in "blk.<i>.", or -1. */
function layerOf(name: string): number {
  const m = /^blk\.(\d+)\./.exec(name);
  return m === null ? -1 : Number(m[1]);
}

const idiv = (a: number, b: number): number => Math.trunc(a / b);

/** llama.cpp's `use_more_bits(i_layer, n_layers)`. */
function useMoreBits(i: number, n: number): boolean {
  return i < idiv(n, 8) || i >= idiv(7 * n, 8) || (i - idiv(n, 8)) % 3 === 2;
}

/** Running counters of llama-quantize (`i_attention_wv`, `i_ffn_down`), advanced by `chooseType`. */
interface Counters { attnV: number; ffnDown: number }

function chooseType(
  name: string, ne: readonly number[], target: QuantTarget, model: ModelQuantInfo, currentType: number, counters: Counters,
): number {
  if (!tensorAllowsQuantization(name, ne)) return currentType;
  const base = TARGET_BASE_TYPE[target];
  const baseInfo = ggmlTypeInfo(base)!;
  if (baseInfo.blockSize === 1) return base; // f32 / f16 / bf16: not a quantized type, no mixture rules
  const cat = categoryOf(name);
  const nExpert = Math.max(1, model.nExpert ?? 0);
  const falcon = model.arch === "falcon";
  const is70B = model.arch === "llama" && model.nLayer === 80 && model.nHead !== undefined
    && model.nHeadKv !== undefined && model.nHead !== model.nHeadKv;
  const layer = (counter: number): number => (nExpert > 1 ? layerOf(name) : counter);
  let t = base;
  if (cat === "output" || (model.tiedEmbeddings === true && cat === "token_embd")) {
    if (falcon || ne[0]! % baseInfo.blockSize !== 0) t = GgmlType.Q8_0;
    else if (t !== GgmlType.Q8_0) t = GgmlType.Q6_K;
  } else if (cat === "token_embd") {
    // only the IQ1/IQ2/IQ3 and ternary file types change the untied token embedding
  } else if (isAttnVLike(cat)) {
    const nWv = model.nAttentionWv ?? model.nLayer;
    if ((target === "q4_k_m" || target === "q5_k_m") && useMoreBits(counters.attnV, nWv)) t = GgmlType.Q6_K;
    else if (target === "q4_k_s" && counters.attnV < 4) t = GgmlType.Q5_K;
    if (is70B && (t === GgmlType.Q3_K || t === GgmlType.Q4_K)) t = GgmlType.Q5_K;
    if (nExpert === 8) t = GgmlType.Q8_0;
    counters.attnV++;
  } else if (cat === "attn_k") {
    if (nExpert === 8) t = GgmlType.Q8_0;
  } else if (cat === "ffn_down") {
    const i = layer(counters.ffnDown);
    const n = model.nLayer;
    if (target === "q4_k_m") {
      if (falcon) t = i < idiv(n, 16) ? GgmlType.Q6_K : useMoreBits(i, n) ? GgmlType.Q5_K : GgmlType.Q4_K;
      else if (useMoreBits(i, n)) t = GgmlType.Q6_K;
    } else if (target === "q5_k_m" && useMoreBits(i, n)) {
      t = GgmlType.Q6_K;
    } else if (target === "q4_k_s" && !falcon && i < idiv(n, 8)) {
      t = GgmlType.Q5_K;
    }
    counters.ffnDown++;
  } else if (cat === "attn_output") {
    if (!falcon && nExpert === 8 && (target === "q4_k_s" || target === "q4_k_m")) t = GgmlType.Q5_K;
  }
  return fallbackForShape(t, ne[0]!);
}

/** `tensor_type_fallback`: a type whose block does not divide the row length is replaced. */
function fallbackForShape(t: number, ncols: number): number {
  const bs = ggmlTypeInfo(t)!.blockSize;
  if (ncols % bs === 0) return t;
  let r = t;
  if (t === GgmlType.Q4_K) r = GgmlType.Q5_0;
  else if (t === GgmlType.Q5_K) r = GgmlType.Q5_1;
  else if (t === GgmlType.Q6_K) r = GgmlType.Q8_0;
  else if (t === GgmlType.Q2_K || t === GgmlType.Q3_K || t === GgmlType.TQ1_0 || t === GgmlType.TQ2_0) r = GgmlType.Q4_0;
  else if (t === GgmlType.IQ4_XS) r = GgmlType.IQ4_NL;
  if (ncols % ggmlTypeInfo(r)!.blockSize !== 0) r = GgmlType.F16;
  return r;
}

/**
 * The ggml type llama-quantize gives one tensor. Stateless: the "layer counters" llama-quantize keeps
 * (how many attn_v / ffn_down tensors came before) are taken as the tensor's "blk.<i>." index, which
 * is the same for models with one attn_v and one ffn_down per layer; use `planTensorTypes` for the
 * exact counters on a whole model.
 * @param name tensor name, e.g. "blk.3.attn_v.weight"
 * @param ne shape in ggml order (ne[0] = row length)
 * @param target a quantization target (see `resolveQuantTarget`)
 * @param model model facts (arch, n_layer, experts, tied embeddings)
 * @param currentType the tensor's current ggml type, returned for tensors that are not converted
 * @returns a ggml type id
 */
export function chooseTensorType(
  name: string, ne: readonly number[], target: QuantTarget, model: ModelQuantInfo, currentType: number = GgmlType.F32,
): number {
  const i = Math.max(0, layerOf(name));
  return chooseType(name, ne, target, model, currentType, { attnV: i, ffnDown: i });
}

/** A tensor as the planner needs it: name, ggml-order shape and current type. */
export interface PlannedTensorInput {
  readonly name: string;
  readonly ne: readonly number[];
  readonly type: number;
}

/**
 * llama-quantize's tensor order (`weight_name_comparer`): tensors without a "blk.<i>." prefix first,
 * then by layer number; within the same layer by name (byte order). Returns a new sorted array.
 */
export function llamaQuantizeOrder<T extends { readonly name: string }>(tensors: readonly T[]): T[] {
  return [...tensors].sort((a, b) => {
    const la = layerOf(a.name);
    const lb = layerOf(b.name);
    if (la !== lb) return la - lb;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/**
 * Plans a whole model the way llama-quantize does: visits the tensors in `llamaQuantizeOrder`,
 * keeping its running attn_v / ffn_down counters, and returns the chosen ggml type per tensor name.
 * `model.tiedEmbeddings` and `model.nAttentionWv` are derived from the tensor names when absent.
 */
export function planTensorTypes(
  tensors: readonly PlannedTensorInput[], target: QuantTarget, model: ModelQuantInfo,
): Map<string, number> {
  const names = tensors.map((t) => t.name);
  const full: ModelQuantInfo = {
    ...model,
    tiedEmbeddings: model.tiedEmbeddings ?? !names.includes("output.weight"),
    nAttentionWv: model.nAttentionWv ?? names.filter((n) => isAttnVLike(categoryOf(n))).length,
  };
  const counters: Counters = { attnV: 0, ffnDown: 0 };
  const out = new Map<string, number>();
  for (const t of llamaQuantizeOrder(tensors)) out.set(t.name, chooseType(t.name, t.ne, target, full, t.type, counters));
  return out;
}

/** Reads the policy's model facts from GGUF metadata through a key lookup such as `GgufFile.get`. */
export function modelQuantInfo(get: (key: string) => unknown, tensorNames: readonly string[]): ModelQuantInfo {
  const arch = get("general.architecture");
  if (typeof arch !== "string") {
    throw new GlassboxError("QUANT_BAD_MODEL", "general.architecture is missing, so the quantization policy cannot be applied");
  }
  const num = (key: string): number | undefined => {
    const v = get(key);
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    if (typeof v === "object" && v !== null && "items" in v) {
      const items = (v as { items: ArrayLike<number | bigint> }).items;
      return items.length > 0 ? Number(items[0]) : undefined; // per-layer arrays: the first layer
    }
    return undefined;
  };
  const blk = tensorNames.reduce((m, n) => Math.max(m, layerOf(n)), -1);
  const info: ModelQuantInfo = {
    arch,
    nLayer: num(`${arch}.block_count`) ?? blk + 1,
    nExpert: num(`${arch}.expert_count`) ?? 0,
    tiedEmbeddings: !tensorNames.includes("output.weight"),
    nAttentionWv: tensorNames.filter((n) => isAttnVLike(categoryOf(n))).length,
  };
  const nHead = num(`${arch}.attention.head_count`);
  const nHeadKv = num(`${arch}.attention.head_count_kv`);
  return { ...info, ...(nHead === undefined ? {} : { nHead }), ...(nHeadKv === undefined ? {} : { nHeadKv: nHeadKv }) };
}
