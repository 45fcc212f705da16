// Hostile and malformed safetensors files: each must fail with its own GlassboxError code and
// the byte offset of the problem, from bytes and from a file alike; odd but valid files parse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GlassboxError } from "../../src/errors.js";
import { SafetensorsFile } from "../../src/formats/safetensors/index.js";

const enc = new TextEncoder();

/** A file: length prefix (`n`, default the header's length), header bytes, `data` bytes. */
function file(header: string | Uint8Array, data: number | Uint8Array = 0, n?: bigint): Uint8Array {
  const h = typeof header === "string" ? enc.encode(header) : header;
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.byteLength + d.byteLength);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(d, 8 + h.byteLength);
  return out;
}

/** Absolute file offset of the `k`-th occurrence of `needle` in `header` (UTF-8 bytes). */
function at(header: string, needle: string, k = 0): number {
  const hay = Buffer.from(header);
  let i = -1;
  for (let j = 0; j <= k; j++) {
    i = hay.indexOf(needle, i + 1);
    assert.ok(i >= 0, `${needle} not in header`);
  }
  return 8 + i;
}

const t = (name: string, dtype: string, shape: string, begin: number, end: number): string =>
  `"${name}":{"dtype":"${dtype}","shape":${shape},"data_offsets":[${begin},${end}]}`;

interface Case { name: string; bytes: Uint8Array; code: string; offset?: number }
const CASES: Case[] = [];
function bad(name: string, bytes: Uint8Array, code: string, offset?: number): void {
  CASES.push({ name, bytes, code, offset });
}

// Length prefix.
bad("empty file", new Uint8Array(0), "SAFETENSORS_TRUNCATED", 0);
bad("7-byte file", new Uint8Array(7), "SAFETENSORS_TRUNCATED", 0);
bad("header length 2^64-1", file("{}", 0, 2n ** 64n - 1n), "SAFETENSORS_HEADER_TOO_LARGE", 0);
bad("header length 100 MB + 1", file("{}", 0, 100_000_001n), "SAFETENSORS_HEADER_TOO_LARGE", 0);
bad("header length 2^53+1 (not a safe number)", file("{}", 0, 2n ** 53n + 1n), "SAFETENSORS_HEADER_TOO_LARGE", 0);
bad("header length at the cap but past the end", file("{}", 0, 100_000_000n), "SAFETENSORS_TRUNCATED", 0);
bad("header length one past the end", file("{}", 0, 3n), "SAFETENSORS_TRUNCATED", 0);
bad("header length 0", file(""), "SAFETENSORS_BAD_HEADER", 8);

// Not a JSON object / not JSON.
bad("leading space", file(" {}"), "SAFETENSORS_BAD_HEADER", 8);
bad("UTF-8 BOM", file("\ufeff{}"), "SAFETENSORS_BAD_HEADER", 8);
bad("array header", file("[]"), "SAFETENSORS_BAD_HEADER", 8);
bad("null header", file("null"), "SAFETENSORS_BAD_HEADER", 8);
bad("unclosed object", file("{"), "SAFETENSORS_BAD_JSON", 9);
bad("missing value", file('{"a":}'), "SAFETENSORS_BAD_TENSOR_INFO", 13);
bad("missing colon", file('{"a" {}}'), "SAFETENSORS_BAD_JSON", 13);
bad("stray comma", file("{,}"), "SAFETENSORS_BAD_JSON", 9);
{
  const h = `{${t("a", "U8", "[1]", 0, 1)},}`;
  bad("trailing comma", file(h, 1), "SAFETENSORS_BAD_JSON", 8 + h.length - 1);
}
bad("unterminated string", file('{"abc'), "SAFETENSORS_BAD_JSON", 9);
bad("raw newline in a string", file('{"a\nb":1}'), "SAFETENSORS_BAD_JSON", 11);
bad("bad escape", file('{"a\\x":1}'), "SAFETENSORS_BAD_JSON", 11);
bad("short \\u escape", file('{"\\u12":1}'), "SAFETENSORS_BAD_JSON", 14);
bad("lone high surrogate escape", file('{"\\ud800":1}'), "SAFETENSORS_BAD_JSON", 10);
bad("lone low surrogate escape", file('{"\\udc00":1}'), "SAFETENSORS_BAD_JSON", 10);
bad("garbage after the object", file("{}x"), "SAFETENSORS_BAD_JSON", 10);
bad("two objects", file("{} {}"), "SAFETENSORS_BAD_JSON", 11);
bad("NUL padding instead of spaces", file("{}\0\0\0\0\0\0"), "SAFETENSORS_BAD_JSON", 10);
// What the reference writer 0.8.0 emits for serialize({}, {}) (an empty metadata dict): not JSON.
bad("reference 0.8.0 empty-metadata output", file('{},"__metadata__":{}}   '), "SAFETENSORS_BAD_JSON", 10);
bad("single-quoted key", file("{'a':1}"), "SAFETENSORS_BAD_JSON", 9);

