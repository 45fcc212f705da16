/**
 * The safetensors JSON header, parsed by a small schema-directed JSON parser that works on the
 * raw header bytes. It accepts exactly RFC 8259 JSON, and on top of it enforces the safetensors
 * rules (huggingface/safetensors README "Format" and safetensors/src/tensor.rs):
 * - the header starts with `{` and is one object; JSON whitespace (the spec's 0x20 padding) may
 *   follow it, nothing else;
 * - no key appears twice, at any level (JSON.parse would silently keep the last one);
 * - `"__metadata__"` is an object whose values are all strings;
 * - every other key is a tensor name whose value is exactly `{dtype, shape, data_offsets}`
 *   (an unknown field is an error, which is stricter than the reference reader);
 * - `shape` is an array of at most SAFETENSORS_MAX_RANK non-negative safe integers written as
 *   plain integers (no sign, fraction or exponent), and its element count and byte size fit in
 *   a safe integer;
 * - `data_offsets` is `[begin, end]`, safe integers, `begin <= end <= data buffer length`, and
 *   `end - begin` equals the element count times the dtype size.
 * Working on bytes gives every error an exact file offset, lets duplicate keys be seen, and
 * never builds a general JSON tree: a hostile 100 MB header cannot nest deeply or allocate
 * more than the tensor entries it really describes.
 */
import { Buffer } from "node:buffer";
import { GlassboxError } from "../../errors.js";
import { firstInvalidUtf8 } from "../../util/utf8.js";
import { SAFETENSORS_DTYPES, safetensorsDtypeInfo, type SafetensorsDtypeInfo } from "./dtypes.js";
import type { SafetensorsTensorInfo } from "./types.js";
import { strictUtf8 } from "./utf8.js";

/** Most dimensions a tensor may have (numpy's NPY_MAXDIMS); a defensive bound, not in the spec. */
export const SAFETENSORS_MAX_RANK = 64;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d;
const COMMA = 0x2c, COLON = 0x3a, MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, NINE = 0x39;
/** The one-letter escapes and the code point each stands for. */
const ESCAPES: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

/** What the JSON header holds, tensor entries validated one by one (not yet against each other). */
export interface ParsedHeaderJson {
  metadata: Record<string, string> | undefined;
  tensors: SafetensorsTensorInfo[];
}

/**
 * Parses and validates the JSON header `json` (the N bytes after the length prefix).
 * `dataStart` is the absolute offset of the data buffer (8 + N) and `dataLength` its size; error
 * offsets are absolute file offsets (8 + index in `json`).
 * Throws GlassboxError: SAFETENSORS_BAD_HEADER, _BAD_JSON, _BAD_UTF8, _DUPLICATE_KEY,
 * _BAD_METADATA, _BAD_TENSOR_INFO, _BAD_DTYPE, _BAD_SHAPE, _OVERFLOW, _BAD_OFFSETS,
 * _SIZE_MISMATCH.
 */
export function parseSafetensorsHeaderJson(json: Uint8Array, dataStart: number, dataLength: number): ParsedHeaderJson {
  return new HeaderParser(json, dataStart, dataLength).parse();
}

