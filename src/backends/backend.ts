/**
 * The one interface both inference backends implement, and `openBackend` that picks one.
 *
 *   wasm      ours (src/models over src/kernels): readable, inspectable, runs anywhere Node runs
 *   llamacpp  llama.cpp through node-llama-cpp (optional dependency): native speed, GPU optional
 *
 * A backend only turns tokens into next-token logits and text into tokens; sampling, stop
 * strings and logprobs are done by src/generate for both, so the same options and the same seed
 * give the same behaviour on either (up to the small numeric differences of the logits).
 *
 * ```ts
 * const be = await openBackend("model.gguf", { backend: "wasm" });
 * for await (const ev of generate(be, be.tokenizer, "Once upon a time", { max_tokens: 32 })) ...
 * await be.close();
 * ```
 */
import type { LogitsSource, TokenizerLike } from "../generate/index.js";

/** Names of the backends, as the `--backend` flag takes them. */
export type BackendName = "wasm" | "llamacpp";

/** Every backend name, default first. */
export const BACKEND_NAMES: readonly BackendName[] = ["wasm", "llamacpp"];

/** Options of Backend.tokenizer.encode (llama_tokenize's add_special and parse_special). */
export interface BackendEncodeOptions {
  /** Add BOS/EOS as the model's metadata asks (default true). */
  addSpecial?: boolean;
  /** Read special-token text such as "<|im_start|>" as those tokens (default false). */
  parseSpecial?: boolean;
}

/** The tokenizer operations the engine needs, with llama_tokenize's two switches. */
export interface BackendTokenizer extends TokenizerLike {
  /** Text to token ids; by default BOS is added when the model asks for it and special-token text is plain text. */
  encode(text: string, opts?: BackendEncodeOptions): Int32Array;
  /** Text of the BOS token ("" when the model has none), for chat templates' `bos_token`. */
  readonly bosText: string;
  /** Text of the EOS token ("" when the model has none), for chat templates' `eos_token`. */
  readonly eosText: string;
  /** Whether encode() adds BOS by default (tokenizer.ggml.add_bos_token or the tokenizer type's default). */
  readonly addBos: boolean;
}

/**
 * A loaded model that produces logits. It is a LogitsSource, so it can be passed to
 * generate() as it is.
 */
export interface Backend extends LogitsSource {
  readonly name: BackendName;
  /** Vocabulary size: length of every logits array (n_vocab). */
  readonly nVocab: number;
  /** Context size in tokens (n_ctx): positions must stay below it. */
  readonly nCtx: number;
  /** The context the model was trained with (GGUF `<arch>.context_length`), when the file says. */
  readonly nCtxTrain: number | undefined;
  /** The model's tokenizer (ours for wasm; llama.cpp's own for llamacpp). */
  readonly tokenizer: BackendTokenizer;
  /** The GGUF's `tokenizer.chat_template`, when it has a non-empty one. */
  readonly chatTemplate: string | undefined;
  /** Threads the backend computes with. */
  readonly threads: number;
  /**
   * Runs `tokens` at positions startPos, startPos+1, ... (the KV cache keeps positions before
   * startPos; later ones are overwritten) and resolves to the logits of the LAST token:
   * n_vocab f32 values, in a buffer the next call may reuse.
   *
   * wasm returns the raw logits. llamacpp returns the raw logits shifted by a constant so the
   * largest is 0 (node-llama-cpp exposes probabilities only; see llamacpp.ts): softmax, sampling
   * and log-probabilities are unchanged by such a shift.
   * @throws GlassboxError PROMPT_TOO_LONG when startPos + tokens.length > nCtx,
   *   BACKEND_BAD_POSITION when startPos is negative or past the positions evaluated so far,
   *   BACKEND_BAD_TOKEN for an id outside [0, nVocab), BACKEND_EMPTY_INPUT for no tokens,
   *   BACKEND_CLOSED after close().
   */
  eval(tokens: Int32Array, startPos: number): Promise<Float32Array>;
  /** Forgets the KV cache (the next eval must start at position 0). */
  reset(): Promise<void>;
  /** Frees the model, its cache and worker threads. The backend cannot be used afterwards. */
  close(): Promise<void>;
}

/** Options of openBackend. */
export interface OpenBackendOptions {
  /** Which backend (default "wasm"). */
  backend?: BackendName;
  /** Compute threads (default: the machine's available parallelism for wasm, llama.cpp's math cores for llamacpp). */
  threads?: number;
  /** Context size in tokens (default min(the model's context_length, 4096)). */
  nCtx?: number;
  /** LoRA adapter GGUF files to apply, each at scale 1 (both backends; llama.cpp's adapter format). */
  lora?: readonly string[];
  /** llamacpp: use a GPU when one is available ("auto") or the CPU only (false, the default). */
  gpu?: false | "auto";
  /**
   * llamacpp: read back only the K largest logits per eval (the rest become -Infinity) instead of
   * the whole vocabulary (0, the default). Reading n_vocab probabilities out of node-llama-cpp
   * costs ~14 ms per token at n_vocab = 32000 against ~0.6 ms for the tiny model's eval, ~1.2 ms
   * with K = 50. Sampling stays exact for greedy and for top_k <= K without repeat penalties or
   * logit bias; log-probabilities are then normalized over those K tokens only.
   */
  logitsTopK?: number;
}
