/** Checks of a prompt against the model's context window. */
import { GlassboxError } from "../errors.js";

/**
 * Throw when a prompt cannot be evaluated: GlassboxError EMPTY_PROMPT for 0 tokens, and
 * PROMPT_TOO_LONG when nPromptTokens > nCtx (the message states both numbers). A prompt of
 * exactly nCtx tokens is accepted (one token can still be sampled from its last logits).
 * nCtx undefined means unlimited.
 */
export function checkPromptLength(nPromptTokens: number, nCtx: number | undefined): void {
  if (nPromptTokens === 0) throw new GlassboxError("EMPTY_PROMPT", "the prompt has no tokens");
  if (nCtx !== undefined && nPromptTokens > nCtx) {
    throw new GlassboxError(
      "PROMPT_TOO_LONG",
      `the prompt is ${nPromptTokens} tokens long but the context holds only ${nCtx} token${nCtx === 1 ? "" : "s"}`,
    );
  }
}
