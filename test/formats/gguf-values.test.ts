// The reader decodes every KV value type and every tensor type of the shared GGUF vectors exactly:
// values as gguf-py wrote them, tensor bytes equal to the quantizer vectors, typed views per type.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, openSync, closeSync } from "node:fs";
import {
  GgufFile, GgufValueType, decodeGgufString, encodeGgufString, ggmlTypeInfo, type GgufArray,
} from "../../src/formats/gguf/index.js";
import { readVector, vectorPath } from "../helpers/vectors.js";

test("every scalar and array KV of kv-and-tensor-types.gguf has the value gguf-py wrote", () => {
  const f = GgufFile.open(vectorPath("gguf", "kv-and-tensor-types.gguf"));
  try {
    assert.equal(f.version, 3);
    assert.equal(f.get("general.architecture"), "glassbox-test");
    assert.equal(f.get("test.u8"), 200);
    assert.equal(f.get("test.i8"), -100);
    assert.equal(f.get("test.u16"), 60000);
    assert.equal(f.get("test.i16"), -30000);
    assert.equal(f.get("test.u32"), 4000000000);
    assert.equal(f.get("test.i32"), -2000000000);
    assert.equal(f.get("test.f32"), Math.fround(Math.PI));
    assert.equal(f.get("test.bool_true"), true);
    assert.equal(f.get("test.bool_false"), false);
    assert.equal(f.get("test.string"), "héllo wörld 🦙 \n\t\"quoted\"");
    assert.equal(f.get("test.u64"), 18000000000000000000n);
    assert.equal(f.get("test.i64"), -9000000000000000000n);
    assert.equal(f.get("test.f64"), Math.E);
    const arr = (k: string) => f.get(k) as GgufArray;
    assert.equal(arr("test.arr_i32").elementType, GgufValueType.INT32);
    assert.deepEqual(arr("test.arr_i32").items, Int32Array.of(1, -2, 3, 2147483647));
    assert.deepEqual(arr("test.arr_f32").items, Float32Array.of(0.5, -1.25, 0.001));
    assert.deepEqual(arr("test.arr_str").items, ["a", "", "ü€🦙", "last"]);
    assert.deepEqual(arr("test.arr_bool").items, [true, false, true]);
    assert.deepEqual(arr("test.arr_u8").items, Uint8Array.of(0, 1, 254, 255));
    assert.equal(f.kv.get("test.u64")!.type, GgufValueType.UINT64);
  } finally {
    f.close();
  }
});

test("tensor data of every ggml type equals the quantizer vectors, as typed views", () => {
  const f = GgufFile.open(vectorPath("gguf", "kv-and-tensor-types.gguf"));
  try {
    const gauss = new Float32Array(readVector("quant", "input", "gauss.f32").slice().buffer);
    const f32 = f.tensorData("t.f32");
    assert.ok(f32 instanceof Float32Array);
    assert.deepEqual(f32, gauss);
    for (const q of ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0"]) {
      const bytes = f.tensorData(`t.${q}`);
      assert.ok(bytes instanceof Uint8Array, q);
      assert.deepEqual(bytes, readVector("quant", q, "gauss.q"), q);
      assert.equal(ggmlTypeInfo(f.tensor(`t.${q}`)!.type)!.name, q);
    }
    for (const h of ["f16", "bf16"]) {
      const v = f.tensorData(`t.${h}`);
      assert.ok(v instanceof Uint16Array, h);
      assert.deepEqual(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), readVector("quant", h, "gauss.q"), h);
    }
    const kinds: [string, Function, number][] = [
      ["t.f32_1d", Float32Array, 7], ["t.i8", Int8Array, 17], ["t.i16", Int16Array, 3], ["t.i32", Int32Array, 6],
      ["t.i64", BigInt64Array, 2], ["t.f64", Float64Array, 2],
    ];
    for (const [name, C, n] of kinds) {
      const v = f.tensorData(name);
      assert.ok(v instanceof C, name);
      assert.equal(v.length, n, name);
      assert.equal(f.tensor(name)!.nelements, n, name);
    }
    assert.throws(() => f.tensorBytes("no.such"), { code: "GGUF_NO_TENSOR" });
  } finally {
    f.close();
  }
});

test("fromBytes, fromFd and open agree, also at an odd byte offset in memory", () => {
  const path = vectorPath("gguf", "alignment-64.gguf");
  const bytes = readVector("gguf", "alignment-64.gguf");
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const fd = openSync(path, "r");
  const a = GgufFile.open(path), b = GgufFile.fromBytes(shifted.subarray(1)), c = GgufFile.fromFd(fd);
  try {
    assert.equal(a.header.alignment, 64);
    for (const other of [b, c]) {
      assert.deepEqual([...other.kv.keys()], [...a.kv.keys()]);
      assert.deepEqual(other.tensors, a.tensors);
      assert.equal(other.header.dataOffset, a.header.dataOffset);
      for (const t of a.tensors) assert.deepEqual(other.tensorData(t), a.tensorData(t), t.name);
    }
  } finally {
    a.close(); b.close(); c.close();
    closeSync(fd); // fromFd does not own the descriptor by default
  }
});

test("llama vocab strings decode as UTF-8 and re-encode to the same bytes", () => {
  const f = GgufFile.open(vectorPath("llamacpp", "llama-gqa-f32.gguf"));
  try {
    const tokens = (f.get("tokenizer.ggml.tokens") as GgufArray).items as string[];
    assert.equal(tokens.length, 32000);
    assert.equal(tokens[1], "<s>");
    assert.equal(tokens[3], "<0x00>");
    let bytes = 0;
    for (const t of tokens) bytes += encodeGgufString(t).length;
    console.log(`llama vocab: ${tokens.length} tokens, ${bytes} UTF-8 bytes`);
    assert.ok(bytes > 32000);
  } finally {
    f.close();
  }
});

test("GGUF strings: invalid UTF-8 survives decode -> encode byte for byte", () => {
  const cases = [
    [0xff], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82],
    [0x61, 0xf0, 0x9f, 0xa6], [0xef, 0xbb, 0xbf, 0x41], [0xf0, 0x9f, 0xa6, 0x99, 0xff, 0x62],
  ].map((c) => Uint8Array.from(c));
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 2000; i++) cases.push(Uint8Array.from({ length: 1 + (i % 97) }, rnd));
  const td = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let invalid = 0;
  for (const b of cases) {
    const s = decodeGgufString(b);
    assert.deepEqual(encodeGgufString(s), b);
    let valid = true;
    try { assert.equal(s, td.decode(b)); } catch { valid = false; }
    if (!valid) invalid++;
  }
  console.log(`string round trip: ${cases.length} byte strings, ${invalid} of them invalid UTF-8`);
  assert.ok(invalid > 100);
  assert.equal(decodeGgufString(Uint8Array.of(0xef, 0xbb, 0xbf)), "\ufeff"); // BOM kept
  assert.throws(() => encodeGgufString("a\ud800b"), { code: "GGUF_BAD_STRING" });
  assert.equal(readFileSync(vectorPath("gguf", "kv-and-tensor-types.gguf")).length, 34976);
});