// UTF-8.
bad("0xff in a name", file(Uint8Array.from([0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d])), "SAFETENSORS_BAD_UTF8", 11);
bad("overlong '/' in a name", file(Uint8Array.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])), "SAFETENSORS_BAD_UTF8", 10);
bad("UTF-8-encoded surrogate", file(Uint8Array.from([0x7b, 0x22, 0x61, 0x62, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d])), "SAFETENSORS_BAD_UTF8", 12);
bad("truncated sequence before the quote", file(Uint8Array.from([0x7b, 0x22, 0xe6, 0x97, 0x22, 0x3a, 0x31, 0x7d])), "SAFETENSORS_BAD_UTF8", 10);
bad("non-ASCII byte outside strings", file(Uint8Array.from([0x7b, 0xc3, 0xa9, 0x7d])), "SAFETENSORS_BAD_JSON", 9);

// Duplicate keys (JSON.parse would keep the last silently).
{
  const h = `{${t("a", "U8", "[1]", 0, 1)},${t("a", "U8", "[1]", 1, 2)}}`;
  bad("duplicate tensor name", file(h, 2), "SAFETENSORS_DUPLICATE_KEY", at(h, '"a"', 1));
  const h2 = `{${t("a", "U8", "[1]", 0, 1)},${t("\\u0061", "U8", "[1]", 1, 2)}}`;
  bad("duplicate tensor name spelled with an escape", file(h2, 2), "SAFETENSORS_DUPLICATE_KEY", at(h2, '"\\u0061"'));
  const h3 = `{"a":{"dtype":"U8","shape":[1],"dtype":"U8","data_offsets":[0,1]}}`;
  bad("duplicate field in an entry", file(h3, 1), "SAFETENSORS_DUPLICATE_KEY", at(h3, '"dtype"', 1));
  const h4 = `{"__metadata__":{"k":"1","k":"2"}}`;
  bad("duplicate metadata key", file(h4), "SAFETENSORS_DUPLICATE_KEY", at(h4, '"k"', 1));
  const h5 = `{"__metadata__":{},"__metadata__":{}}`;
  bad("__metadata__ twice", file(h5), "SAFETENSORS_DUPLICATE_KEY", at(h5, '"__metadata__"', 1));
}

// __metadata__.
bad("metadata a string", file('{"__metadata__":"x"}'), "SAFETENSORS_BAD_METADATA", 24);
bad("metadata null", file('{"__metadata__":null}'), "SAFETENSORS_BAD_METADATA", 24);
bad("metadata an array", file('{"__metadata__":["a"]}'), "SAFETENSORS_BAD_METADATA", 24);
bad("metadata value a number", file('{"__metadata__":{"k":1}}'), "SAFETENSORS_BAD_METADATA", 29);
bad("metadata value an object", file('{"__metadata__":{"k":{"x":"y"}}}'), "SAFETENSORS_BAD_METADATA", 29);
bad("metadata value null", file('{"__metadata__":{"k":null}}'), "SAFETENSORS_BAD_METADATA", 29);
bad("deeply nested metadata", file(`{"__metadata__":${"[".repeat(100000)}`), "SAFETENSORS_BAD_METADATA", 24);

