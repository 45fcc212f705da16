/**
 * Generation and sampling options: names, defaults and validation (zod).
 *
 * Names follow the OpenAI API and llama.cpp's server (snake_case): temperature, top_k, top_p,
 * min_p, repeat_penalty, repeat_last_n, frequency_penalty, presence_penalty, seed, max_tokens,
 * stop, logit_bias, logprobs, post_sampling_probs, ignore_eos.
 * Defaults are llama.cpp's (common/common.h, common_params_sampling): temperature 0.8,
 * top_k 40, top_p 0.95, min_p 0.05, repeat_penalty 1 (off), repeat_last_n 64.
 * Invalid values throw GlassboxError INVALID_OPTION naming the option, the rule and the value.
 */
import { z } from "zod";
import { GlassboxError } from "../errors.js";
import type { LogitBiasInput } from "./stages/logit-bias.js";

const biasValue = z.union([
  z.number(),
  z.literal(false),
  z.custom<number>((v) => v === -Infinity, "must be a finite number, -Infinity or false"),
]);

const finite = (name: string) => z.number({ error: `${name} must be a finite number` });
const int = (name: string) => z.int({ error: `${name} must be an integer` });

/** zod schema of the sampling options (the part of GenerateOptions the Sampler uses). */
export const samplingOptionsSchema = z.strictObject({
  temperature: finite("temperature").min(0, "temperature must be >= 0 (0 = greedy)").default(0.8),
  top_k: int("top_k").min(0, "top_k must be >= 0 (0 = off)").default(40),
  top_p: finite("top_p").gt(0, "top_p must be in (0, 1]").lte(1, "top_p must be in (0, 1]").default(0.95),
  min_p: finite("min_p").min(0, "min_p must be in [0, 1]").max(1, "min_p must be in [0, 1]").default(0.05),
  repeat_penalty: finite("repeat_penalty").gt(0, "repeat_penalty must be > 0 (1 = off)").default(1),
  repeat_last_n: int("repeat_last_n").min(-1, "repeat_last_n must be >= -1 (-1 = whole history, 0 = off)").default(64),
  frequency_penalty: finite("frequency_penalty")
    .min(-2, "frequency_penalty must be in [-2, 2]")
    .max(2, "frequency_penalty must be in [-2, 2]")
    .default(0),
  presence_penalty: finite("presence_penalty")
    .min(-2, "presence_penalty must be in [-2, 2]")
    .max(2, "presence_penalty must be in [-2, 2]")
    .default(0),
  seed: int("seed").min(0, "seed must be an integer in [0, 2^53)").max(Number.MAX_SAFE_INTEGER, "seed must be an integer in [0, 2^53)").optional(),
  logit_bias: z
    .union([
      z.record(z.string(), biasValue),
      z.map(z.number(), biasValue),
      z.array(z.tuple([z.number(), biasValue])),
    ], { error: "logit_bias must be an object {token id: bias}, a Map or an array of [id, bias]" })
    .optional(),
});

/** zod schema of all generation options. */
export const generateOptionsSchema = samplingOptionsSchema.extend({
  max_tokens: int("max_tokens").min(0, "max_tokens must be >= 0").optional(),
  stop: z
    .union([z.string().min(1, "stop strings must be non-empty"), z.array(z.string().min(1, "stop strings must be non-empty"))], {
      error: "stop must be a string or an array of strings",
    })
    .optional(),
  logprobs: int("logprobs").min(0, "logprobs (number of top alternatives) must be >= 0").optional(),
  post_sampling_probs: z.boolean({ error: "post_sampling_probs must be a boolean" }).default(false),
  ignore_eos: z.boolean({ error: "ignore_eos must be a boolean" }).default(false),
});

/** Sampling options as a caller writes them (every field optional). */
export type SamplingOptionsInput = z.input<typeof samplingOptionsSchema>;
/** Validated sampling options with defaults filled in. */
export interface SamplingOptions extends Omit<z.output<typeof samplingOptionsSchema>, "logit_bias"> {
  logit_bias?: LogitBiasInput;
}
/** Generation options as a caller writes them (every field optional). */
export type GenerateOptionsInput = z.input<typeof generateOptionsSchema>;
/** Validated generation options with defaults filled in; `stop` normalized to an array. */
export interface GenerateOptions extends SamplingOptions {
  max_tokens?: number;
  stop: string[];
  logprobs?: number;
  post_sampling_probs: boolean;
  ignore_eos: boolean;
}

/** llama.cpp's default sampling settings (common_params_sampling), as validated options. */
export const DEFAULT_SAMPLING: Readonly<SamplingOptions> = Object.freeze(samplingOptionsSchema.parse({}));

function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = v instanceof Map ? v.get(k) : (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function toError(input: unknown, error: z.ZodError): GlassboxError {
  const parts = error.issues.map((issue) => {
    if (issue.code === "unrecognized_keys") return `unknown option(s): ${issue.keys.join(", ")}`;
    const path = issue.path.map(String).join(".");
    const got = valueAt(input, issue.path);
    return `${path ? `${path}: ` : ""}${issue.message} (got ${describe(got)})`;
  });
  return new GlassboxError("INVALID_OPTION", `invalid option: ${parts.join("; ")}`);
}

/** The sampling part of validated generation options (what the Sampler takes). */
export function samplingPart(o: GenerateOptions): SamplingOptions {
  const s: SamplingOptions = {
    temperature: o.temperature,
    top_k: o.top_k,
    top_p: o.top_p,
    min_p: o.min_p,
    repeat_penalty: o.repeat_penalty,
    repeat_last_n: o.repeat_last_n,
    frequency_penalty: o.frequency_penalty,
    presence_penalty: o.presence_penalty,
  };
  if (o.seed !== undefined) s.seed = o.seed;
  if (o.logit_bias !== undefined) s.logit_bias = o.logit_bias;
  return s;
}

/** Validate sampling options and fill defaults. Throws GlassboxError INVALID_OPTION. */
export function parseSamplingOptions(input: unknown = {}): SamplingOptions {
  const r = samplingOptionsSchema.safeParse(input ?? {});
  if (!r.success) throw toError(input, r.error);
  return r.data as SamplingOptions;
}

/**
 * Validate generation options and fill defaults; `stop` becomes an array (empty when unset).
 * Throws GlassboxError INVALID_OPTION (e.g. "invalid option: top_p: top_p must be in (0, 1] (got 1.5)").
 */
export function parseGenerateOptions(input: unknown = {}): GenerateOptions {
  const r = generateOptionsSchema.safeParse(input ?? {});
  if (!r.success) throw toError(input, r.error);
  const d = r.data;
  const stop = d.stop === undefined ? [] : typeof d.stop === "string" ? [d.stop] : d.stop;
  return { ...(d as Omit<GenerateOptions, "stop">), stop };
}
