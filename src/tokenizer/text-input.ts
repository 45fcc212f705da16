/**
 * Reading the text to tokenize or train on. Tokenizers here work on JS strings, so bytes that are
 * not UTF-8 would silently become U+FFFD and give other tokens than llama.cpp, which sees the raw
 * bytes. They are an error instead, naming the first bad byte. A leading byte-order mark is kept
 * as U+FEFF (it is text the model would see).
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { GlassboxError } from "../errors.js";
import { firstInvalidUtf8 } from "../util/utf8.js";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes `bytes` as UTF-8. `what` names the source in the message ("notes.txt", "standard input").
 * Throws GlassboxError `TEXT_NOT_UTF8` with the offset of the first byte that starts no valid
 * UTF-8 sequence (Unicode table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
 */
export function decodeUtf8Text(bytes: Uint8Array, what: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    const b = bytes[at] ?? 0;
    throw new GlassboxError(
      "TEXT_NOT_UTF8",
      `${what} is not UTF-8 text: byte 0x${b.toString(16).toUpperCase().padStart(2, "0")} starts no valid UTF-8 sequence (convert it to UTF-8 first)`,
      { offset: at },
    );
  }
}

function readError(what: string, e: unknown): GlassboxError {
  const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
  const reason = (e as NodeJS.ErrnoException).code === "EISDIR" ? "it is a directory, not a file" : (e as Error).message;
  return new GlassboxError(code, `cannot read ${what}: ${reason}`, { cause: e });
}

/**
 * Reads a UTF-8 text file, or standard input when `path` is the descriptor 0. Throws
 * FILE_NOT_FOUND, FILE_IO (a directory, no permission) or TEXT_NOT_UTF8.
 */
export function readTextFileSync(path: string | 0): string {
  const what = path === 0 ? "standard input" : `'${path}'`;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw readError(what, e);
  }
  return decodeUtf8Text(bytes, what);
}

/** Async readTextFileSync for a path (same errors). */
export async function readTextFile(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw readError(`'${path}'`, e);
  }
  return decodeUtf8Text(bytes, `'${path}'`);
}
