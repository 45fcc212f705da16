// The GGUF writer: KV constructors, every value type through write -> read, layout rules,
// validation errors, and atomic streaming writes that leave nothing behind on failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GgmlType, GgufFile, GgufValueType, decodeGgufString, ggufArray, kv, planGgufLayout, serializeGguf, writeGgufFile,
  type GgufArray, type GgufToWrite,
} from "../../src/formats/gguf/index.js";

const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

function everything(): GgufToWrite {
  return {
    kv: [
      kv.string("general.architecture", "test"),
      kv.u8("t.u8", 255), kv.i8("t.i8", -128), kv.u16("t.u16", 65535), kv.i16("t.i16", -32768),
      kv.u32("t.u32", 4294967295), kv.i32("t.i32", -2147483648), kv.f32("t.f32", -0), kv.f64("t.f64", 1e300),
      kv.u64("t.u64", (1n << 64n) - 1n), kv.i64("t.i64", -(1n << 63n)), kv.u64("t.u64n", 7),
      kv.bool("t.bool", true), kv.string("t.empty", ""), kv.string("t.raw", decodeGgufString(Uint8Array.of(0x61, 0xff, 0xc3))),
      kv.arrayU8("a.u8", [1, 2]), kv.arrayI8("a.i8", [-1]), kv.arrayU16("a.u16", [65535]), kv.arrayI16("a.i16", [-2]),
      kv.arrayU32("a.u32", [7]), kv.arrayI32("a.i32", Int32Array.of(-7, 8)), kv.arrayF32("a.f32", [0.25, Number.NaN]),
      kv.arrayF64("a.f64", [Math.PI]), kv.arrayU64("a.u64", [1n, 2]), kv.arrayI64("a.i64", [-3n]),
      kv.arrayBool("a.bool", [false, true]), kv.arrayString("a.str", ["x", "", "🦙"]), kv.arrayString("a.empty", []),
      kv.arrayOfArrays("a.nested", [ggufArray(GgufValueType.INT32, Int32Array.of(1, 2)), ggufArray(GgufValueType.STRING, ["q"])]),
    ],
    tensors: [
      { name: "w", ne: [3], type: GgmlType.F32, data: f32(1, 2, 3) },
      { name: "v", ne: [2, 2], type: GgmlType.F32, data: () => f32(4, 5, 6, 7) },
      { name: "q", ne: [32], type: GgmlType.Q8_0, data: new Uint8Array(34).fill(9) },
    ],
  };
}

test("every KV type and nested/empty arrays survive write -> read -> write unchanged", () => {
  const bytes = serializeGguf(everything());
  const f = GgufFile.fromBytes(bytes);
  assert.equal(f.version, 3);
  assert.equal(f.get("t.u8"), 255);
  assert.equal(f.get("t.i8"), -128);
  assert.equal(f.get("t.u32"), 4294967295);
  assert.equal(f.get("t.i32"), -2147483648);
  assert.ok(Object.is(f.get("t.f32"), -0));
  assert.equal(f.get("t.f64"), 1e300);
  assert.equal(f.get("t.u64"), (1n << 64n) - 1n);
  assert.equal(f.get("t.i64"), -(1n << 63n));
  assert.equal(f.get("t.u64n"), 7n);
  assert.equal(f.get("t.bool"), true);
  assert.equal(f.get("t.empty"), "");
  assert.deepEqual((f.get("a.u64") as GgufArray).items, BigUint64Array.of(1n, 2n));
  assert.ok(Number.isNaN(((f.get("a.f32") as GgufArray).items as Float32Array)[1]!));
  assert.deepEqual((f.get("a.str") as GgufArray).items, ["x", "", "🦙"]);
  assert.deepEqual((f.get("a.empty") as GgufArray).items, []);
  const nested = f.get("a.nested") as GgufArray;
  assert.equal(nested.elementType, GgufValueType.ARRAY);
  assert.deepEqual((nested.items as GgufArray[])[0]!.items, Int32Array.of(1, 2));
  assert.deepEqual((nested.items as GgufArray[])[1]!.items, ["q"]);
  // the raw (invalid UTF-8) string keeps its bytes: key(8+5) ... find them in the file
  const raw = Buffer.from(bytes).indexOf(Buffer.from([0x61, 0xff, 0xc3]));
  assert.ok(raw > 0);
  assert.deepEqual(f.tensorData("w"), Float32Array.of(1, 2, 3));
  assert.deepEqual(f.tensorData("v"), Float32Array.of(4, 5, 6, 7));
  assert.deepEqual(f.tensor("v")!.ne, [2, 2]);
  // second generation is identical
  const again = serializeGguf({ kv: [...f.kv.values()], tensors: f.tensors.map((t) => ({ ...t, data: f.tensorBytes(t) })) });
  assert.deepEqual(again, bytes);
});

test("layout: offsets packed in order and padded to the alignment; version 2 and alignment 64", () => {
  const g = everything();
  const lay = planGgufLayout(g);
  assert.equal(lay.dataOffset % 32, 0);
  assert.deepEqual(lay.tensors.map((t) => [t.offset, t.nbytes]), [[0, 12], [32, 16], [64, 34]]);
  assert.equal(lay.totalSize, lay.dataOffset + 96 + 32);
  const v2 = GgufFile.fromBytes(serializeGguf({ ...g, version: 2, kv: [...g.kv, kv.u32("general.alignment", 64)] }));
  assert.equal(v2.version, 2);
  assert.equal(v2.header.alignment, 64);
  assert.deepEqual(v2.tensors.map((t) => t.offset), [0, 64, 128]);
  assert.equal(v2.header.dataOffset % 64, 0);
  assert.equal(v2.header.fileSize, v2.header.dataOffset + 64 * 3);
  // no tensors: no padding after the KVs (as gguf-py writes vocab files)
  const none = serializeGguf({ kv: [kv.string("a", "b")], tensors: [] });
  assert.equal(none.length, 24 + 8 + 1 + 4 + 8 + 1);
});

