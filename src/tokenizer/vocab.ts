/**
 * A tokenizer vocabulary: token strings, scores, attributes, special token ids and the flags
 * that steer encoding and decoding. Everything is read from GGUF metadata (`tokenizer.ggml.*`)
 * with llama.cpp's defaults and fix-ups (src/llama-vocab.cpp, `llama_vocab::impl::load`):
 *
 * - `tokenizer.ggml.model`: "llama" (SentencePiece BPE), "gpt2" (byte-level BPE), "bert"
 *   (WordPiece). Anything else is GlassboxError TOKENIZER_UNSUPPORTED.
 * - special ids default per model (llama: bos 1, eos 2, unk 0; bert: bos=[CLS] 101, unk 100,
 *   sep 102, pad 0, mask 103; gpt2: bos = eos = 11) and are overridden by the `*_token_id` keys
 *   when those are in range.
 * - add_bos / add_eos default per model (llama: BOS only; bert: [CLS] ... [SEP]; gpt2: none,
 *   except pre-tokenizers that force BOS) and are overridden by `add_bos_token` etc.
 * - EOT/EOM/FIM ids and the end-of-generation set are also detected from token text, and such
 *   tokens become CONTROL, as llama.cpp does.
 *
 * Token ids are numbers in [0, vocabSize); TOKEN_NULL (-1) means "no such token".
 */
import { GlassboxError } from "../errors.js";
import type { GgufArray, GgufFile, GgufValue } from "../formats/gguf/index.js";
import { resolvePreTokenizer, type PreTokenizerConfig } from "./pretokenizers.js";
import { vocabStringByteLength } from "./unicode.js";

/** "No token" (llama.cpp's LLAMA_TOKEN_NULL). */
export const TOKEN_NULL = -1;

/** Token types as stored in `tokenizer.ggml.token_type` (llama.h, enum llama_token_type). */
export const TokenType = {
  UNDEFINED: 0, NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6,
} as const;

/** Token attribute bits (llama.h, enum llama_token_attr). */
export const TokenAttr = {
  UNDEFINED: 0, UNKNOWN: 1 << 0, UNUSED: 1 << 1, NORMAL: 1 << 2, CONTROL: 1 << 3, USER_DEFINED: 1 << 4,
  BYTE: 1 << 5, NORMALIZED: 1 << 6, LSTRIP: 1 << 7, RSTRIP: 1 << 8, SINGLE_WORD: 1 << 9,
} as const;

/** Tokenizer algorithms supported (values of `tokenizer.ggml.model`). */
export type TokenizerModel = "llama" | "gpt2" | "bert";

/** Everything needed to build a vocabulary without a GGUF file (e.g. from a trained tokenizer). */
export interface VocabSpec {
  /** `tokenizer.ggml.model`. */
  model: string;
  /** `tokenizer.ggml.pre` (BPE only; absent means "default"). */
  pre?: string;
  /** `tokenizer.ggml.tokens`, indexed by id. */
  tokens: readonly string[];
  /** `tokenizer.ggml.scores` (SPM merge priorities); missing scores are 0. */
  scores?: Float32Array | Int32Array;
  /** `tokenizer.ggml.token_type` (TokenType values); missing means all NORMAL. */
  tokenTypes?: Int32Array | Uint32Array;
  /** `tokenizer.ggml.merges` ("left right", rank = index), required for gpt2. */
  merges?: readonly string[];
  /** `tokenizer.ggml.<x>_token_id` values; omitted ones keep the model's default. */
  ids?: Partial<Record<SpecialIdName, number>>;
  addBos?: boolean;
  addEos?: boolean;
  addSep?: boolean;
  /** `tokenizer.ggml.add_space_prefix` (SPM default true). */
  addSpacePrefix?: boolean;
  /** `tokenizer.ggml.remove_extra_whitespaces` (kept for completeness; used by UGM only in llama.cpp). */
  removeExtraWhitespaces?: boolean;
  /** `tokenizer.ggml.normalizer.lowercase` (WordPiece; default true). */
  lowercase?: boolean;
  /** `tokenizer.ggml.normalizer.strip_accents` (WordPiece; defaults to `lowercase`). */
  stripAccents?: boolean;
  /** `general.name` (llama.cpp sets per-token strip flags for Phi-3 by name). */
  name?: string;
}

/** Names of the special-token id keys (`tokenizer.ggml.<key>_token_id`). */
export type SpecialIdName =
  | "bos" | "eos" | "eot" | "eom" | "unk" | "sep" | "pad" | "mask"
  | "fim_pre" | "fim_suf" | "fim_mid" | "fim_pad" | "fim_rep" | "fim_sep";

