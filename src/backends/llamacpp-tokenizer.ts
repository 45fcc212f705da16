/**
 * The llamacpp backend's tokenizer: a thin adapter over llama.cpp's own (LlamaModel.tokenize /
 * detokenize of node-llama-cpp), shaped as a BackendTokenizer.
 */
import type { StreamDecoderLike } from "../generate/index.js";
import type { BackendEncodeOptions, BackendTokenizer } from "./backend.js";
import type { NlcModel, NlcToken } from "./node-llama-cpp.js";

/** Longest run of tokens held back while their text ends in an incomplete UTF-8 character. */
const MAX_HELD_TOKENS = 4;
/** Tokens of already-emitted text given to detokenize as context (spacing rules). */
const CONTEXT_TOKENS = 8;

/**
 * Streaming detokenizer over llama.cpp's detokenize: the text of the tokens pushed since the last
 * emission is decoded with the previous tokens as context (node-llama-cpp's `lastTokens`), and
 * held back while it ends in U+FFFD (a character whose bytes are split across tokens), at most
 * MAX_HELD_TOKENS tokens.
 */
class LlamaCppStreamDecoder implements StreamDecoderLike {
  private readonly done: NlcToken[] = [];
  private pending: NlcToken[] = [];

  constructor(private readonly model: NlcModel) {}

  push(id: number): string {
    this.pending.push(id);
    const text = this.decodePending();
    if (text.endsWith("\uFFFD") && this.pending.length < MAX_HELD_TOKENS) return "";
    this.release();
    return text;
  }

  flush(): string {
    if (this.pending.length === 0) return "";
    const text = this.decodePending();
    this.release();
    return text;
  }

  private decodePending(): string {
    const ctx = this.done.length > 0 ? this.done.slice(-CONTEXT_TOKENS) : undefined;
    return this.model.detokenize(this.pending, false, ctx);
  }

  private release(): void {
    this.done.push(...this.pending);
    if (this.done.length > 4 * CONTEXT_TOKENS) this.done.splice(0, this.done.length - CONTEXT_TOKENS);
    this.pending = [];
  }
}

/** BackendTokenizer over a node-llama-cpp LlamaModel. */
export class LlamaCppTokenizer implements BackendTokenizer {
  readonly bosText: string;
  readonly eosText: string;
  readonly addBos: boolean;

  constructor(private readonly model: NlcModel) {
    const t = model.tokens;
    this.bosText = t.bos !== null ? t.bosString ?? "" : "";
    this.eosText = t.eos !== null ? t.eosString ?? "" : "";
    this.addBos = t.shouldPrependBosToken && t.bos !== null;
  }

  /**
   * llama_tokenize(text, add_special, parse_special): llama.cpp's tokenizer, then BOS in front
   * and EOS at the end when `addSpecial` (default true) and the model asks for them.
   */
  encode(text: string, opts: BackendEncodeOptions = {}): Int32Array {
    const ids = this.model.tokenize(text, opts.parseSpecial ?? false);
    const t = this.model.tokens;
    const addSpecial = opts.addSpecial ?? true;
    const bos = addSpecial && this.addBos ? 1 : 0;
    const eos = addSpecial && t.shouldAppendEosToken && t.eos !== null ? 1 : 0;
    const out = new Int32Array(ids.length + bos + eos);
    if (bos) out[0] = t.bos!;
    out.set(ids, bos);
    if (eos) out[out.length - 1] = t.eos!;
    return out;
  }

  /** llama_detokenize(ids, remove_special = false, unparse_special = false). */
  decode(ids: ArrayLike<number>): string {
    return this.model.detokenize(Array.from(ids), false);
  }

  createStreamDecoder(): StreamDecoderLike {
    return new LlamaCppStreamDecoder(this.model);
  }

  /** llama_vocab_is_eog. */
  isEog(id: number): boolean {
    return this.model.isEogToken(id);
  }
}
