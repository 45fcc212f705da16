// Printing helpers of `glassbox run`: the figures line, the --probs lines and the --json object.
import type { BackendName } from "../backends/index.js";
import type { DoneEvent, TokenEvent } from "../generate/index.js";

/** 0.4123 -> " 41.23%" (fixed width 7). */
export function formatPercent(p: number): string {
  return `${(p * 100).toFixed(2).padStart(6)}%`;
}

/** A token piece as a quoted, escaped string (spaces and newlines visible): "\n", " the". */
export function quotePiece(piece: string): string {
  return JSON.stringify(piece);
}

/**
 * One --probs line: index, the chosen piece, its probability, then the top alternatives with
 * theirs (the chosen one marked with *). Probabilities are the model's own distribution
 * (softmax of the raw logits), whatever the sampling settings.
 */
export function formatProbsLine(index: number, ev: TokenEvent, pieceWidth = 14): string {
  const p = ev.logprob !== undefined ? Math.exp(ev.logprob) : NaN;
  const alts = (ev.top ?? []).map((t) => `${t.id === ev.id ? "*" : ""}${quotePiece(t.piece)} ${formatPercent(Math.exp(t.logprob)).trim()}`);
  const head = `${String(index).padStart(4)}  ${quotePiece(ev.piece).padEnd(pieceWidth)} ${formatPercent(p)}`;
  return alts.length > 0 ? `${head}  | ${alts.join("  ")}` : head; // --probs 0: no alternatives column
}

/** The figures line printed on stderr at the end of a run (and of each chat answer with --verbose). */
export function formatFigures(done: DoneEvent, backend: BackendName, threads: number): string {
  const t = done.timings;
  const finish = done.finishReason === "stop" && done.stop !== undefined ? `stop (${quotePiece(done.stop)})` : done.finishReason;
  // A chat turn evaluates only what its KV cache lacks (timings.prompt_n); the rate is over those.
  const reused = t.prompt_n > 0 ? done.usage.prompt_tokens - t.prompt_n : 0;
  const count = (n: number): string => `${n} token${n === 1 ? "" : "s"}`;
  // no rate for a phase that evaluated nothing (-n 0; a chat turn wholly in the cache)
  const rate = (n: number, perSecond: number): string => (n > 0 ? `, ${perSecond.toFixed(1)} tokens/s` : "");
  return (
    `prompt: ${count(done.usage.prompt_tokens)}${rate(t.prompt_n, t.prompt_per_second)} | ` +
    `generated: ${count(done.usage.completion_tokens)}${rate(done.usage.completion_tokens, t.predicted_per_second)} | ` +
    `finish: ${finish} | backend: ${backend}, ${threads} thread${threads === 1 ? "" : "s"} | seed: ${done.seed}` +
    (reused > 0 ? ` | prompt tokens reused from the cache: ${reused}` : "")
  );
}

/** The `run --json` object (CLARIFICATIONS.md "Engine and CLI"): generated tokens only. */
export interface RunJson {
  text: string;
  tokens: Array<{ id: number; piece: string; logprob: number | null; top: Array<{ id: number; piece: string; logprob: number }> }>;
  usage: { prompt_tokens: number; completion_tokens: number };
  timings: { prompt_per_second: number; predicted_per_second: number };
}

/** Builds the --json object from the token events and the done event. */
export function runJson(tokens: TokenEvent[], done: DoneEvent): RunJson {
  return {
    text: done.text,
    tokens: tokens.map((ev) => ({
      id: ev.id,
      piece: ev.piece,
      logprob: ev.logprob ?? null,
      top: (ev.top ?? []).map((t) => ({ id: t.id, piece: t.piece, logprob: t.logprob })),
    })),
    usage: { prompt_tokens: done.usage.prompt_tokens, completion_tokens: done.usage.completion_tokens },
    timings: { prompt_per_second: done.timings.prompt_per_second, predicted_per_second: done.timings.predicted_per_second },
  };
}
