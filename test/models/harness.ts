// Shared helpers for the model tests: the llama.cpp reference vectors (../shared/vectors/llamacpp,
// README section "llamacpp/") and the comparisons made on them.
import { readFileSync } from "node:fs";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import type { Kernels } from "../../src/kernels/api.js";
import { loadModel } from "../../src/models/registry.js";
import type { Model } from "../../src/models/model.js";
import { readF32Vector, vectorPath } from "../helpers/vectors.js";

/** The 9 reference models. */
export const MODELS = [
  "llama-gqa-f32", "llama-gqa-f16", "llama-gqa-q8_0", "llama-gqa-q4_0",
  "qwen2-f32", "gpt2-f32", "gptneox-f32", "falcon-f32", "bloom-f32",
] as const;
export type ModelName = (typeof MODELS)[number];

export interface GreedyStep {
  token: number;
  top1_logit: number;
  top2_token: number;
  top2_logit: number;
  margin: number;
}

export interface PromptVector {
  prompt: string;
  tokens: number[];
  n_tokens: number;
  argmax_per_position: number[];
  top1_top2_margin_per_position: number[];
  greedy_tokens: number[];
  greedy_steps: GreedyStep[];
}

export interface ModelVector {
  architecture: string;
  prompts: PromptVector[];
}

/** `<m>.json` (throws when missing). */
export function readModelJson(m: string): ModelVector {
  return JSON.parse(readFileSync(vectorPath("llamacpp", `${m}.json`), "utf8")) as ModelVector;
}

/** `<m>.p<i>.logits.f32`: [n_tokens][n_vocab] row-major. */
export function readLogits(m: string, i: number): Float32Array {
  return readF32Vector("llamacpp", `${m}.p${i}.logits.f32`);
}

/** Opens `<m>.gguf` and loads it for `kernels` (the file is closed afterwards). */
export function loadVectorModel(m: string, kernels: Kernels, nCtx = 64): Model {
  const g = GgufFile.open(vectorPath("llamacpp", `${m}.gguf`));
  try {
    return loadModel(g, kernels, { nCtx });
  } finally {
    g.close();
  }
}

/** Index of the largest value, lowest index on ties (llama.cpp's greedy rule). */
export function argmax(a: Float32Array, from = 0, n = a.length - from): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i]! > a[best]!) best = i;
  return best - from;
}

/** Max |a-b| per row of [rows][n] (NaN anywhere gives NaN). */
export function rowMaxDiffs(a: Float32Array, b: Float32Array, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let i = r * n; i < (r + 1) * n; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (!(d <= m)) m = d; // NaN sticks
    }
    out[r] = m;
  }
  return out;
}

/** Result of running the greedy loop against the recorded steps. */
export interface GreedyResult {
  /** Our 16 tokens. */
  tokens: number[];
  /** Steps equal to llama.cpp's before the first difference (16 when all agree). */
  agreed: number;
  /** Largest |our logit - recorded| for the recorded top-1 and top-2 tokens over the agreed steps. */
  maxLogitDiff: number;
}

/**
 * Greedy decoding as the vectors were made: `logits` are the prompt's last-row logits; 16 times
 * take the argmax (lowest id on ties), compare it with the recorded step, and eval it at the next
 * position. Stops feeding at the first difference (the contexts differ from there on).
 */
export function runGreedy(model: Model, p: PromptVector, lastLogits: Float32Array): GreedyResult {
  let logits = lastLogits;
  const tokens: number[] = [];
  let agreed = 0;
  let maxLogitDiff = 0;
  let pos = p.n_tokens;
  for (let s = 0; s < p.greedy_steps.length; s++) {
    const st = p.greedy_steps[s]!;
    const tok = argmax(logits);
    tokens.push(tok);
    if (tok !== st.token || agreed !== s) break;
    maxLogitDiff = Math.max(maxLogitDiff, Math.abs(logits[st.token]! - st.top1_logit), Math.abs(logits[st.top2_token]! - st.top2_logit));
    agreed++;
    if (s + 1 < p.greedy_steps.length) logits = model.eval(Int32Array.of(tok), pos++);
  }
  return { tokens, agreed, maxLogitDiff };
}
