/** The few GGUF metadata values a backend needs before it loads anything else. */
import { GlassboxError } from "../errors.js";
import type { GgufFile } from "../formats/gguf/index.js";

/** What openBackend reads from a GGUF header. */
export interface GgufModelInfo {
  /** `general.architecture`. */
  readonly arch: string;
  /** Vocabulary size: the number of `tokenizer.ggml.tokens` (llama_vocab_n_tokens), else token_embd's ne[1]. */
  readonly nVocab: number;
  /** `{arch}.context_length`, or undefined when absent. */
  readonly nCtxTrain: number | undefined;
  /** `tokenizer.chat_template` when present and non-empty. */
  readonly chatTemplate: string | undefined;
  /** Rows of `position_embd.weight` (learned absolute positions: GPT-2, StarCoder...), else undefined. */
  readonly nPositions: number | undefined;
}

/**
 * Reads GgufModelInfo from an opened GGUF file.
 * @throws GlassboxError BACKEND_BAD_MODEL when general.architecture is missing or the vocabulary
 *   size cannot be found (no tokenizer.ggml.tokens and no token_embd.weight); MODEL_NO_TENSORS
 *   for a file without tensors (a vocabulary-only GGUF: tokenizer tools take it, backends cannot).
 */
export function readGgufModelInfo(file: GgufFile): GgufModelInfo {
  const arch = file.get("general.architecture");
  if (typeof arch !== "string") throw new GlassboxError("BACKEND_BAD_MODEL", "the GGUF file has no general.architecture: not a model file");
  if (file.get("general.type") === "adapter") {
    throw new GlassboxError("BACKEND_BAD_MODEL", "the GGUF file is a LoRA adapter (general.type = adapter), not a model: give the base model and pass the adapter with --lora");
  }
  if (file.tensors.length === 0) {
    throw new GlassboxError(
      "MODEL_NO_TENSORS",
      "the GGUF file has no tensors (a vocabulary-only or metadata-only file): there are no weights to run (`glassbox tokenize` reads such files)",
    );
  }
  const tokens = file.get("tokenizer.ggml.tokens");
  let nVocab = tokens !== undefined && typeof tokens === "object" ? tokens.items.length : 0;
  if (nVocab === 0) nVocab = file.tensors.find((t) => t.name === "token_embd.weight")?.ne[1] ?? 0;
  if (nVocab === 0) {
    throw new GlassboxError("BACKEND_BAD_MODEL", `the GGUF file (architecture '${arch}') has neither tokenizer.ggml.tokens nor token_embd.weight`);
  }
  const ctx = file.get(`${arch}.context_length`);
  const nCtxTrain = typeof ctx === "number" ? ctx : typeof ctx === "bigint" ? Number(ctx) : undefined;
  const tpl = file.get("tokenizer.chat_template");
  const chatTemplate = typeof tpl === "string" && tpl.trim() !== "" ? tpl : undefined;
  const nPositions = file.tensors.find((t) => t.name === "position_embd.weight")?.ne[1];
  return { arch, nVocab, nCtxTrain, chatTemplate, nPositions };
}
