/**
 * The public tokenizer: text <-> token ids for a GGUF model's vocabulary, reproducing
 * llama.cpp's `llama_tokenize` / `llama_detokenize` / `llama_token_to_piece` exactly
 * (src/llama-vocab.cpp, `llama_vocab::impl::tokenize`).
 *
 * ```ts
 * const tok = Tokenizer.fromGguf(GgufFile.open("model.gguf"));
 * const ids = tok.encode("Hello world");          // Int32Array, BOS added if the model wants it
 * tok.decode(ids);                                 // "Hello world"
 * const s = tok.createStreamDecoder();             // for generation loops
 * ```
 */
import { GlassboxError } from "../errors.js";
import type { GgufFile } from "../formats/gguf/index.js";
import { BpeEncoder } from "./bpe.js";
import { IdBuffer } from "./merge-queue.js";
import { cleanUpSpaces, PieceTable, type DetokenizeOptions } from "./pieces.js";
import { SpecialTokenSplitter } from "./special.js";
import { SpmEncoder } from "./spm.js";
import { StreamDecoder, type StreamDecoderOptions } from "./stream.js";
import { toWellFormed } from "./unicode.js";
import { TOKEN_NULL, TokenAttr, Vocab, vocabSpecFromGguf, type TokenizerModel, type VocabSpec } from "./vocab.js";
import { WordPieceEncoder } from "./wordpiece.js";

/** Options of `Tokenizer.encode`. */
export interface EncodeOptions {
  /**
   * Add the model's BOS/EOS (or [CLS]/[SEP] for BERT) as its metadata asks (default true).
   * Same as llama_tokenize's `add_special`.
   */
  addSpecial?: boolean;
  /**
   * Recognise the text of CONTROL tokens (e.g. "<|im_start|>", "<s>") in the input as those
   * tokens (default false: they are tokenized as plain text). USER_DEFINED tokens are always
   * recognised. Same as llama_tokenize's `parse_special`.
   */
  parseSpecial?: boolean;
}

/** Options of `Tokenizer.decode`; see DetokenizeOptions. */
export type DecodeOptions = DetokenizeOptions;

const textDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Text <-> token ids for one vocabulary. Build it with `Tokenizer.fromGguf(file)` or
 * `new Tokenizer(spec)`. Token ids are plain numbers in [0, vocabSize); -1 means "none".
 */
export class Tokenizer {
  readonly vocab: Vocab;
  private readonly pieces: PieceTable;
  private readonly special: SpecialTokenSplitter;
  private readonly spm: SpmEncoder | undefined;
  private readonly bpe: BpeEncoder | undefined;
  private readonly wpm: WordPieceEncoder | undefined;
  private nlId: number | undefined;
  /** Reused output buffer (encode is synchronous and copies out of it). */
  private readonly scratch = new IdBuffer();

  /** Builds a tokenizer from vocabulary data; see VocabSpec. Throws GlassboxError (TOKENIZER_*). */
  constructor(spec: VocabSpec) {
    this.vocab = new Vocab(spec);
    this.pieces = new PieceTable(this.vocab);
    this.special = new SpecialTokenSplitter(this.vocab);
    if (this.vocab.model === "llama") this.spm = new SpmEncoder(this.vocab);
    else if (this.vocab.model === "gpt2") this.bpe = new BpeEncoder(this.vocab, spec.merges ?? []);
    else this.wpm = new WordPieceEncoder(this.vocab);
  }

  /**
   * Builds the tokenizer of a GGUF file from its `tokenizer.ggml.*` metadata alone (a
   * vocabulary-only GGUF works). Throws GlassboxError TOKENIZER_UNSUPPORTED for tokenizer
   * models other than llama / gpt2 / bert and unknown pre-tokenizers, TOKENIZER_BAD_VOCAB for
   * missing or malformed metadata.
   */
  static fromGguf(file: GgufFile): Tokenizer {
    return new Tokenizer(vocabSpecFromGguf(file));
  }

  /** `tokenizer.ggml.model`: "llama" (SPM), "gpt2" (byte-level BPE) or "bert" (WordPiece). */
  get model(): TokenizerModel {
    return this.vocab.model;
  }

  /** Resolved pre-tokenizer type for BPE vocabularies (e.g. "gpt2", "llama3"), else undefined. */
  get preTokenizer(): string | undefined {
    return this.vocab.pre?.type;
  }

  /** Number of tokens (n_vocab). */
  get vocabSize(): number {
    return this.vocab.size;
  }

  /** Beginning-of-sequence token ([CLS] for BERT), or -1. */
  get bos(): number { return this.vocab.bos; }
  /** End-of-sequence token, or -1. */
  get eos(): number { return this.vocab.eos; }
  /** End-of-turn token, or -1. */
  get eot(): number { return this.vocab.eot; }
  /** Unknown token, or -1. */
  get unk(): number { return this.vocab.unk; }
  /** Padding token, or -1. */
  get pad(): number { return this.vocab.pad; }
  /** Separator token ([SEP] for BERT), or -1. */
  get sep(): number { return this.vocab.sep; }
  /** Classification token: BERT's [CLS] is its BOS; -1 for other models. */
  get cls(): number { return this.vocab.model === "bert" ? this.vocab.bos : TOKEN_NULL; }
  /** Mask token, or -1. */
  get mask(): number { return this.vocab.mask; }
  /** Whether `encode` adds BOS ([CLS]) by default. */
  get addBos(): boolean { return this.vocab.model === "bert" ? true : this.vocab.addBos; }
  /** Whether `encode` adds EOS ([SEP] for BERT) by default. */
  get addEos(): boolean { return this.vocab.model === "bert" ? true : this.vocab.addEos; }
  /** The vocabulary's clean_up_tokenization_spaces flag (what llama_detokenize applies). */
  get cleanSpaces(): boolean { return this.vocab.cleanSpaces; }