const ID_KEYS: ReadonlyArray<readonly [SpecialIdName, string]> = [
  ["bos", "bos_token_id"], ["eos", "eos_token_id"], ["eot", "eot_token_id"], ["eom", "eom_token_id"],
  ["unk", "unknown_token_id"], ["sep", "seperator_token_id"], ["pad", "padding_token_id"],
  ["mask", "mask_token_id"], ["fim_pre", "fim_pre_token_id"], ["fim_suf", "fim_suf_token_id"],
  ["fim_mid", "fim_mid_token_id"], ["fim_pad", "fim_pad_token_id"], ["fim_rep", "fim_rep_token_id"],
  ["fim_sep", "fim_sep_token_id"],
  // deprecated spellings, read after the new ones as llama.cpp does
  ["fim_pre", "prefix_token_id"], ["fim_suf", "suffix_token_id"], ["fim_mid", "middle_token_id"],
];

// Token texts llama.cpp recognises (llama-vocab.cpp, load): the first match wins for each id.
// The end-of-generation list leaves out "</s>", which newer llama.cpp adds (for PaddleOCR): it
// would turn Phi-3's USER_DEFINED "</s>" into a CONTROL token and change how Phi-3 text is
// tokenized compared with the llama.cpp that made the shared vectors. Models whose EOS is "</s>"
// still stop on it, as their EOS.
const EOT_TEXTS = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>",
  "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"];
const EOM_TEXTS = ["<|eom_id|>"];
const FIM_PRE_TEXTS = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];
const FIM_SUF_TEXTS = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];
const FIM_MID_TEXTS = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];
const FIM_PAD_TEXTS = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
const FIM_REP_TEXTS = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];
const FIM_SEP_TEXTS = ["<|file_sep|>"];
const EOG_TEXTS = new Set(["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
  "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
  "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["]);

/**
 * A loaded vocabulary. Fields use llama.cpp's names where it has them. Immutable after
 * construction; the encoders (spm.ts, bpe.ts, wordpiece.ts) read it.
 */
export class Vocab {
  readonly model: TokenizerModel;
  /** `tokenizer.ggml.pre` as given (undefined when absent). */
  readonly preName: string | undefined;
  /** The resolved BPE pre-tokenizer (undefined for SPM and WordPiece). */
  readonly pre: PreTokenizerConfig | undefined;
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  /** TokenAttr bits per token. */
  readonly attrs: Uint16Array;
  /** Token string -> id (llama.cpp's token_to_id). */
  readonly tokenToId: ReadonlyMap<string, number>;
  /** Longest token, in UTF-8 bytes. */
  readonly maxTokenLen: number;

  readonly bos: number;
  readonly eos: number;
  readonly eot: number;
  readonly eom: number;
  readonly unk: number;
  readonly sep: number;
  readonly pad: number;
  readonly mask: number;
  readonly fimPre: number;
  readonly fimSuf: number;
  readonly fimMid: number;
  readonly fimPad: number;
  readonly fimRep: number;
  readonly fimSep: number;

  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSep: boolean;
  readonly addSpacePrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  /** Replace ' ' with U+2581 before encoding (SPM, WordPiece); false for byte-level BPE. */
  readonly escapeWhitespaces: boolean;
  /** clean_up_tokenization_spaces, applied by `detokenize` when asked. */
  readonly cleanSpaces: boolean;
  /** BPE: emit a whole word as one token when it is in the vocabulary. */
  readonly ignoreMerges: boolean;
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  /** Tokens that end generation (EOS, EOT, EOM, FIM pad/rep/sep and known end-of-turn texts). */
  readonly eogIds: ReadonlySet<number>;
  /**
   * CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first (ties by id): the order in which
   * llama.cpp's tokenizer_st_partition looks for them in the input.
   */
  readonly specialTokens: Int32Array;

