// Tokenizers built from GGUF metadata: SPM ("llama"), byte-level BPE ("gpt2"), WordPiece ("bert").
export { Tokenizer, type EncodeOptions, type DecodeOptions } from "./tokenizer.js";
export { StreamDecoder, type StreamDecoderOptions } from "./stream.js";
export { cleanUpSpaces, type DetokenizeOptions } from "./pieces.js";
export {
  Vocab, vocabSpecFromGguf, TOKEN_NULL, TokenAttr, TokenType,
  type VocabSpec, type SpecialIdName, type TokenizerModel,
} from "./vocab.js";
export { resolvePreTokenizer, supportedPreTokenizers, PreTokenizer, type PreTokenizerConfig } from "./pretokenizers.js";
export * from "./describe.js";
export * from "./train.js";
export * from "./train-gguf.js";
export * from "./train-files.js";
export { ByteLevelBpeEncoder } from "./train-encode.js";
export { decodeUtf8Text, readTextFile, readTextFileSync } from "./text-input.js";
