/**
 * A trained byte-level BPE vocabulary as GGUF `tokenizer.*` KVs, and as a vocabulary-only GGUF
 * file (no tensors) that llama.cpp loads with `vocab_only`. Key names and meanings: ggml
 * docs/gguf.md ("Tokenizer"), read by llama.cpp src/llama-vocab.cpp (`llama_vocab::impl::load`).
 */
import { GlassboxError } from "../errors.js";
import { GgufValueType, type GgufArray, type GgufKV } from "../formats/gguf/types.js";
import { kv } from "../formats/gguf/kv.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import { serializeGguf, writeGgufFile } from "../formats/gguf/writer.js";
import type { ByteLevelBpeVocab } from "./train.js";

/** Options of the vocabulary-only GGUF. */
export interface BpeGgufOptions {
  /** `general.name` (default "glassbox-bpe"). */
  name?: string;
  /** `tokenizer.ggml.add_bos_token` (default false, as GPT-2). */
  addBos?: boolean;
  /** `tokenizer.ggml.add_eos_token` (default false). */
  addEos?: boolean;
  /** Optional `tokenizer.chat_template` (Jinja text). */
  chatTemplate?: string;
}

/**
 * The KVs of a vocabulary-only GGUF for `model`: general.architecture "gpt2" (llama.cpp needs a
 * known architecture to load even a vocabulary), general.name, tokenizer.ggml.model "gpt2",
 * tokenizer.ggml.pre "gpt-2", tokens, token_type (i32), merges, bos/eos ids (u32, when the model
 * has special tokens), add_bos_token, add_eos_token, and chat_template if given.
 */
export function trainedBpeToGgufKv(model: ByteLevelBpeVocab, options: BpeGgufOptions = {}): GgufKV[] {
  const out: GgufKV[] = [
    kv.string("general.architecture", "gpt2"),
    kv.string("general.name", options.name ?? "glassbox-bpe"),
    kv.string("tokenizer.ggml.model", "gpt2"),
    kv.string("tokenizer.ggml.pre", "gpt-2"),
    kv.arrayString("tokenizer.ggml.tokens", model.tokens),
    kv.arrayI32("tokenizer.ggml.token_type", model.tokenTypes),
    kv.arrayString("tokenizer.ggml.merges", model.merges),
  ];
  if (model.bosTokenId >= 0) out.push(kv.u32("tokenizer.ggml.bos_token_id", model.bosTokenId));
  if (model.eosTokenId >= 0) out.push(kv.u32("tokenizer.ggml.eos_token_id", model.eosTokenId));
  out.push(kv.bool("tokenizer.ggml.add_bos_token", options.addBos ?? false));
  out.push(kv.bool("tokenizer.ggml.add_eos_token", options.addEos ?? false));
  if (options.chatTemplate !== undefined) out.push(kv.string("tokenizer.chat_template", options.chatTemplate));
  return out;
}

/** The vocabulary-only GGUF (version 3, no tensors) as bytes. */
export function serializeTrainedBpeGguf(model: ByteLevelBpeVocab, options: BpeGgufOptions = {}): Uint8Array {
  return serializeGguf({ kv: trainedBpeToGgufKv(model, options), tensors: [] });
}

/** Writes the vocabulary-only GGUF to `path` atomically (the file appears whole or not at all). */
export async function writeTrainedBpeGguf(path: string, model: ByteLevelBpeVocab, options: BpeGgufOptions = {}): Promise<void> {
  await writeGgufFile(path, { kv: trainedBpeToGgufKv(model, options), tensors: [] });
}

function stringArray(file: GgufFile, key: string): string[] {
  const v = file.get(key) as GgufArray | undefined;
  if (!v || typeof v !== "object" || v.elementType !== GgufValueType.STRING) {
    throw new GlassboxError("TOKENIZER_BAD_GGUF", `'${key}' is missing or not an array of strings`);
  }
  return v.items as string[];
}

/**
 * Reads a byte-level BPE vocabulary back from a GGUF (tokens, token types, merges, bos/eos).
 * Throws TOKENIZER_BAD_GGUF when tokenizer.ggml.model is not "gpt2" or a key is missing/mistyped.
 */
export function readByteLevelBpeVocab(file: GgufFile): ByteLevelBpeVocab {
  if (file.get("tokenizer.ggml.model") !== "gpt2") {
    throw new GlassboxError("TOKENIZER_BAD_GGUF", `tokenizer.ggml.model is '${String(file.get("tokenizer.ggml.model"))}', not 'gpt2'`);
  }
  const tokens = stringArray(file, "tokenizer.ggml.tokens");
  const merges = stringArray(file, "tokenizer.ggml.merges");
  const tt = file.get("tokenizer.ggml.token_type") as GgufArray | undefined;
  if (!tt || !(tt.items instanceof Int32Array) || tt.items.length !== tokens.length) {
    throw new GlassboxError("TOKENIZER_BAD_GGUF", "tokenizer.ggml.token_type is missing or not one i32 per token");
  }
  const tokenTypes = Int32Array.from(tt.items);
  const bos = file.get("tokenizer.ggml.bos_token_id");
  const eos = file.get("tokenizer.ggml.eos_token_id");
  const specialTokens = tokens.filter((_, i) => tokenTypes[i] === 3);
  return {
    tokens: [...tokens], tokenTypes, merges: [...merges], specialTokens,
    bosTokenId: typeof bos === "number" ? bos : -1, eosTokenId: typeof eos === "number" ? eos : -1,
  };
}