// Tensor entries.
bad("entry an array", file('{"a":[1]}'), "SAFETENSORS_BAD_TENSOR_INFO", 13);
bad("entry a string", file('{"a":"U8"}'), "SAFETENSORS_BAD_TENSOR_INFO", 13);
bad("unknown field", file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":0}}', 1), "SAFETENSORS_BAD_TENSOR_INFO", at('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":0}}', '"extra"'));
bad("missing data_offsets", file('{"a":{"dtype":"U8","shape":[1]}}', 1), "SAFETENSORS_BAD_TENSOR_INFO", 13);
bad("empty entry", file('{"a":{}}'), "SAFETENSORS_BAD_TENSOR_INFO", 13);
bad("unknown dtype", file(`{${t("a", "F128", "[1]", 0, 16)}}`, 16), "SAFETENSORS_BAD_DTYPE", 22);
bad("lower-case dtype", file(`{${t("a", "f32", "[1]", 0, 4)}}`, 4), "SAFETENSORS_BAD_DTYPE", 22);
bad("dtype a number", file('{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', 4), "SAFETENSORS_BAD_DTYPE", 22);
bad("newer dtype F8_E8M0 not accepted", file(`{${t("a", "F8_E8M0", "[1]", 0, 1)}}`, 1), "SAFETENSORS_BAD_DTYPE", 22);

// Shapes.
const shapeAt = (shape: string): number => at(`{${t("a", "U8", shape, 0, 1)}}`, shape);
for (const [what, shape, off] of [
  ["negative dim", "[-1]", 1], ["fractional dim", "[1.5]", 1], ["2.0", "[2.0]", 1], ["exponent", "[1e0]", 1],
  ["string dim", '["1"]', 1], ["null dim", "[null]", 1], ["nested array", "[[1]]", 1], ["shape a number", "1", 0],
  ["shape an object", "{}", 0], ["shape null", "null", 0], ["dim 2^53", "[9007199254740992]", 1],
  ["dim with 400 digits", `[${"9".repeat(400)}]`, 1], ["-0", "[-0]", 1],
] as const) {
  bad(`shape: ${what}`, file(`{${t("a", "U8", shape, 0, 1)}}`, 1), "SAFETENSORS_BAD_SHAPE", shapeAt(shape) + off);
}
bad("shape: rank 65", file(`{${t("a", "U8", `[${Array(65).fill(1).join(",")}]`, 0, 1)}}`, 1), "SAFETENSORS_BAD_SHAPE", shapeAt(`[${Array(65).fill(1).join(",")}]`) + 1 + 64 * 2);
bad("shape: malformed number", file(`{${t("a", "U8", "[1.]", 0, 1)}}`, 1), "SAFETENSORS_BAD_JSON", shapeAt("[1.]") + 3);
bad("shape: leading zero", file(`{${t("a", "U8", "[01]", 0, 1)}}`, 1), "SAFETENSORS_BAD_JSON", shapeAt("[01]") + 2);
bad("shape: element count overflow 2^78", file(`{${t("a", "U8", "[67108864,67108864,67108864]", 0, 1)}}`, 1), "SAFETENSORS_OVERFLOW", shapeAt("[67108864,67108864,67108864]"));
bad("shape: element count 2^54", file(`{${t("a", "U8", "[4503599627370496,4]", 0, 1)}}`, 1), "SAFETENSORS_OVERFLOW", shapeAt("[4503599627370496,4]"));
bad("shape: byte size overflow", file(`{${t("a", "F64", "[4503599627370496]", 0, 8)}}`, 8), "SAFETENSORS_OVERFLOW", at(`{${t("a", "F64", "[4503599627370496]", 0, 8)}}`, "[4503599627370496]"));