  /** Newline token (first token of "\n"), as llama.cpp's linefeed_id; -1 if none. */
  get nl(): number {
    if (this.nlId === undefined) {
      if (this.vocab.model === "llama") this.nlId = this.spm!.byteToken(0x0a);
      else if (this.vocab.model === "bert") this.nlId = this.vocab.pad;
      else this.nlId = this.encode("\n", { addSpecial: false })[0] ?? this.vocab.pad;
    }
    return this.nlId;
  }

  /** True when `id` ends generation (EOS, EOT, EOM and other end-of-turn tokens). */
  isEog(id: number): boolean {
    return this.vocab.eogIds.has(id);
  }

  /** True for CONTROL tokens (e.g. <s>, <|im_start|>). */
  isControl(id: number): boolean {
    return (this.vocab.attrs[id] ?? 0) & TokenAttr.CONTROL ? true : false;
  }

  /** The token's attribute bits (TokenAttr). Throws TOKEN_OUT_OF_RANGE for a bad id. */
  tokenAttr(id: number): number {
    this.pieces.piece(id);
    return this.vocab.attrs[id]!;
  }

  /** The token's vocabulary string, as stored in the GGUF (e.g. "▁Hello", "Ġworld", "<0x0A>"). */
  tokenText(id: number): string {
    this.pieces.piece(id);
    return this.vocab.tokens[id]!;
  }

  /** The token's SPM score (0 when the vocabulary has none). */
  tokenScore(id: number): number {
    this.pieces.piece(id);
    return this.vocab.scores[id]!;
  }

  /** Id of an exact vocabulary string, or -1. */
  textToToken(text: string): number {
    return this.vocab.textToToken(text);
  }

  /**
   * The bytes a token stands for: llama_token_to_piece(id, lstrip = 0, special = true). May be
   * part of a UTF-8 character (byte tokens, byte-level BPE pieces). Returns a fresh copy.
   * Throws TOKEN_OUT_OF_RANGE.
   */
  tokenToPiece(id: number): Uint8Array {
    return this.pieces.piece(id).slice();
  }

  /**
   * Tokenizes text. Returns a fresh Int32Array of token ids. Lone UTF-16 surrogates in `text`
   * are treated as U+FFFD (what their UTF-8 encoding would be).
   * Source: llama-vocab.cpp `llama_vocab::impl::tokenize`.
   */
  encode(text: string, opts: EncodeOptions = {}): Int32Array {
    const addSpecial = opts.addSpecial ?? true;
    const parseSpecial = opts.parseSpecial ?? false;
    const v = this.vocab;
    text = toWellFormed(text);
    const frags = this.special.partition(text, parseSpecial);
    const out = this.scratch;
    out.length = 0;
    const need = (id: number, what: string): number => {
      if (id === TOKEN_NULL) throw new GlassboxError("TOKENIZER_NO_SPECIAL", `the vocabulary asks for ${what} but has no such token`);
      return id;
    };
    if (v.model === "llama") {
      let prevSpecial = true;
      if (addSpecial && v.addBos) out.push(need(v.bos, "BOS"));
      for (const f of frags) {
        if (typeof f === "number") {
          out.push(f);
          prevSpecial = true;
          continue;
        }
        let s = text.slice(f.start, f.end);
        if (v.addSpacePrefix && prevSpecial) s = " " + s;
        this.spm!.encode(s.replaceAll(" ", "\u2581"), out);
        prevSpecial = false;
      }
      if (addSpecial && v.addEos) out.push(need(v.eos, "EOS"));
    } else if (v.model === "gpt2") {
      if (addSpecial && v.addBos) out.push(need(v.bos, "BOS"));
      for (const f of frags) {
        if (typeof f === "number") out.push(f);
        else this.bpe!.encode(text.slice(f.start, f.end), out);
      }
      if (addSpecial && v.addEos) out.push(need(v.eos, "EOS"));
    } else {
      if (addSpecial) out.push(need(v.bos, "[CLS]"));
      for (const f of frags) {
        if (typeof f === "number") out.push(f);
        else this.wpm!.encode(text.slice(f.start, f.end), out);
      }
      if (addSpecial) out.push(need(v.sep, "[SEP]"));
    }
    return out.toInt32Array();
  }

  /**
   * Number of tokens `encode(text, opts)` gives.
   */
  count(text: string, opts: EncodeOptions = {}): number {
    return this.encode(text, opts).length;
  }

  /**
   * Token ids -> UTF-8 bytes, exactly llama_detokenize(ids, removeSpecial, unparseSpecial)
   * (plus clean_up_tokenization_spaces when `cleanSpaces`). Throws TOKEN_OUT_OF_RANGE.
   */
  decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    return this.pieces.detokenize(ids, opts);
  }

  /**
   * Token ids -> text. Defaults: keep BOS/EOS (rendered as nothing, as control tokens are),
   * no space clean-up, so `decode(encode(x, { addSpecial: false })) === x` for text the
   * vocabulary can represent. Pass `{ cleanSpaces: tok.cleanSpaces }` to get exactly what
   * llama_detokenize returns. Invalid UTF-8 (a truncated byte sequence) becomes U+FFFD.
   */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    return textDecoder.decode(this.pieces.detokenize(ids, opts));
  }

  /** A streaming detokenizer for generated tokens; see StreamDecoder. */
  createStreamDecoder(opts: StreamDecoderOptions = {}): StreamDecoder {
    return new StreamDecoder(this.vocab, this.pieces, opts);
  }
}

export { cleanUpSpaces };
