/**
 * The pre-training config file (`glassbox train --config tiny.json`): JSON with snake_case keys,
 * validated with zod, every error naming the field ("training.lr: must be > 0").
 *
 * ```json
 * {
 *   "name": "glassbox-tiny",
 *   "model": { "n_embd": 256, "n_layer": 4, "n_head": 4, "n_head_kv": 2, "n_ff": 768,
 *              "n_ctx": 128, "vocab_size": 4096, "tied": true },
 *   "training": { "batch_size": 8, "grad_accum": 1, "lr": 0.001, "min_lr": 0.0001,
 *                 "warmup_steps": 100, "max_steps": 10000, "weight_decay": 0.1,
 *                 "grad_clip": 1.0, "seed": 1, "eval_every": 250, "checkpoint_every": 100,
 *                 "held_out": 0.02 },
 *   "metadata": { "license": "Apache-2.0", "author": "...", "description": "..." }
 * }
 * ```
 * Model keys follow llama.cpp's hparams (n_embd, n_head_kv, n_ff, n_ctx); `vocab_size` is the
 * size the BPE tokenizer is trained to (the model takes the tokenizer's real size). Training
 * keys follow nanoGPT. Give `max_steps` or `epochs` (exactly one).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { GlassboxError } from "../errors.js";
import type { LlamaConfig } from "./llama.js";

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

/** The `model` section: llama hyperparameters. */
export const ModelConfigSchema = z.object({
  n_embd: posInt,
  n_layer: posInt,
  n_head: posInt,
  /** Key/value heads (grouped-query attention); default n_head. */
  n_head_kv: posInt.optional(),
  n_ff: posInt,
  n_ctx: z.number().int().min(2),
  /** Target vocabulary size of the trained BPE tokenizer (special tokens and 256 bytes included). */
  vocab_size: z.number().int().min(257).max(1 << 20),
  /** Output head shares token_embd (default true). */
  tied: z.boolean().default(true),
  rope_freq_base: z.number().positive().default(10000),
  rms_eps: z.number().positive().default(1e-5),
}).strict()
  .refine((m) => m.n_embd % m.n_head === 0, { message: "n_embd must be a multiple of n_head", path: ["n_embd"] })
  .refine((m) => m.n_head % (m.n_head_kv ?? m.n_head) === 0, { message: "n_head_kv must divide n_head", path: ["n_head_kv"] })
  .refine((m) => (m.n_embd / m.n_head) % 2 === 0, { message: "head size n_embd / n_head must be even (RoPE rotates pairs)", path: ["n_head"] });

/** The `training` section. */
export const TrainingConfigSchema = z.object({
  /** Sequences of n_ctx tokens per micro-batch. */
  batch_size: posInt,
  /** Micro-batches per optimizer step (default 1). */
  grad_accum: posInt.default(1),
  /** Peak learning rate (after warmup). */
  lr: z.number().positive(),
  /** Floor of the cosine decay (default lr / 10). */
  min_lr: z.number().nonnegative().optional(),
  warmup_steps: nonNegInt.default(0),
  /** Optimizer steps of the whole run; or give `epochs`. */
  max_steps: posInt.optional(),
  /** Passes over the training rows; or give `max_steps`. */
  epochs: z.number().positive().optional(),
  weight_decay: z.number().nonnegative().default(0.1),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  eps: z.number().positive().default(1e-8),
  /** Clip the global gradient norm to this; 0 = no clipping (default 1). */
  grad_clip: z.number().nonnegative().default(1),
  /** Seed of the weights' init, the held-out choice and the batch order. */
  seed: nonNegInt.max(0xffffffff).default(1),
  /** Evaluate on the held-out rows every this many steps (0 = only at the end). */
  eval_every: nonNegInt.default(0),
  /** At most this many held-out rows, spread evenly, in the periodic evaluations (default all); the final one uses all. */
  eval_max_sequences: posInt.optional(),
  /** Write a checkpoint every this many steps (0 = only at the end). */
  checkpoint_every: nonNegInt.default(0),
  /** Fraction of the documents held out for evaluation, in [0, 1) (default 0.02; 0 = none). */
  held_out: z.number().min(0).lt(1).default(0.02),
  /** Cut text files into documents of about this many characters (default: whole files). */
  split_text_chars: posInt.optional(),
}).strict()
  .refine((t) => (t.max_steps === undefined) !== (t.epochs === undefined), { message: "give exactly one of max_steps and epochs", path: ["max_steps"] })
  .refine((t) => t.min_lr === undefined || t.min_lr <= t.lr, { message: "min_lr must not exceed lr", path: ["min_lr"] })
  .refine((t) => t.max_steps === undefined || t.warmup_steps <= t.max_steps, { message: "warmup_steps must not exceed max_steps", path: ["warmup_steps"] });

