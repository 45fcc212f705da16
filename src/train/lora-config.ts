/**
 * LoRA hyperparameters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"):
 * a frozen weight W [n_out][n_in] (ggml ne = [n_in, n_out]) is used as
 *
 *   W' = W + (alpha / r) · B · A,    A [r][n_in] (ggml ne = [n_in, r]),  B [n_out][r] (ne = [r, n_out])
 *
 * so y = x·Wᵀ + (alpha/r) · (dropout(x)·Aᵀ)·Bᵀ. Only A and B are trained. Initialisation as
 * Hugging Face PEFT's default (`init_lora_weights=True`): A ~ kaiming_uniform(a = sqrt(5)), which is
 * U(−1/sqrt(n_in), 1/sqrt(n_in)), and B = 0, so training starts exactly at the base model.
 * "gaussian" draws A ~ N(0, 1/r²) instead (PEFT's `init_lora_weights="gaussian"`).
 *
 * Target names are the llama.cpp tensor names without "blk.N." and ".weight" (llama-arch.cpp).
 */
import { GlassboxError } from "../errors.js";

/** The matrices a LoRA can adapt (llama.cpp tensor base names). */
export const LORA_TARGETS = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down", "output"] as const;

/** One of {@link LORA_TARGETS}. */
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** LoRA settings. */
export interface LoraConfig {
  /** Rank r of A and B (default 8). */
  rank?: number;
  /** alpha; the update is scaled by alpha / r (default 16). Written to the adapter as adapter.lora.alpha. */
  alpha?: number;
  /** Dropout probability on the LoRA input path during training (default 0; PEFT's lora_dropout). */
  dropout?: number;
  /** Which matrices get an adapter (default attn_q, attn_v, as in the LoRA paper's main results). */
  targets?: readonly LoraTarget[];
  /** Initialisation of A (B is always 0): "kaiming" (default, PEFT's) or "gaussian". */
  init?: "kaiming" | "gaussian";
}

/** A LoraConfig with every field set. */
export type ResolvedLoraConfig = Required<LoraConfig>;

/** Defaults: r 8, alpha 16, dropout 0, targets attn_q + attn_v, kaiming init. */
export const DEFAULT_LORA_CONFIG: ResolvedLoraConfig = { rank: 8, alpha: 16, dropout: 0, targets: ["attn_q", "attn_v"], init: "kaiming" };

/**
 * Fills in defaults and checks the values.
 * @throws TRAIN_BAD_CONFIG naming the bad field: rank not an integer in [1, 4096], alpha not a
 *   finite number > 0 (llama.cpp reads alpha 0 as "no scaling", a different model: refused),
 *   dropout outside [0, 1), an unknown or repeated target, no targets, an unknown init.
 */
export function resolveLoraConfig(c: LoraConfig = {}): ResolvedLoraConfig {
  const r: ResolvedLoraConfig = { ...DEFAULT_LORA_CONFIG, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) };
  const bad = (m: string): never => { throw new GlassboxError("TRAIN_BAD_CONFIG", m); };
  if (!Number.isInteger(r.rank) || r.rank < 1 || r.rank > 4096) bad(`LoRA rank must be an integer in [1, 4096], got ${r.rank}`);
  if (!Number.isFinite(r.alpha) || r.alpha <= 0) bad(`LoRA alpha must be a number > 0, got ${r.alpha}`);
  if (!Number.isFinite(r.dropout) || r.dropout < 0 || r.dropout >= 1) bad(`LoRA dropout must be in [0, 1), got ${r.dropout}`);
  if (r.init !== "kaiming" && r.init !== "gaussian") bad(`LoRA init must be "kaiming" or "gaussian", got ${String(r.init)}`);
  if (r.targets.length === 0) bad("LoRA needs at least one target matrix");
  const seen = new Set<string>();
  for (const t of r.targets) {
    if (!(LORA_TARGETS as readonly string[]).includes(t)) bad(`unknown LoRA target '${t}'; choose from ${LORA_TARGETS.join(", ")}`);
    if (seen.has(t)) bad(`LoRA target '${t}' is listed twice`);
    seen.add(t);
  }
  return { ...r, targets: [...r.targets] };
}

/**
 * Parses a comma-separated target list ("attn_q,attn_v"; spaces around names are ignored).
 * "all" means every target except the output head.
 * @throws TRAIN_BAD_CONFIG for an unknown or empty name.
 */
export function parseLoraTargets(s: string): LoraTarget[] {
  if (s.trim() === "all") return LORA_TARGETS.filter((t) => t !== "output");
  const out: LoraTarget[] = [];
  for (const raw of s.split(",")) {
    const t = raw.trim();
    if (!(LORA_TARGETS as readonly string[]).includes(t)) {
      throw new GlassboxError("TRAIN_BAD_CONFIG", `unknown LoRA target '${t}'; choose from ${LORA_TARGETS.join(", ")} or "all"`);
    }
    out.push(t as LoraTarget);
  }
  return out;
}

/**
 * The factor multiplying B·A, as llama.cpp's llama_adapter_lora_weight::get_scale computes it:
 * userScale · alpha / rank, or userScale alone when alpha is 0.
 */
export function loraScale(alpha: number, rank: number, userScale = 1): number {
  return alpha ? (userScale * alpha) / rank : userScale;
}

/** The GGUF tensor name of target `t` in block `layer` ("blk.3.attn_q.weight"; "output.weight" for the head). */
export function loraTensorName(t: LoraTarget, layer: number): string {
  return t === "output" ? "output.weight" : `blk.${layer}.${t}.weight`;
}
