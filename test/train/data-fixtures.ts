/** Shared fixtures of the training-data tests: a tiny BPE tokenizer with ChatML specials, temp dirs. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { serializeTrainedBpeGguf } from "../../src/tokenizer/train-gguf.js";
import { trainBpe } from "../../src/tokenizer/train.js";

const CORPUS = [
  "The whale swam in the sea. The ship sailed on the water and the captain watched the whale.",
  "Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about.",
  "user assistant system hello how are you? I am fine, thank you. What is the answer? It is four.",
];

let cached: Tokenizer | undefined;

/**
 * A byte-level BPE tokenizer (about 320 tokens) trained on a few sentences, with CONTROL tokens
 * <|endoftext|> (id 0, BOS = EOS), <|im_start|> (1) and <|im_end|> (2); add_bos_token false.
 */
export function tinyTokenizer(): Tokenizer {
  if (!cached) {
    const bpe = trainBpe(CORPUS, { vocabSize: 320, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] });
    cached = Tokenizer.fromGguf(GgufFile.fromBytes(serializeTrainedBpeGguf(bpe)));
  }
  return cached;
}

const made: string[] = [];
process.on("exit", () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-data-"));
  made.push(dir);
  return dir;
}

/** A fresh temporary directory with `files` (relative path -> content) written into it. */
export function tempDataDir(files: Record<string, string | Uint8Array>): string {
  const dir = tempDir();
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}