// Offsets.
{
  const off = (h: string, needle: string): number => at(h, `"data_offsets":${needle}`) + 15;
  const cases: [string, string, number, string, string?][] = [
    ["one offset", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}', 1, "[0]"],
    ["three offsets", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}', 1, "[0,1,2]"],
    ["offsets an object", '{"a":{"dtype":"U8","shape":[1],"data_offsets":{"0":1}}}', 1, '{"0":1}'],
    ["negative begin", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}', 1, "[-1,0]"],
    ["float end", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1.0]}}', 1, "[0,1.0]"],
    ["end 2^64", '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]}}', 1, "[0,18446744073709551616]"],
    ["begin after end", '{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}', 1, "[1,0]"],
    ["end past the buffer", '{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', 3, "[0,4]"],
  ];
  for (const [what, h, data, needle] of cases) {
    const o = off(h, needle);
    const extra = what === "three offsets" ? 5 : what === "negative begin" ? 1 : what === "float end" ? 3 : what === "end 2^64" ? 3 : 0;
    bad(`offsets: ${what}`, file(h, data), "SAFETENSORS_BAD_OFFSETS", o + extra);
  }
  const h = `{${t("a", "F32", "[2]", 0, 4)}}`;
  bad("offsets: span does not match dtype x shape", file(h, 4), "SAFETENSORS_SIZE_MISMATCH", off(h, "[0,4]"));
  const h2 = `{${t("a", "F32", "[]", 0, 8)}}`;
  bad("offsets: scalar spans two elements", file(h2, 8), "SAFETENSORS_SIZE_MISMATCH", off(h2, "[0,8]"));
}

// Layout of the data buffer: no overlaps, no holes, nothing unindexed.
{
  const h = `{${t("a", "U8", "[8]", 0, 8)},${t("b", "U8", "[8]", 4, 12)}}`;
  bad("overlapping tensors", file(h, 12), "SAFETENSORS_OVERLAP", 8 + h.length + 4);
  const h2 = `{${t("a", "U8", "[4]", 0, 4)},${t("b", "U8", "[4]", 0, 4)}}`;
  bad("two tensors sharing bytes", file(h2, 4), "SAFETENSORS_OVERLAP", 8 + h2.length);
  const h3 = `{${t("b", "U8", "[4]", 8, 12)},${t("a", "U8", "[4]", 0, 4)}}`;
  bad("hole between tensors", file(h3, 12), "SAFETENSORS_HOLE", 8 + h3.length + 4);
  const h4 = `{${t("a", "U8", "[4]", 4, 8)}}`;
  bad("hole at the start", file(h4, 8), "SAFETENSORS_HOLE", 8 + h4.length);
  const h5 = `{${t("a", "U8", "[4]", 0, 4)}}`;
  bad("unindexed bytes at the end", file(h5, 5), "SAFETENSORS_HOLE", 8 + h5.length + 4);
  bad("data but no tensors", file("{}", 1), "SAFETENSORS_HOLE", 10);
  const h6 = `{${t("a", "U8", "[8]", 0, 8)},${t("z", "U8", "[0]", 4, 4)}}`;
  bad("zero-size tensor inside another", file(h6, 8), "SAFETENSORS_OVERLAP", 8 + h6.length + 4);
}

for (const c of CASES) {
  test(`rejects ${c.name} with ${c.code}`, () => {
    assert.throws(() => SafetensorsFile.fromBytes(c.bytes), (e: unknown) => {
      assert.ok(e instanceof GlassboxError, `not a GlassboxError: ${String(e)}`);
      assert.equal(e.code, c.code, e.message);
      if (c.offset !== undefined) assert.equal(e.offset, c.offset, e.message);
      return true;
    });
  });
}

