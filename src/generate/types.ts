/**
 * The small interfaces the generation loop needs from a model and a tokenizer. They are
 * structural: a model or tokenizer class satisfies them without importing this file.
 */
import type { TopLogprob } from "./logprobs.js";

/** Anything that turns tokens into next-token logits, keeping its own KV cache. */
export interface LogitsSource {
  /** Vocabulary size: length of every logits array returned by eval(). */
  readonly nVocab: number;
  /** Context size in tokens (n_ctx), when limited; positions must stay below it. */
  readonly nCtx?: number;
  /**
   * Process `tokens` at positions startPos, startPos+1, ... (appending to the cache; positions
   * at or after startPos may be overwritten) and return the logits of the LAST token:
   * n_vocab floats. The returned buffer may be reused by the next call; the loop reads it before
   * calling eval() again.
   */
  eval(tokens: Int32Array, startPos: number): Promise<Float32Array> | Float32Array;
}

/** Incremental detokenizer: turns ids into text, holding back incomplete UTF-8 sequences. */
export interface StreamDecoderLike {
  /** Add one token; returns the text that is complete so far (may be ""). */
  push(id: number): string;
  /** End of stream: returns whatever is still held (incomplete bytes become U+FFFD). */
  flush(): string;
}

/** The tokenizer operations the loop uses. */
export interface TokenizerLike {
  /** Text to token ids (with the tokenizer's default special-token handling, e.g. BOS). */
  encode(text: string): ArrayLike<number>;
  /** Token ids to text. */
  decode(ids: ArrayLike<number>): string;
  /** A fresh streaming decoder. */
  createStreamDecoder(): StreamDecoderLike;
  /** True for end-of-generation tokens (EOS, EOT, ...). */
  isEog(id: number): boolean;
  /**
   * One token's own bytes or text, as llama.cpp's token_to_piece gives it (an SPM piece keeps its
   * leading space). Optional: without it, pieces fall back to decode([id]).
   */
  tokenToPiece?(id: number): Uint8Array | string;
}

/** Why generation ended: a stop string, the token/context limit, or an end-of-generation token. */
export type FinishReason = "stop" | "length" | "eos";

/** One generated token. */
export interface TokenEvent {
  type: "token";
  /** Token id. */
  id: number;
  /** The token's own text, tokenizer.decode([id]) (may be a partial character). */
  piece: string;
  /** Text released to the user by this token (may be "" while a partial character or a
   * possible stop string is held back). Concatenating all `text` plus the done event's `tail`
   * gives the full completion. */
  text: string;
  /** Natural-log probability of this token (present when logprobs was requested). */
  logprob?: number;
  /** Best alternatives with their log-probabilities and pieces (when logprobs was requested). */
  top?: Array<TopLogprob & { piece: string }>;
}

/** Token counts, OpenAI style. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Speeds, named as llama.cpp's server reports them. */
export interface Timings {
  prompt_n: number;
  prompt_ms: number;
  prompt_per_second: number;
  predicted_n: number;
  predicted_ms: number;
  predicted_per_second: number;
}

/** The last event of a generation. */
export interface DoneEvent {
  type: "done";
  finishReason: FinishReason;
  /** The stop string that ended generation (finishReason "stop"). */
  stop?: string;
  /** The full completion text (stop string and what follows excluded). */
  text: string;
  /** Text released only at the end (held-back text flushed); already included in `text`. */
  tail: string;
  usage: Usage;
  timings: Timings;
  /** The sampler's seed (reuse it to reproduce this run). */
  seed: number;
}

export type GenerateEvent = TokenEvent | DoneEvent;