/** A name shortened for error messages, JSON-quoted. */
export function quoteName(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;

class HeaderParser {
  private pos = 0;
  /** Absolute file offset of json[0]. */
  private readonly base = 8;

  /** The same bytes as a Buffer, for fast latin1 slicing of ASCII strings. */
  private readonly buf: Buffer;

  constructor(private readonly b: Uint8Array, private readonly dataStart: number, private readonly dataLength: number) {
    this.buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  private fail(code: string, message: string, at: number = this.pos): never {
    throw new GlassboxError(code, message, { offset: this.base + at });
  }

  /** The byte at `p`, or -1 past the end. */
  private at(p: number): number {
    return p < this.b.length ? this.b[p]! : -1;
  }

  private peek(): number {
    return this.at(this.pos);
  }

  /** The byte at `p`, described for a message. */
  private describe(p: number = this.pos): string {
    const c = this.at(p);
    if (c < 0) return "the end of the header";
    if (c >= 0x21 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
    return `byte 0x${c.toString(16).padStart(2, "0")}`;
  }

  private ws(): void {
    for (;;) {
      const c = this.peek();
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  private expect(ch: number, what: string): void {
    if (this.peek() !== ch) this.fail("SAFETENSORS_BAD_JSON", `expected ${what}, found ${this.describe()}`);
    this.pos++;
  }

  /** After a member: `,` (returns true, more follow) or the closing `close` (returns false). */
  private next(close: number): boolean {
    this.ws();
    const c = this.peek();
    if (c === COMMA) {
      this.pos++;
      this.ws();
      return true;
    }
    this.expect(close, close === RBRACE ? "',' or '}'" : "',' or ']'");
    return false;
  }

  parse(): ParsedHeaderJson {
    if (this.peek() !== LBRACE) {
      this.fail("SAFETENSORS_BAD_HEADER", `the header must be a JSON object starting with '{', found ${this.describe()}`);
    }
    this.pos++;
    const seen = new Set<string>();
    let metadata: Record<string, string> | undefined;
    const tensors: SafetensorsTensorInfo[] = [];
    this.ws();
    if (this.peek() === RBRACE) this.pos++;
    else {
      do {
        const keyAt = this.pos;
        const key = this.string("a tensor name");
        if (seen.has(key)) this.fail("SAFETENSORS_DUPLICATE_KEY", `key ${quoteName(key)} appears twice in the header`, keyAt);
        seen.add(key);
        this.ws();
        this.expect(COLON, "':'");
        this.ws();
        if (key === "__metadata__") metadata = this.metadata();
        else tensors.push(this.tensorEntry(key));
      } while (this.next(RBRACE));
    }
    this.ws();
    if (this.pos !== this.b.length) {
      this.fail("SAFETENSORS_BAD_JSON", `unexpected ${this.describe()} after the header object (only whitespace padding may follow it)`);
    }
    return { metadata, tensors };
  }

  /** A JSON string at the cursor (which must be on its opening quote). */
  private string(what: string): string {
    if (this.peek() !== QUOTE) this.fail("SAFETENSORS_BAD_JSON", `expected ${what} (a JSON string), found ${this.describe()}`);
    const open = this.pos;
    const b = this.b;
    let ascii = true;
    let p = open + 1;
    for (;;) {
      if (p >= b.length) this.fail("SAFETENSORS_BAD_JSON", "unterminated string", open);
      const c = b[p]!;
      if (c === QUOTE || c === BACKSLASH) break;
      if (c < 0x20) this.fail("SAFETENSORS_BAD_JSON", `control character 0x${c.toString(16).padStart(2, "0")} must be escaped inside a string`, p);
      if (c >= 0x80) ascii = false;
      p++;
    }
    if (b[p] === BACKSLASH) return this.escapedString(open, p);
    this.pos = p + 1;
    if (ascii) return this.buf.toString("latin1", open + 1, p);
    try {
      return strictUtf8.decode(b.subarray(open + 1, p));
    } catch {
      return this.fail("SAFETENSORS_BAD_UTF8", "the header is not valid UTF-8", this.firstInvalid(open + 1, p));
    }
  }

  /**
   * The rest of a string that has escapes, from its first backslash at `p`: the unescaped UTF-8
   * goes to a scratch buffer (an escape never encodes longer than it is written), decoded once.
   */
  private escapedString(open: number, p: number): string {
    const b = this.b;
    let out = new Uint8Array(Math.max(64, 2 * (p - open)));
    out.set(b.subarray(open + 1, p));
    let n = p - open - 1;
    for (;;) {
      if (p >= b.length) this.fail("SAFETENSORS_BAD_JSON", "unterminated string", open);
      const c = b[p]!;
      if (c === QUOTE) break;
      if (c < 0x20) this.fail("SAFETENSORS_BAD_JSON", `control character 0x${c.toString(16).padStart(2, "0")} must be escaped inside a string`, p);
      if (n + 4 > out.length) {
        const bigger = new Uint8Array(out.length * 2);
        bigger.set(out.subarray(0, n));
        out = bigger;
      }
      if (c !== BACKSLASH) {
        out[n++] = c;
        p++;
        continue;
      }
      this.pos = p;
      const cp = this.escape();
      p = this.pos;
      if (cp < 0x80) out[n++] = cp;
      else if (cp < 0x800) {
        out[n++] = 0xc0 | (cp >> 6);
        out[n++] = 0x80 | (cp & 0x3f);
      } else if (cp < 0x10000) {
        out[n++] = 0xe0 | (cp >> 12);
        out[n++] = 0x80 | ((cp >> 6) & 0x3f);
        out[n++] = 0x80 | (cp & 0x3f);
      } else {
        out[n++] = 0xf0 | (cp >> 18);
        out[n++] = 0x80 | ((cp >> 12) & 0x3f);
        out[n++] = 0x80 | ((cp >> 6) & 0x3f);
        out[n++] = 0x80 | (cp & 0x3f);
      }
    }
    this.pos = p + 1;
    try {
      return strictUtf8.decode(out.subarray(0, n));
    } catch {
      return this.fail("SAFETENSORS_BAD_UTF8", "the header is not valid UTF-8", this.firstInvalid(open + 1, p));
    }
  }

  /**
   * The first ill-formed UTF-8 byte in the raw string text [from, to), looking only at the
   * bytes between escapes (escapes were checked already and always yield well-formed UTF-8).
   */
  private firstInvalid(from: number, to: number): number {
    const b = this.b;
    let seg = from;
    let i = from;
    while (i < to) {
      if (b[i] !== BACKSLASH) {
        i++;
        continue;
      }
      const bad = firstInvalidUtf8(b, seg, i);
      if (bad >= 0) return bad;
      i += b[i + 1] === 0x75 ? 6 : 2;
      seg = i;
    }
    const bad = firstInvalidUtf8(b, seg, to);
    return bad >= 0 ? bad : from;
  }

  /** A backslash escape at the cursor; returns the code point it stands for. */
  private escape(): number {
    const start = this.pos;
    const c = this.at(this.pos + 1);
    const simple = ESCAPES[c];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    if (c !== 0x75) this.fail("SAFETENSORS_BAD_JSON", `invalid escape '\\${c < 0x21 || c > 0x7e ? "" : String.fromCharCode(c)}' in a string`);
    this.pos += 2;
    const u = this.hex4();
    if (u >= 0xdc00 && u <= 0xdfff) this.fail("SAFETENSORS_BAD_JSON", "lone low surrogate in a \\u escape", start);
    if (u < 0xd800 || u > 0xdbff) return u;
    if (this.peek() !== BACKSLASH || this.at(this.pos + 1) !== 0x75) {
      this.fail("SAFETENSORS_BAD_JSON", "high surrogate in a \\u escape is not followed by a low one", start);
    }
    this.pos += 2;
    const low = this.hex4();
    if (low < 0xdc00 || low > 0xdfff) this.fail("SAFETENSORS_BAD_JSON", "high surrogate in a \\u escape is not followed by a low one", start);
    return 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
  }

  private hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.peek();
      const d = isDigit(c) ? c - ZERO : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
      if (d < 0) this.fail("SAFETENSORS_BAD_JSON", `expected a hex digit in a \\u escape, found ${this.describe()}`);
      v = v * 16 + d;
      this.pos++;
    }
    return v;
  }

  /**
   * A JSON number at the cursor that must be a plain non-negative integer <= 2^53-1. A number
   * that is valid JSON but not such an integer fails with `code`; broken JSON with _BAD_JSON.
   */
  private integer(code: string, what: () => string): number {
    const start = this.pos;
    let p = start;
    const c0 = this.at(p);
    if (c0 !== MINUS && !isDigit(c0)) this.fail(code, `${what()} must be a non-negative integer, found ${this.describe()}`);
    const negative = c0 === MINUS;
    if (negative) p++;
    if (!isDigit(this.at(p))) this.fail("SAFETENSORS_BAD_JSON", `malformed number: expected a digit, found ${this.describe(p)}`, p);
    const intStart = p;
    if (this.at(p) === ZERO) p++;
    else while (isDigit(this.at(p))) p++;
    const intEnd = p;
    let fraction = false;
    let exponent = false;
    if (this.at(p) === DOT) {
      p++;
      if (!isDigit(this.at(p))) this.fail("SAFETENSORS_BAD_JSON", `malformed number: expected a digit after '.', found ${this.describe(p)}`, p);
      while (isDigit(this.at(p))) p++;
      fraction = true;
    }
    const e = this.at(p);
    if (e === 0x65 || e === 0x45) {
      p++;
      if (this.at(p) === PLUS || this.at(p) === MINUS) p++;
      if (!isDigit(this.at(p))) this.fail("SAFETENSORS_BAD_JSON", `malformed number: expected an exponent digit, found ${this.describe(p)}`, p);
      while (isDigit(this.at(p))) p++;
      exponent = true;
    }
    this.pos = p;
    const text = (): string => this.buf.toString("latin1", start, Math.min(p, start + 24)) + (p - start > 24 ? "..." : "");
    if (negative || fraction || exponent) {
      this.fail(code, `${what()} must be a non-negative integer without sign, fraction or exponent, found ${text()}`, start);
    }
    // Exact while at most 2^53; past it rounding is monotonic, so the check below still fires.
    let v = 0;
    if (intEnd - intStart > 16) v = Infinity;
    else for (let i = intStart; i < intEnd; i++) v = v * 10 + (this.b[i]! - ZERO);
    if (v > MAX_SAFE) this.fail(code, `${what()} is ${text()}, above 2^53-1`, start);
    return v;
  }

  /** `[int, int, ...]` with at most `maxLength` entries. */
  private intArray(code: string, what: () => string, maxLength: number): number[] {
    if (this.peek() !== LBRACKET) this.fail(code, `${what()} must be an array of non-negative integers, found ${this.describe()}`);
    this.pos++;
    const out: number[] = [];
    this.ws();
    if (this.peek() === RBRACKET) {
      this.pos++;
      return out;
    }
    do {
      if (out.length === maxLength) this.fail(code, `${what()} has more than ${maxLength} entries`);
      const i = out.length;
      out.push(this.integer(code, () => `${what()}[${i}]`));
    } while (this.next(RBRACKET));
    return out;
  }

  private metadata(): Record<string, string> {
    if (this.peek() !== LBRACE) this.fail("SAFETENSORS_BAD_METADATA", `"__metadata__" must be an object of strings, found ${this.describe()}`);
    this.pos++;
    const keys = new Set<string>();
    const entries: [string, string][] = [];
    this.ws();
    if (this.peek() === RBRACE) this.pos++;
    else {
      do {
        const keyAt = this.pos;
        const key = this.string("a metadata key");
        if (keys.has(key)) this.fail("SAFETENSORS_DUPLICATE_KEY", `metadata key ${quoteName(key)} appears twice`, keyAt);
        keys.add(key);
        this.ws();
        this.expect(COLON, "':'");
        this.ws();
        if (this.peek() !== QUOTE) {
          this.fail("SAFETENSORS_BAD_METADATA", `"__metadata__" value of ${quoteName(key)} must be a string, found ${this.describe()}`);
        }
        entries.push([key, this.string("a metadata value")]);
      } while (this.next(RBRACE));
    }
    return Object.fromEntries(entries);
  }

  private tensorEntry(name: string): SafetensorsTensorInfo {
    const entryAt = this.pos;
    const q = (): string => quoteName(name);
    if (this.peek() !== LBRACE) {
      this.fail("SAFETENSORS_BAD_TENSOR_INFO", `the entry of tensor ${q()} must be an object {dtype, shape, data_offsets}, found ${this.describe()}`);
    }
    this.pos++;
    let dtype: SafetensorsDtypeInfo | undefined;
    let shape: number[] | undefined;
    let offsets: number[] | undefined;
    let shapeAt = entryAt;
    let offsetsAt = entryAt;
    let fields = 0; // bit per field seen: 1 dtype, 2 shape, 4 data_offsets
    this.ws();
    if (this.peek() === RBRACE) this.pos++;
    else {
      do {
        const keyAt = this.pos;
        const key = this.string("a field name");
        const bit = key === "dtype" ? 1 : key === "shape" ? 2 : key === "data_offsets" ? 4 : 0;
        if (bit !== 0 && (fields & bit) !== 0) this.fail("SAFETENSORS_DUPLICATE_KEY", `field ${quoteName(key)} appears twice in the entry of tensor ${q()}`, keyAt);
        fields |= bit;
        this.ws();
        this.expect(COLON, "':'");
        this.ws();
        if (key === "dtype") {
          const at = this.pos;
          if (this.peek() !== QUOTE) this.fail("SAFETENSORS_BAD_DTYPE", `dtype of tensor ${q()} must be a string, found ${this.describe()}`);
          const s = this.string("a dtype");
          dtype = safetensorsDtypeInfo(s);
          if (dtype === undefined) {
            this.fail("SAFETENSORS_BAD_DTYPE", `tensor ${q()} has unknown dtype ${quoteName(s)} (known: ${SAFETENSORS_DTYPES.map((d) => d.name).join(" ")})`, at);
          }
        } else if (key === "shape") {
          shapeAt = this.pos;
          shape = this.intArray("SAFETENSORS_BAD_SHAPE", () => `shape of tensor ${q()}`, SAFETENSORS_MAX_RANK);
        } else if (key === "data_offsets") {
          offsetsAt = this.pos;
          offsets = this.intArray("SAFETENSORS_BAD_OFFSETS", () => `data_offsets of tensor ${q()}`, 2);
          if (offsets.length !== 2) this.fail("SAFETENSORS_BAD_OFFSETS", `data_offsets of tensor ${q()} must be [begin, end], found ${offsets.length} entries`, offsetsAt);
        } else {
          this.fail("SAFETENSORS_BAD_TENSOR_INFO", `the entry of tensor ${q()} has unknown field ${quoteName(key)} (allowed: dtype, shape, data_offsets)`, keyAt);
        }
      } while (this.next(RBRACE));
    }
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      const missing = [dtype ? "" : "dtype", shape ? "" : "shape", offsets ? "" : "data_offsets"].filter(Boolean).join(", ");
      return this.fail("SAFETENSORS_BAD_TENSOR_INFO", `the entry of tensor ${q()} lacks ${missing}`, entryAt);
    }
    // Element count and byte size, refusing anything past 2^53-1 (a double stays exact below it,
    // and rounding is monotonic, so a product that really exceeds it is seen to exceed it).
    let nelements = shape.includes(0) ? 0 : 1;
    if (nelements !== 0) {
      for (const d of shape) {
        nelements *= d;
        if (nelements > MAX_SAFE) this.fail("SAFETENSORS_OVERFLOW", `shape [${shape.join(", ")}] of tensor ${q()} has more than 2^53-1 elements`, shapeAt);
      }
    }
    const nbytes = nelements * dtype.size;
    if (nbytes > MAX_SAFE) this.fail("SAFETENSORS_OVERFLOW", `tensor ${q()} (${dtype.name} [${shape.join(", ")}]) needs more than 2^53-1 bytes`, shapeAt);
    const begin = offsets[0]!;
    const end = offsets[1]!;
    if (begin > end) this.fail("SAFETENSORS_BAD_OFFSETS", `data_offsets of tensor ${q()} are [${begin}, ${end}]: begin is after end`, offsetsAt);
    if (end > this.dataLength) {
      this.fail("SAFETENSORS_BAD_OFFSETS", `data_offsets of tensor ${q()} end at ${end}, past the ${this.dataLength}-byte data buffer`, offsetsAt);
    }
    if (end - begin !== nbytes) {
      this.fail("SAFETENSORS_SIZE_MISMATCH", `data_offsets of tensor ${q()} span ${end - begin} bytes, but ${dtype.name} [${shape.join(", ")}] is ${nbytes} bytes`, offsetsAt);
    }
    return { name, dtype: dtype.name, shape, dataOffsets: [begin, end], nelements, nbytes, offset: this.dataStart + begin };
  }
}