test("a file on disk is rejected exactly like the same bytes in memory", () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-st-hostile-"));
  try {
    CASES.forEach((c, i) => {
      const path = join(dir, `${i}.safetensors`);
      writeFileSync(path, c.bytes);
      assert.throws(() => SafetensorsFile.open(path), (e: unknown) =>
        e instanceof GlassboxError && e.code === c.code && (c.offset === undefined || e.offset === c.offset), c.name);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`hostile cases: ${CASES.length}, each rejected with its code from bytes and from a file`);
});

test("odd but valid files parse", () => {
  const ok = (what: string, bytes: Uint8Array): SafetensorsFile => {
    try {
      return SafetensorsFile.fromBytes(bytes);
    } catch (e) {
      assert.fail(`${what}: ${(e as Error).message}`);
    }
  };
  assert.equal(ok("empty object", file("{}")).tensors.length, 0);
  assert.equal(ok("padded with spaces", file("{}      ")).tensors.length, 0);
  assert.equal(ok("whitespace everywhere", file("{}\n\t\r ")).tensors.length, 0);
  const spaced = ok("whitespace between tokens", file(`{ "a" : { "shape" : [ 2 , 1 ] ,\n "data_offsets":[ 0 , 2 ] , "dtype" : "U8" } }`, 2));
  assert.deepEqual(spaced.tensor("a")!.shape, [2, 1]);
  const unsorted = ok("header order differs from data order", file(`{${t("b", "U8", "[2]", 2, 4)},${t("a", "U8", "[2]", 0, 2)}}`, Uint8Array.from([1, 2, 3, 4])));
  assert.deepEqual(unsorted.tensors.map((x) => x.name), ["b", "a"]);
  assert.deepEqual([...unsorted.tensorBytes("b")], [3, 4]);
  const zeros = ok("zero-size tensors sharing an offset", file(`{${t("a", "U8", "[0]", 0, 0)},${t("b", "F32", "[0,3]", 0, 0)},${t("c", "U8", "[1]", 0, 1)},${t("d", "U8", "[0]", 1, 1)}}`, 1));
  assert.equal(zeros.tensors.length, 4);
  const odd = ok("zero-size U16 at an odd offset", file(`{${t("a", "U8", "[1]", 0, 1)},${t("b", "U16", "[0]", 1, 1)}}`, 1));
  assert.equal(odd.tensorData("b").length, 0);
  const huge0 = ok("huge dims with a zero", file(`{${t("z", "F32", "[9007199254740991,9007199254740991,0]", 0, 0)}}`));
  assert.equal(huge0.tensor("z")!.nelements, 0);
  const esc = ok("escaped names", file(`{${t("a\\\"b\\\\c\\u00e9\\ud83d\\ude00\\n", "U8", "[1]", 0, 1)}}`, 1));
  assert.equal(esc.tensors[0]!.name, 'a"b\\c\u00e9\u{1f600}\n');
  const proto = ok("__proto__ as names and metadata keys", file(`{"__metadata__":{"__proto__":"x"},${t("__proto__", "U8", "[1]", 0, 1)}}`, 1));
  assert.equal(proto.metadata!["__proto__"], "x");
  assert.equal(Object.getPrototypeOf(proto.metadata), Object.prototype);
  assert.ok(proto.tensor("__proto__"));
  assert.equal(ok("scalar", file(`{${t("s", "F64", "[]", 0, 8)}}`, 8)).tensor("s")!.nelements, 1);
  assert.equal(ok("rank 64", file(`{${t("r", "U8", `[${Array(64).fill(1).join(",")}]`, 0, 1)}}`, 1)).tensor("r")!.shape.length, 64);
  const unaligned = ok("header length not a multiple of 8", file(`{${t("x", "U8", "[1]", 0, 1)}}`, 1));
  assert.notEqual(unaligned.header.headerLength % 8, 0);
  assert.throws(() => unaligned.tensorBytes("nope"), (e: unknown) => e instanceof GlassboxError && e.code === "SAFETENSORS_NOT_FOUND");
  assert.throws(() => unaligned.tensorBytes(esc.tensors[0]!), (e: unknown) => e instanceof GlassboxError && e.code === "SAFETENSORS_NOT_FOUND");
});
