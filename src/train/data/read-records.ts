/**
 * Reads data files into records, reporting every bad one with file and line.
 *
 * Formats (DataFormat), chosen per file when `format` is "auto" (the default):
 * - "text": the whole file is one document (or pieces of about `splitTextChars` characters, cut
 *   at a blank line, else a line end, else anywhere). Chosen for every extension but the JSONL
 *   ones.
 * - "jsonl": one JSON object per line with a string "text" field (other fields ignored).
 * - "chat": one JSON object per line with "messages" (see chat-record.ts).
 * Files ending in .jsonl / .ndjson are JSONL; auto picks "chat" or "jsonl" from the first line
 * that is a JSON object with a "messages" or a "text" field (default "jsonl").
 *
 * Bad records: a text file that is empty, whitespace only or not valid UTF-8; a JSONL line that
 * is not valid UTF-8 or JSON, is not an object, lacks the field, has an empty text or an invalid
 * conversation; anything longer than `maxRecordChars`. Blank JSONL lines are not records (they
 * are counted in `blankLines`). A UTF-8 byte-order mark at the start of a file is ignored.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { GlassboxError } from "../../errors.js";
import { firstInvalidUtf8 } from "../../util/utf8.js";
import type { BadRecordLog } from "./bad-records.js";
import { parseChatRecord } from "./chat-record.js";
import type { DataFormat, DataRecord } from "./types.js";
import { decodeUtf8Strict, lineAtByte } from "./utf8.js";

/** Options of readDataFile. */
export interface ReadRecordsOptions {
  /** Force one format for every file (default "auto": by extension and first record). */
  format?: DataFormat | "auto";
  /** Records longer than this many UTF-16 code units (characters) are bad. Default: no limit. */
  maxRecordChars?: number;
  /** Cut plain-text files into pieces of about this many characters (default: whole files). */
  splitTextChars?: number;
}

/** What reading one file gave. */
export interface FileRecords {
  readonly format: DataFormat;
  readonly records: DataRecord[];
  /** Records found (good and bad). */
  readonly read: number;
  /** Blank lines of a JSONL file (not records). */
  readonly blankLines: number;
}

const JSONL_EXTENSIONS = [".jsonl", ".ndjson"];