/** One training data set, for general.dataset.{i}.* (gguf-py's Keys.General.DATASET_*). */
export const DatasetSchema = z.object({
  name: z.string().min(1),
  url: z.string().optional(),
  license: z.string().optional(),
  description: z.string().optional(),
}).strict();

/** Provenance written to the GGUF's general.* keys. */
export const MetadataSchema = z.object({
  /** general.license (an SPDX id such as "Apache-2.0"). */
  license: z.string().optional(),
  author: z.string().optional(),
  description: z.string().optional(),
  /** general.url */
  url: z.string().optional(),
  /** The training data sets (general.dataset.*); default: one per corpus path given. */
  datasets: z.array(DatasetSchema).optional(),
  /** A Jinja chat template written as tokenizer.chat_template (what `glassbox chat` and chat data use). */
  chat_template: z.string().min(1).optional(),
}).strict();

/** The whole config file. */
export const PretrainConfigSchema = z.object({
  /** general.name of the model (default "glassbox-model"). */
  name: z.string().min(1).default("glassbox-model"),
  model: ModelConfigSchema,
  training: TrainingConfigSchema,
  metadata: MetadataSchema.default({}),
}).strict();

/** A validated config, defaults filled in. */
export type PretrainConfig = z.infer<typeof PretrainConfigSchema>;
export type ModelConfig = PretrainConfig["model"];
export type TrainingConfig = PretrainConfig["training"];
export type Dataset = z.infer<typeof DatasetSchema>;

/** "training.lr: Too small: expected number to be >0; model.n_head: ..." from a zod error. */
function formatIssues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`).join("; ");
}

/**
 * Validates a parsed config object and fills in the defaults.
 * @throws TRAIN_BAD_CONFIG listing every bad field as "path: message" (`where` prefixes it).
 */
export function parsePretrainConfig(value: unknown, where = "config"): PretrainConfig {
  const r = PretrainConfigSchema.safeParse(value);
  if (!r.success) throw new GlassboxError("TRAIN_BAD_CONFIG", `${where}: ${formatIssues(r.error)}`);
  return r.data;
}

/**
 * Reads and validates a config file (JSON).
 * @throws FILE_NOT_FOUND / FILE_IO, TRAIN_BAD_CONFIG for invalid JSON (with the parser's message)
 *   or invalid fields.
 */
export function readPretrainConfig(path: string): PretrainConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
    throw new GlassboxError(code, `cannot read the config ${path}: ${(e as Error).message}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new GlassboxError("TRAIN_BAD_CONFIG", `${path}: invalid JSON: ${(e as Error).message}`);
  }
  return parsePretrainConfig(value, path);
}

/** The LlamaConfig of `c.model` for a tokenizer of `nVocab` tokens. */
export function llamaConfigOf(c: PretrainConfig, nVocab: number): LlamaConfig {
  const m = c.model;
  return {
    nVocab, nEmbd: m.n_embd, nLayer: m.n_layer, nHead: m.n_head, nHeadKv: m.n_head_kv ?? m.n_head,
    nFf: m.n_ff, nCtx: m.n_ctx, ropeFreqBase: m.rope_freq_base, rmsEps: m.rms_eps, tied: m.tied,
  };
}

/**
 * Optimizer steps of the run: max_steps, or ceil(epochs · batches per epoch / grad_accum).
 * `batchesPerEpoch` counts micro-batches (BatchIterator.batchesPerEpoch).
 */
export function totalSteps(t: TrainingConfig, batchesPerEpoch: number): number {
  if (t.max_steps !== undefined) return t.max_steps;
  return Math.max(1, Math.ceil((t.epochs! * batchesPerEpoch) / t.grad_accum));
}

/**
 * The settings that fix the training trajectory (model + training sections), as canonical
 * JSON: a checkpoint made under one config only resumes under the same one.
 */
export function trajectoryKey(c: PretrainConfig): string {
  return JSON.stringify({ model: sortKeys(c.model), training: sortKeys(c.training) });
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)));
}
