// `glassbox tokenize <model.gguf> [text]`: the model's tokens for a text, with their pieces.
import type { Command } from "commander";
import { GgufFile } from "../formats/gguf/index.js";
import { describeTokens, printablePiece } from "../tokenizer/describe.js";
import { Tokenizer } from "../tokenizer/index.js";
import { readTextFileSync } from "../tokenizer/text-input.js";
import { printableText } from "./format.js";

interface TokenizeOptions {
  json?: boolean;
  count?: boolean;
  special: boolean;
  parseSpecial?: boolean;
  file?: string;
}

export function registerTokenize(program: Command): void {
  program
    .command("tokenize")
    .description(
      "Tokenize text with a GGUF model's tokenizer (read from its metadata; a vocabulary-only GGUF works). " +
        "Prints each token's id, piece and byte length, as llama.cpp's llama_tokenize would produce them. " +
        "Without text (and without --file) the text is read from standard input.",
    )
    .argument("<model>", "a .gguf file")
    .argument("[text]", "the text to tokenize")
    .option("--json", 'print {"tokens":[{"id","piece","bytes"}]}: piece is the text, or the byte values when the piece is not valid UTF-8 (llama.cpp server convention); bytes is always the byte values')
    .option("--count", 'print only the number of tokens (with --json: {"count": n})')
    .option("--no-special", "do not add BOS/EOS (or [CLS]/[SEP]) tokens")
    .option("--parse-special", "treat special-token text in the input (e.g. <|im_start|>) as those tokens")
    .option("--file <path>", "read the text from a UTF-8 file (not together with a text argument)")
    .action((model: string, text: string | undefined, opts: TokenizeOptions, command: Command) => {
      if (opts.file !== undefined && text !== undefined) command.error("give the text as an argument or with --file, not both");
      const input = readTextFileOr(text, opts.file);
      const file = GgufFile.open(model);
      let tok: Tokenizer;
      try {
        tok = Tokenizer.fromGguf(file);
      } finally {
        file.close();
      }
      const ids = tok.encode(input, { addSpecial: opts.special, parseSpecial: !!opts.parseSpecial });
      if (opts.count) {
        process.stdout.write(opts.json ? `${JSON.stringify({ count: ids.length })}\n` : `${ids.length}\n`);
        return;
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ tokens: describeTokens(tok, ids) }) + "\n");
        return;
      }
      // A loop, not Math.max(...ids): spreading a long text's hundreds of thousands of ids overflows the stack.
      let maxId = 0;
      for (const id of ids) if (id > maxId) maxId = id;
      const idWidth = Math.max(2, String(maxId).length);
      const lines = [`${"id".padStart(idWidth)}  bytes  piece`];
      for (const id of ids) {
        const b = tok.tokenToPiece(id);
        lines.push(`${String(id).padStart(idWidth)}  ${String(b.length).padStart(5)}  ${printableText(printablePiece(b))}`);
      }
      lines.push(`${ids.length} token${ids.length === 1 ? "" : "s"}`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}

/** The text argument, else the --file, else standard input (files and stdin must be UTF-8). */
function readTextFileOr(text: string | undefined, file: string | undefined): string {
  if (file !== undefined) return readTextFileSync(file);
  return text ?? readTextFileSync(0);
}