function ioError(path: string, e: unknown): GlassboxError {
  const code = (e as NodeJS.ErrnoException)?.code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
  return new GlassboxError(code, `cannot read ${path}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x0b || c === 0x0c;
}

/**
 * Cuts `text` into pieces of at most about `max` characters: each cut goes after the last blank
 * line ("\n\n") in the window, else after the last "\n", else at `max` (never inside a surrogate
 * pair); whitespace after a cut stays with the piece before it. Returns [start, end) pairs.
 */
export function cutText(text: string, max: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  while (start < text.length) {
    let end = text.length;
    if (text.length - start > max) {
      const window = text.slice(start, start + max);
      let cut = window.lastIndexOf("\n\n");
      if (cut > 0) cut += 2;
      else {
        cut = window.lastIndexOf("\n");
        cut = cut > 0 ? cut + 1 : max;
      }
      end = start + cut;
      const c = text.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff && end - start > 1) end--;
      while (end < text.length && isWhitespace(text.charCodeAt(end))) end++;
    }
    out.push([start, end]);
    start = end;
  }
  return out;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

function readTextFile(
  file: string, fileIndex: number, bytes: Uint8Array, bad: BadRecordLog, o: ReadRecordsOptions,
): FileRecords {
  const text = decodeUtf8Strict(bytes);
  const records: DataRecord[] = [];
  if (text === undefined) {
    const at = firstInvalidUtf8(bytes);
    bad.report(file, lineAtByte(bytes, Math.max(0, at)), `not valid UTF-8 (byte ${at})`);
    return { format: "text", records, read: 1, blankLines: 0 };
  }
  if (text.trim() === "") {
    bad.report(file, 1, "empty text");
    return { format: "text", records, read: 1, blankLines: 0 };
  }
  const max = o.splitTextChars;
  if (max === undefined) {
    if (o.maxRecordChars !== undefined && text.length > o.maxRecordChars) {
      bad.report(file, 1, `text of ${text.length} characters is longer than the limit of ${o.maxRecordChars}`);
    } else {
      records.push({ kind: "text", text, file, line: 1, part: -1, fileIndex });
    }
    return { format: "text", records, read: 1, blankLines: 0 };
  }
  const pieces = cutText(text, max);
  let line = 1;
  let prev = 0;
  pieces.forEach(([s, e], part) => {
    line += countNewlines(text, prev, s);
    prev = s;
    const piece = text.slice(s, e);
    if (o.maxRecordChars !== undefined && piece.length > o.maxRecordChars) {
      bad.report(file, line, `text of ${piece.length} characters is longer than the limit of ${o.maxRecordChars}`);
    } else {
      records.push({ kind: "text", text: piece, file, line, part, fileIndex });
    }
  });
  return { format: "text", records, read: pieces.length, blankLines: 0 };
}

type Parsed = { line: number; value: unknown } | { line: number; error: string };

function parseJsonLines(bytes: Uint8Array, o: ReadRecordsOptions): { parsed: Parsed[]; blank: number } {
  const parsed: Parsed[] = [];
  let blank = 0;
  let start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    const raw = bytes.subarray(start, stop);
    const s = decodeUtf8Strict(raw);
    if (s === undefined) parsed.push({ line, error: `not valid UTF-8 (byte ${start + Math.max(0, firstInvalidUtf8(raw))} of the file)` });
    else if (s.trim() === "") blank++;
    else if (o.maxRecordChars !== undefined && s.length > o.maxRecordChars) {
      parsed.push({ line, error: `record of ${s.length} characters is longer than the limit of ${o.maxRecordChars}` });
    } else {
      try {
        parsed.push({ line, value: JSON.parse(s) as unknown });
      } catch (e) {
        parsed.push({ line, error: `invalid JSON: ${(e as Error).message}` });
      }
    }
    start = end + 1;
    line++;
  }
  return { parsed, blank };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function detectJsonlFormat(parsed: readonly Parsed[]): "jsonl" | "chat" {
  for (const p of parsed) {
    if (!("value" in p) || !isObject(p.value)) continue;
    if ("messages" in p.value) return "chat";
    if ("text" in p.value) return "jsonl";
  }
  return "jsonl";
}

/**
 * Reads one file (index `fileIndex` in the file list) into records; bad records go to `bad`
 * (which throws DATA_BAD_RECORD under the "error" policy). Throws FILE_NOT_FOUND / FILE_IO when
 * the file cannot be read.
 */
export async function readDataFile(
  file: string, fileIndex: number, bad: BadRecordLog, o: ReadRecordsOptions = {},
): Promise<FileRecords> {
  const bytes = await readFile(file).catch((e) => { throw ioError(file, e); });
  const forced = o.format ?? "auto";
  const isJsonl = JSONL_EXTENSIONS.includes(extname(file).toLowerCase());
  if (forced === "text" || (forced === "auto" && !isJsonl)) return readTextFile(file, fileIndex, bytes, bad, o);

  const { parsed, blank } = parseJsonLines(bytes, o);
  const format = forced === "auto" ? detectJsonlFormat(parsed) : forced;
  const records: DataRecord[] = [];
  for (const p of parsed) {
    if ("error" in p) { bad.report(file, p.line, p.error); continue; }
    const v = p.value;
    if (format === "chat") {
      const msgs = parseChatRecord(v);
      if (typeof msgs === "string") bad.report(file, p.line, msgs);
      else records.push({ kind: "chat", messages: msgs, file, line: p.line, fileIndex });
      continue;
    }
    if (!isObject(v)) { bad.report(file, p.line, "a text record must be a JSON object"); continue; }
    const text = v.text;
    if (text === undefined) bad.report(file, p.line, 'missing "text"');
    else if (typeof text !== "string") bad.report(file, p.line, '"text" must be a string');
    else if (text.trim() === "") bad.report(file, p.line, "empty text");
    else records.push({ kind: "text", text, file, line: p.line, part: -1, fileIndex });
  }
  return { format, records, read: parsed.length, blankLines: blank };
}
