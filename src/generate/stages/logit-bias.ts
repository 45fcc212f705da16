/**
 * Logit bias: add a fixed amount to chosen tokens' logits; -Infinity bans a token.
 * Same as llama.cpp's `llama_sampler_init_logit_bias` (src/llama-sampler.cpp) and OpenAI's
 * `logit_bias` (which asks for values in [-100, 100]; -100 effectively bans).
 */
import { GlassboxError } from "../../errors.js";
import type { Candidates } from "../candidates.js";

/** A logit bias table in typed arrays: values[i] is added to the logit of token ids[i]. */
export interface LogitBiasTable {
  readonly ids: Int32Array;
  readonly values: Float32Array;
}

/** Bias as users give it: OpenAI's object (token id string -> bias), a Map, or [id, bias] pairs; `false` bans. */
export type LogitBiasInput =
  | Record<string, number | false>
  | ReadonlyMap<number, number | false>
  | ReadonlyArray<readonly [number, number | false]>;

/**
 * Turn user input into a LogitBiasTable for a vocabulary of `nVocab` tokens. Entries for the
 * same id add up. Throws GlassboxError INVALID_OPTION for an id that is not an integer in
 * [0, nVocab), or a bias that is NaN or +Infinity.
 */
export function makeLogitBias(input: LogitBiasInput | undefined, nVocab: number): LogitBiasTable {
  const merged = new Map<number, number>();
  const add = (rawId: number | string, rawBias: number | false): void => {
    const id = typeof rawId === "string" ? Number(rawId.trim() === "" ? NaN : rawId) : rawId;
    if (!Number.isInteger(id) || id < 0 || id >= nVocab) {
      throw new GlassboxError("INVALID_OPTION", `logit_bias: token id ${JSON.stringify(rawId)} is not an integer in [0, ${nVocab})`);
    }
    const bias = rawBias === false ? -Infinity : rawBias;
    if (typeof bias !== "number" || Number.isNaN(bias) || bias === Infinity) {
      throw new GlassboxError("INVALID_OPTION", `logit_bias: bias for token ${id} must be a finite number, -Infinity or false, got ${String(rawBias)}`);
    }
    merged.set(id, (merged.get(id) ?? 0) + bias);
  };
  if (input !== undefined) {
    if (input instanceof Map) for (const [id, b] of input) add(id, b);
    else if (Array.isArray(input)) for (const [id, b] of input as ReadonlyArray<readonly [number, number | false]>) add(id, b);
    else for (const [id, b] of Object.entries(input as Record<string, number | false>)) add(id, b);
  }
  const ids = new Int32Array(merged.size);
  const values = new Float32Array(merged.size);
  let i = 0;
  for (const [id, b] of merged) {
    ids[i] = id;
    values[i] = b;
    i++;
  }
  return { ids, values };
}

/** Add the bias table to the candidates' logits (by token id). Call before dropBanned(). */
export function applyLogitBias(c: Candidates, bias: LogitBiasTable): void {
  const l = c.logits;
  for (let i = 0; i < bias.ids.length; i++) {
    const id = bias.ids[i]!;
    l[id] = l[id]! + bias.values[i]!;
  }
  if (bias.ids.length > 0) c.sorted = false;
}