  constructor(spec: VocabSpec) {
    const model = spec.model;
    if (model !== "llama" && model !== "gpt2" && model !== "bert") {
      throw new GlassboxError("TOKENIZER_UNSUPPORTED", `unsupported tokenizer '${model}' (glassbox supports llama, gpt2, bert)`);
    }
    this.model = model;
    this.preName = spec.pre;
    const n = spec.tokens.length;
    if (n === 0) throw new GlassboxError("TOKENIZER_BAD_VOCAB", "vocabulary has no tokens");

    // model defaults (llama-vocab.cpp load)
    const ids: Record<SpecialIdName, number> = {
      bos: TOKEN_NULL, eos: TOKEN_NULL, eot: TOKEN_NULL, eom: TOKEN_NULL, unk: TOKEN_NULL, sep: TOKEN_NULL,
      pad: TOKEN_NULL, mask: TOKEN_NULL, fim_pre: TOKEN_NULL, fim_suf: TOKEN_NULL, fim_mid: TOKEN_NULL,
      fim_pad: TOKEN_NULL, fim_rep: TOKEN_NULL, fim_sep: TOKEN_NULL,
    };
    let addBos = false;
    let addEos = false;
    let addSep = false;
    let addSpacePrefix = false;
    let cleanSpaces = false;
    let ignoreMerges = false;
    let escapeWhitespaces = true;
    if (model === "llama") {
      Object.assign(ids, { bos: 1, eos: 2, unk: 0 });
      addSpacePrefix = true;
      addBos = true;
    } else if (model === "bert") {
      Object.assign(ids, { bos: 101, unk: 100, sep: 102, pad: 0, mask: 103 });
      addBos = true;
      addSep = true;
      cleanSpaces = true;
    } else {
      Object.assign(ids, { bos: 11, eos: 11 });
      this.pre = resolvePreTokenizer(spec.pre);
      escapeWhitespaces = false;
      cleanSpaces = this.pre.cleanSpaces;
      ignoreMerges = this.pre.ignoreMerges;
      if (this.pre.addBos) addBos = true;
      if (!spec.merges) throw new GlassboxError("TOKENIZER_BAD_VOCAB", "cannot find tokenizer merges (tokenizer.ggml.merges) for a gpt2 vocabulary");
    }
    if (spec.addSpacePrefix !== undefined) addSpacePrefix = spec.addSpacePrefix;
    this.removeExtraWhitespaces = spec.removeExtraWhitespaces ?? false;

    // tokens, scores, attributes
    this.tokens = spec.tokens;
    this.scores = new Float32Array(n);
    if (spec.scores) {
      if (spec.scores.length < n) throw new GlassboxError("TOKENIZER_BAD_VOCAB", `scores has ${spec.scores.length} entries for ${n} tokens`);
      for (let i = 0; i < n; i++) this.scores[i] = spec.scores[i]!;
    }
    const attrs = new Uint16Array(n).fill(TokenAttr.NORMAL);
    if (spec.tokenTypes) {
      if (spec.tokenTypes.length < n) throw new GlassboxError("TOKENIZER_BAD_VOCAB", `token_type has ${spec.tokenTypes.length} entries for ${n} tokens`);
      for (let i = 0; i < n; i++) attrs[i] = typeToAttr(spec.tokenTypes[i]!);
    }
    const tokenToId = new Map<string, number>();
    let maxLen = 0;
    for (let i = 0; i < n; i++) {
      const t = spec.tokens[i]!;
      // llama.cpp renames empty tokens so that token_to_id stays one-to-one
      tokenToId.set(t === "" ? `[EMPTY_${i}]` : t, i);
      const len = vocabStringByteLength(t);
      if (len > maxLen) maxLen = len;
    }
    if (tokenToId.size !== n) throw new GlassboxError("TOKENIZER_BAD_VOCAB", `vocabulary has duplicate token strings (${n - tokenToId.size} duplicates)`);
    this.tokenToId = tokenToId;
    this.maxTokenLen = maxLen;

    // special ids from metadata, when in range
    for (const k of Object.keys(ids) as SpecialIdName[]) if (ids[k] >= n) ids[k] = TOKEN_NULL;
    for (const [k] of ID_KEYS) {
      const v = spec.ids?.[k];
      if (v !== undefined && v >= 0 && v < n) ids[k] = v;
    }
    if (spec.addBos !== undefined) addBos = spec.addBos;
    if (spec.addEos !== undefined) addEos = spec.addEos;
    if (spec.addSep !== undefined) addSep = spec.addSep;
    this.lowercase = spec.lowercase ?? true;
    this.stripAccents = spec.stripAccents ?? this.lowercase;

    // detect special tokens by text (first match in token_to_id order; we use id order)
    const markControl = (id: number): void => {
      attrs[id] = attrs[id]! | TokenAttr.CONTROL;
    };
    const detect = (key: SpecialIdName, texts: readonly string[]): void => {
      if (ids[key] !== TOKEN_NULL) return;
      for (const t of texts) {
        const id = tokenToId.get(t);
        if (id !== undefined) {
          ids[key] = id;
          markControl(id);
          return;
        }
      }
    };
    detect("eot", EOT_TEXTS);
    detect("eom", EOM_TEXTS);
    detect("fim_pre", FIM_PRE_TEXTS);
    detect("fim_suf", FIM_SUF_TEXTS);
    detect("fim_mid", FIM_MID_TEXTS);
    detect("fim_pad", FIM_PAD_TEXTS);
    detect("fim_rep", FIM_REP_TEXTS);
    detect("fim_sep", FIM_SEP_TEXTS);

    // control tokens whose text says "unused" are unused
    for (let i = 0; i < n; i++) {
      if (attrs[i]! & TokenAttr.CONTROL && !(attrs[i]! & TokenAttr.UNUSED) && spec.tokens[i]!.includes("unused")) {
        attrs[i] = attrs[i]! | TokenAttr.UNUSED;
      }
    }

    // end-of-generation set
    const eog = new Set<number>();
    for (const k of ["fim_pad", "fim_rep", "fim_sep"] as const) if (ids[k] !== TOKEN_NULL) eog.add(ids[k]);
    for (const t of EOG_TEXTS) {
      const id = tokenToId.get(t);
      if (id !== undefined) {
        eog.add(id);
        markControl(id);
      }
    }
    for (const k of ["eos", "eot", "eom"] as const) if (ids[k] !== TOKEN_NULL) eog.add(ids[k]);
    // gpt-oss / solar-open: "<|end|>" is not end-of-generation when "<|return|>"+"<|call|>" (or "<|calls|>"+"<|flush|>") exist
    const has = (t: string): boolean => { const id = tokenToId.get(t); return id !== undefined && eog.has(id); };
    const endId = tokenToId.get("<|end|>");
    if (endId !== undefined && eog.has(endId) &&
      ((has("<|return|>") && (has("<|call|>") || has("<|calls|>"))) || ((has("<|call|>") || has("<|calls|>")) && has("<|flush|>")))) {
      eog.delete(endId);
      attrs[endId] = TokenAttr.USER_DEFINED;
    }
    const sId = tokenToId.get("</s>");
    if (sId !== undefined && eog.has(sId) && has("<|tool_response>")) {
      eog.delete(sId);
      attrs[sId] = TokenAttr.NORMAL;
    }
    this.eogIds = eog;

    // special-token cache: CONTROL | USER_DEFINED | UNKNOWN, longest text first
    const special: number[] = [];
    for (let i = 0; i < n; i++) {
      if (attrs[i]! & (TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN)) special.push(i);
    }
    const byteLen = special.map((id) => vocabStringByteLength(spec.tokens[id]!));
    const order = special.map((_, k) => k).sort((a, b) => byteLen[b]! - byteLen[a]! || special[a]! - special[b]!);
    this.specialTokens = Int32Array.from(order.map((k) => special[k]!));

    // per-token strip flags by model name (llama.cpp sets these for Phi-3)
    const lname = (spec.name ?? "").toLowerCase();
    if (lname.includes("phi-3") || lname.includes("phi3")) {
      for (const id of this.specialTokens) attrs[id] = attrs[id]! | TokenAttr.RSTRIP;
      const set = (t: string, on: boolean): void => {
        const id = tokenToId.get(t);
        if (id === undefined) return;
        attrs[id] = on ? attrs[id]! | TokenAttr.RSTRIP : attrs[id]! & ~TokenAttr.RSTRIP;
      };
      set("</s>", true);
      for (const t of ["<unk>", "<s>", "<|endoftext|>"]) set(t, false);
    }
    this.attrs = attrs;

    this.bos = ids.bos; this.eos = ids.eos; this.eot = ids.eot; this.eom = ids.eom; this.unk = ids.unk;
    this.sep = ids.sep; this.pad = ids.pad; this.mask = ids.mask;
    this.fimPre = ids.fim_pre; this.fimSuf = ids.fim_suf; this.fimMid = ids.fim_mid;
    this.fimPad = ids.fim_pad; this.fimRep = ids.fim_rep; this.fimSep = ids.fim_sep;
    this.addBos = addBos;
    this.addEos = addEos;
    this.addSep = addSep;
    this.addSpacePrefix = addSpacePrefix;
    this.escapeWhitespaces = escapeWhitespaces;
    this.cleanSpaces = cleanSpaces;
    this.ignoreMerges = ignoreMerges;
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Token id of an exact vocabulary string, or TOKEN_NULL. */
  textToToken(text: string): number {
    return this.tokenToId.get(text) ?? TOKEN_NULL;
  }
}

function typeToAttr(t: number): number {
  switch (t) {
    case TokenType.UNKNOWN: return TokenAttr.UNKNOWN;
    case TokenType.UNUSED: return TokenAttr.UNUSED;
    case TokenType.NORMAL: return TokenAttr.NORMAL;
    case TokenType.CONTROL: return TokenAttr.CONTROL;
    case TokenType.USER_DEFINED: return TokenAttr.USER_DEFINED;
    case TokenType.BYTE: return TokenAttr.BYTE;
    default: return TokenAttr.UNDEFINED;
  }
}

// ---------------------------------------------------------------------------------------------
// GGUF -> VocabSpec

function isArray(v: GgufValue | undefined): v is GgufArray {
  return typeof v === "object" && v !== null && "items" in v;
}

function stringArray(file: GgufFile, key: string, required: boolean): string[] | undefined {
  const v = file.get(key);
  if (v === undefined) {
    if (required) throw new GlassboxError("TOKENIZER_BAD_VOCAB", `cannot find ${key} in the GGUF metadata`);
    return undefined;
  }
  if (!isArray(v) || !Array.isArray(v.items) || (v.items.length > 0 && typeof v.items[0] !== "string")) {
    throw new GlassboxError("TOKENIZER_BAD_VOCAB", `${key} must be an array of strings`);
  }
  return v.items as string[];
}

function numericArray(file: GgufFile, key: string): ArrayLike<number> | undefined {
  const v = file.get(key);
  if (v === undefined) return undefined;
  if (!isArray(v) || Array.isArray(v.items) || v.items instanceof BigInt64Array || v.items instanceof BigUint64Array) {
    throw new GlassboxError("TOKENIZER_BAD_VOCAB", `${key} must be an array of 32-bit numbers`);
  }
  return v.items;
}

function str(file: GgufFile, key: string): string | undefined {
  const v = file.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new GlassboxError("TOKENIZER_BAD_VOCAB", `${key} must be a string`);
  return v;
}

function bool(file: GgufFile, key: string): boolean | undefined {
  const v = file.get(key);
  if (v === undefined) return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  throw new GlassboxError("TOKENIZER_BAD_VOCAB", `${key} must be a boolean`);
}

function uint(file: GgufFile, key: string): number | undefined {
  const v = file.get(key);
  if (v === undefined) return undefined;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint") return Number(v);
  throw new GlassboxError("TOKENIZER_BAD_VOCAB", `${key} must be an integer`);
}

/**
 * Reads the `tokenizer.ggml.*` metadata of a GGUF file into a VocabSpec.
 * Throws GlassboxError TOKENIZER_BAD_VOCAB for missing or mistyped keys.
 */
export function vocabSpecFromGguf(file: GgufFile): VocabSpec {
  const model = str(file, "tokenizer.ggml.model");
  if (model === undefined) throw new GlassboxError("TOKENIZER_BAD_VOCAB", "cannot find tokenizer.ggml.model in the GGUF metadata");
  const tokens = stringArray(file, "tokenizer.ggml.tokens", true)!;
  const scores = numericArray(file, "tokenizer.ggml.scores");
  const types = numericArray(file, "tokenizer.ggml.token_type");
  const ids: Partial<Record<SpecialIdName, number>> = {};
  for (const [name, key] of ID_KEYS) {
    const v = uint(file, `tokenizer.ggml.${key}`);
    if (v !== undefined && v >= 0 && v < tokens.length) ids[name] = v;
  }
  const spec: VocabSpec = {
    model,
    tokens,
    ids,
    scores: scores ? Float32Array.from(scores) : undefined,
    tokenTypes: types ? Int32Array.from(types) : undefined,
    merges: model === "gpt2" ? stringArray(file, "tokenizer.ggml.merges", false) : undefined,
  };
  const set = <K extends keyof VocabSpec>(k: K, v: VocabSpec[K] | undefined): void => {
    if (v !== undefined) spec[k] = v;
  };
  set("pre", str(file, "tokenizer.ggml.pre"));
  set("addBos", bool(file, "tokenizer.ggml.add_bos_token"));
  set("addEos", bool(file, "tokenizer.ggml.add_eos_token"));
  set("addSep", bool(file, "tokenizer.ggml.add_sep_token"));
  set("addSpacePrefix", bool(file, "tokenizer.ggml.add_space_prefix"));
  set("removeExtraWhitespaces", bool(file, "tokenizer.ggml.remove_extra_whitespaces"));
  set("lowercase", bool(file, "tokenizer.ggml.normalizer.lowercase"));
  set("stripAccents", bool(file, "tokenizer.ggml.normalizer.strip_accents"));
  set("name", str(file, "general.name"));
  return spec;
}