test("writer rejects what a reader would reject, with typed errors", () => {
  const base = everything();
  const t = base.tensors[0]!;
  const bad: [string, () => unknown][] = [
    ["GGUF_DUPLICATE_KEY", () => planGgufLayout({ ...base, kv: [kv.u8("x", 1), kv.u8("x", 2)] })],
    ["GGUF_DUPLICATE_TENSOR", () => planGgufLayout({ ...base, tensors: [t, t] })],
    ["GGUF_BAD_KEY", () => kv.u8("", 1)],
    ["GGUF_BAD_VALUE", () => kv.u8("x", 256)],
    ["GGUF_BAD_VALUE", () => kv.i32("x", 1.5)],
    ["GGUF_BAD_VALUE", () => kv.u64("x", -1n)],
    ["GGUF_BAD_VALUE", () => kv.u64("x", 2 ** 60)],
    ["GGUF_BAD_VALUE", () => kv.arrayU16("x", [70000])],
    ["GGUF_BAD_VALUE", () => planGgufLayout({ ...base, kv: [{ key: "x", type: GgufValueType.STRING, value: 5 }] })],
    ["GGUF_BAD_VALUE_TYPE", () => planGgufLayout({ ...base, kv: [{ key: "x", type: 13 as GgufValueType, value: 5 }] })],
    ["GGUF_BAD_STRING", () => kv.string("x", "\ud800")],
    ["GGUF_NESTING_TOO_DEEP", () => {
      let a = ggufArray(GgufValueType.UINT8, Uint8Array.of(1));
      for (let i = 0; i < 4; i++) a = ggufArray(GgufValueType.ARRAY, [a]);
      return kv.arrayOfArrays("deep", [a]);
    }],
    ["GGUF_BAD_DIMS", () => planGgufLayout({ ...base, tensors: [{ ...t, ne: [] }] })],
    ["GGUF_BAD_DIMS", () => planGgufLayout({ ...base, tensors: [{ ...t, ne: [1, 1, 1, 1, 1] }] })],
    ["GGUF_BAD_SHAPE", () => planGgufLayout({ ...base, tensors: [{ ...t, ne: [0] }] })],
    ["GGUF_BAD_SHAPE", () => planGgufLayout({ ...base, tensors: [{ ...t, ne: [-3] }] })],
    ["GGUF_BAD_SHAPE", () => planGgufLayout({ ...base, tensors: [{ ...t, ne: [2 ** 30, 2 ** 30] }] })],
    ["GGUF_BAD_SHAPE", () => planGgufLayout({ ...base, tensors: [{ ...t, ne: [31], type: GgmlType.Q4_0 }] })],
    ["GGUF_BAD_TENSOR_TYPE", () => planGgufLayout({ ...base, tensors: [{ ...t, type: 4 }] })],
    ["GGUF_BAD_ALIGNMENT", () => planGgufLayout({ ...base, alignment: 64 })],
    ["GGUF_BAD_ALIGNMENT", () => planGgufLayout({ ...base, kv: [kv.u32("general.alignment", 48)] })],
    ["GGUF_BAD_ALIGNMENT", () => planGgufLayout({ ...base, kv: [kv.u32("general.alignment", 0)] })],
    ["GGUF_BAD_ALIGNMENT", () => planGgufLayout({ ...base, kv: [kv.u64("general.alignment", 32)] })],
    ["GGUF_BAD_ALIGNMENT", () => planGgufLayout({ ...base, kv: [kv.u32("general.alignment", 64)], alignment: 32 })],
    ["GGUF_UNSUPPORTED_VERSION", () => planGgufLayout({ ...base, version: 1 as 2 })],
    ["GGUF_BAD_TENSOR_SIZE", () => serializeGguf({ ...base, tensors: [{ ...t, data: f32(1, 2) }] })],
    ["GGUF_BAD_TENSOR_DATA", () => serializeGguf({ ...base, tensors: [{ ...t, data: [1, 2, 3] as unknown as Uint8Array }] })],
    ["GGUF_ASYNC_DATA", () => serializeGguf({ ...base, tensors: [{ ...t, data: async () => f32(1, 2, 3) }] })],
  ];
  for (const [code, fn] of bad) assert.throws(fn, { code }, code);
  console.log(`writer validation cases: ${bad.length}`);
});

test("writeGgufFile is atomic: a failing tensor leaves the old file and no temp file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-gguf-w-"));
  try {
    const path = join(dir, "m.gguf");
    writeFileSync(path, "old");
    const g = everything();
    await assert.rejects(writeGgufFile(path, { ...g, tensors: [...g.tensors, { name: "boom", ne: [1], type: 0, data: async () => { throw new Error("source gone"); } }] }), /source gone/);
    await assert.rejects(writeGgufFile(path, { ...g, tensors: [{ ...g.tensors[0]!, data: () => f32(1) }] }), { code: "GGUF_BAD_TENSOR_SIZE" });
    assert.equal(readFileSync(path, "utf8"), "old");
    assert.deepEqual(readdirSync(dir), ["m.gguf"]);
    await writeGgufFile(path, g);
    assert.deepEqual(new Uint8Array(readFileSync(path)), serializeGguf(g));
    assert.deepEqual(readdirSync(dir), ["m.gguf"]);
    await assert.rejects(writeGgufFile(join(dir, "missing-dir", "x.gguf"), g), { code: "FILE_NOT_FOUND" });
    assert.equal(existsSync(join(dir, "missing-dir")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
