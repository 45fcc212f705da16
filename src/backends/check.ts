/** Input checks shared by the backends, so both reject the same calls with the same codes. */
import { availableParallelism } from "node:os";
import { GlassboxError } from "../errors.js";

/**
 * Checks one Backend.eval call: `tokens` at positions startPos.. with `nPast` positions already
 * evaluated, a context of nCtx and a vocabulary of nVocab.
 * @throws GlassboxError BACKEND_EMPTY_INPUT (no tokens), BACKEND_BAD_POSITION (startPos not an
 *   integer in [0, nPast]), PROMPT_TOO_LONG (startPos + n > nCtx; the message gives both),
 *   BACKEND_BAD_TOKEN (an id outside [0, nVocab)).
 */
export function checkEvalInput(tokens: Int32Array, startPos: number, nPast: number, nCtx: number, nVocab: number): void {
  const n = tokens.length;
  if (n === 0) throw new GlassboxError("BACKEND_EMPTY_INPUT", "eval needs at least one token");
  if (!Number.isSafeInteger(startPos) || startPos < 0) {
    throw new GlassboxError("BACKEND_BAD_POSITION", `startPos must be a non-negative integer, got ${startPos}`);
  }
  if (startPos > nPast) {
    throw new GlassboxError("BACKEND_BAD_POSITION", `startPos ${startPos} is past the ${nPast} positions in the KV cache`);
  }
  if (startPos + n > nCtx) {
    throw new GlassboxError(
      "PROMPT_TOO_LONG",
      `${n} tokens at position ${startPos} need ${startPos + n} positions, but the context holds ${nCtx} (n_ctx)`,
    );
  }
  for (let i = 0; i < n; i++) {
    const id = tokens[i]!;
    if (id < 0 || id >= nVocab) {
      throw new GlassboxError("BACKEND_BAD_TOKEN", `token id ${id} (index ${i}) is outside the vocabulary [0, ${nVocab})`);
    }
  }
}

/** Throws GlassboxError BACKEND_CLOSED when `closed` is true. */
export function checkOpen(closed: boolean, name: string): void {
  if (closed) throw new GlassboxError("BACKEND_CLOSED", `the ${name} backend has been closed`);
}

/**
 * Most threads a backend may be given: 4 per core (os.availableParallelism()), at least 8. More
 * only slows down, and each wasm worker costs ~8 MB and ~0.1 s to start: -t 1000 meant minutes
 * of start-up and gigabytes before the first token.
 */
export function maxThreads(): number {
  return Math.max(8, 4 * availableParallelism());
}

/**
 * Validates a thread count option: undefined, or an integer in [1, maxThreads()].
 * @throws GlassboxError INVALID_OPTION.
 */
export function checkThreads(threads: number | undefined): void {
  if (threads === undefined) return;
  const max = maxThreads();
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > max) {
    throw new GlassboxError("INVALID_OPTION", `threads must be an integer in [1, ${max}] (at most 4 per core, ${availableParallelism()} cores here), got ${threads}`);
  }
}

/**
 * The context size to use: `requested`, else min(the model's context_length, 4096).
 * @throws GlassboxError INVALID_OPTION when requested is not a positive integer.
 */
export function resolveNCtx(requested: number | undefined, nCtxTrain: number | undefined): number {
  if (requested !== undefined) {
    if (!Number.isSafeInteger(requested) || requested < 1) {
      throw new GlassboxError("INVALID_OPTION", `ctx size must be a positive integer, got ${requested}`);
    }
    return requested;
  }
  return Math.min(nCtxTrain !== undefined && nCtxTrain > 0 ? nCtxTrain : 4096, 4096);
}
