// safetensors reader and writer: byte-identical to the reference implementation on files it
// wrote, lossless round trips (bytes and files), typed views, the inspect summary, atomic writes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GlassboxError } from "../../src/errors.js";
import {
  SafetensorsFile, compareUtf8, serializeSafetensors, summarizeSafetensors, writeSafetensors,
  type SafetensorsTensorInput,
} from "../../src/formats/safetensors/index.js";

// Files written by the reference implementation (the `safetensors` 0.8.0 Python wheel,
// `safetensors.serialize` over raw buffers, every dtype incl. BF16/F8, a zero-size tensor, names
// that sort differently in UTF-8 and UTF-16, metadata needing escapes), stored as base64.
const REFERENCE: Record<string, string> = {
  "empty":
    "CAAAAAAAAAB7fSAgICAgIA==",
  "empty-meta":
    "KAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmcmFtZXdvcmsiOiJwdCJ9fSAgICAg",
  "all-dtypes":
    "aAUAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyIyIjoibnVtZXJpYy1saWtlIGtleSIsInF1b3RlXCJiYWNrXFxzbGFzaCI6Imxp" +
    "bmVcbmJyZWFrXHR0YWJcdTAwMDFjdGwiLCJmb3JtYXQiOiJwdCIsInVuaWNvZGUg5pel5pysIjoi8J+YgCJ9LCJ1NjQiOnsi" +
    "ZHR5cGUiOiJVNjQiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlswLDhdfSwiaTY0Ijp7ImR0eXBlIjoiSTY0Iiwic2hh" +
    "cGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbOCwzMl19LCJ3LmY2NCI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbM10sImRhdGFf" +
    "b2Zmc2V0cyI6WzMyLDU2XX0sImVtcHR5LnJvd3MiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzAsNF0sImRhdGFfb2Zmc2V0" +
    "cyI6WzU2LDU2XX0sInNjYWxhciI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMV0sImRhdGFfb2Zmc2V0cyI6WzU2LDYwXX0s" +
    "IncuZjMyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyLDNdLCJkYXRhX29mZnNldHMiOls2MCw4NF19LCJ1MzIiOnsiZHR5" +
    "cGUiOiJVMzIiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOls4NCw4OF19LCJpMzIiOnsiZHR5cGUiOiJJMzIiLCJzaGFw" +
    "ZSI6WzEsMl0sImRhdGFfb2Zmc2V0cyI6Wzg4LDk2XX0sIncuYmYxNiI6eyJkdHlwZSI6IkJGMTYiLCJzaGFwZSI6WzNdLCJk" +
    "YXRhX29mZnNldHMiOls5NiwxMDJdfSwidy5mMTYiOnsiZHR5cGUiOiJGMTYiLCJzaGFwZSI6WzIsMl0sImRhdGFfb2Zmc2V0" +
    "cyI6WzEwMiwxMTBdfSwidTE2Ijp7ImR0eXBlIjoiVTE2Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbMTEwLDExNF19" +
    "LCJpMTYiOnsiZHR5cGUiOiJJMTYiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsxMTQsMTE2XX0sImY4YSI6eyJkdHlw" +
    "ZSI6IkY4X0U0TTMiLCJzaGFwZSI6WzJdLCJkYXRhX29mZnNldHMiOlsxMTYsMTE4XX0sImY4YiI6eyJkdHlwZSI6IkY4X0U1" +
    "TTIiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsxMTgsMTE5XX0sImk4Ijp7ImR0eXBlIjoiSTgiLCJzaGFwZSI6WzNd" +
    "LCJkYXRhX29mZnNldHMiOlsxMTksMTIyXX0sInU4Ijp7ImR0eXBlIjoiVTgiLCJzaGFwZSI6WzVdLCJkYXRhX29mZnNldHMi" +
    "OlsxMjIsMTI3XX0sInouQSI6eyJkdHlwZSI6IlU4Iiwic2hhcGUiOlsxXSwiZGF0YV9vZmZzZXRzIjpbMTI3LDEyOF19LCJ6" +
    "LsOpIjp7ImR0eXBlIjoiVTgiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsxMjgsMTI5XX0sInou7oCAIjp7ImR0eXBl" +
    "IjoiVTgiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlsxMjksMTMwXX0sInou8J2RpSI6eyJkdHlwZSI6IlU4Iiwic2hh" +
    "cGUiOlsxXSwiZGF0YV9vZmZzZXRzIjpbMTMwLDEzMV19LCJtYXNrIjp7ImR0eXBlIjoiQk9PTCIsInNoYXBlIjpbM10sImRh" +
    "dGFfb2Zmc2V0cyI6WzEzMSwxMzRdfX0gBQAAAAAAAID//////////wAAAAAAAQAABwAAAAAAAAAAAAAAAAAAAAAAAAAAAOA/" +
    "AAAAAAAA8D8AAGBAAAAgwAAAwL8AAAC/AAAAPwAAwD8AACBAAChr7vn///8IAAAAgD8AQIC/AAAANAA4ADr//wEA1P44fjyA" +
    "fwABAgMEBQwJCgsBAAE=",
};

const ref = (name: string): Uint8Array => new Uint8Array(Buffer.from(REFERENCE[name]!, "base64"));

async function withTmp<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-st-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The tensors of a file as writer input (data are views or copies of the file's bytes). */
function asInput(f: SafetensorsFile): Map<string, SafetensorsTensorInput> {
  return new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.tensorBytes(t) }]));
}

test("reads the reference implementation's file with every dtype", () => {
  const f = SafetensorsFile.fromBytes(ref("all-dtypes"));
  assert.equal(f.tensors.length, 21);
  // Reference order: dtype alignment descending, then name in UTF-8 byte order.
  assert.deepEqual(f.tensors.map((t) => t.name), [
    "u64", "i64", "w.f64", "empty.rows", "scalar", "w.f32", "u32", "i32", "w.bf16", "w.f16", "u16", "i16",
    "f8a", "f8b", "i8", "u8", "z.A", "z.\u00e9", "z.\ue000", "z.\u{1d465}", "mask",
  ]);
  assert.deepEqual(f.metadata, {
    "2": "numeric-like key", 'quote"back\\slash': "line\nbreak\ttab\u0001ctl", format: "pt", "unicode \u65e5\u672c": "\u{1f600}",
  });
  assert.deepEqual([...(f.tensorData("w.f32") as Float32Array)], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
  assert.deepEqual(f.tensor("w.f32")!.shape, [2, 3]);
  assert.deepEqual([...(f.tensorData("w.f64") as Float64Array)], [0, 0.5, 1]);
  assert.deepEqual([...(f.tensorData("i64") as BigInt64Array)], [-1n, 2n ** 40n, 7n]);
  assert.deepEqual([...(f.tensorData("u64") as BigUint64Array)], [2n ** 63n + 5n]);
  assert.deepEqual([...(f.tensorData("i32") as Int32Array)], [-7, 8]);
  assert.deepEqual([...(f.tensorData("u32") as Uint32Array)], [4000000000]);
  assert.deepEqual([...(f.tensorData("i16") as Int16Array)], [-300]);
  assert.deepEqual([...(f.tensorData("u16") as Uint16Array)], [65535, 1]);
  assert.deepEqual([...(f.tensorData("w.bf16") as Uint16Array)], [0x3f80, 0x4000, 0xbf80]);
  assert.deepEqual([...(f.tensorData("w.f16") as Uint16Array)], [0, 0x3400, 0x3800, 0x3a00]); // 0, .25, .5, .75
  assert.deepEqual([...(f.tensorData("i8") as Int8Array)], [-128, 127, 0]);
  assert.deepEqual([...(f.tensorData("mask") as Uint8Array)], [1, 0, 1]);
  assert.deepEqual([...(f.tensorData("f8a") as Uint8Array)], [0x38, 0x7e]);
  const empty = f.tensor("empty.rows")!;
  assert.deepEqual([empty.shape, empty.nelements, empty.nbytes, f.tensorData(empty).length], [[0, 4], 0, 0, 0]);
  assert.ok(f.tensorData("w.f32") instanceof Float32Array);
  assert.ok(f.tensorData("w.f64") instanceof Float64Array);
});

test("serializes byte-identically to the reference implementation", () => {
  for (const name of ["empty", "empty-meta", "all-dtypes"]) {
    const bytes = ref(name);
    const f = SafetensorsFile.fromBytes(bytes);
    // Feed the tensors in a scrambled order: the writer must sort them itself.
    const input = new Map([...asInput(f)].reverse());
    const meta = f.metadata === undefined ? undefined : new Map(Object.entries(f.metadata).sort(([a], [b]) =>
      // The reference wrote its metadata in hash order; hand ours the same order (integer-like
      // keys first is also how a JS object iterates, so rebuild from the file's bytes).
      bytesIndex(bytes, a) - bytesIndex(bytes, b)));
    const out = serializeSafetensors(input, meta);
    assert.deepEqual(Buffer.from(out), Buffer.from(bytes), name);
  }
});

/** Where a metadata key first appears as a JSON string in the file, to recover the written order. */
function bytesIndex(bytes: Uint8Array, key: string): number {
  return Buffer.from(bytes).indexOf(Buffer.from(JSON.stringify(key)));
}

test("writer output for the reference's own unit-test tensors", () => {
  // safetensors/src/tensor.rs test_serialization: F32 [1,2,3] named "attn.0" -> header length 64.
  const data = new Float32Array([0, 1, 2, 3, 4, 5]);
  const out = serializeSafetensors({ "attn.0": { dtype: "F32", shape: [1, 2, 3], data } });
  const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  assert.equal(json.length, 64);
  assert.deepEqual(Buffer.from(out.subarray(0, 8)), Buffer.from([64, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(Buffer.from(out.subarray(8, 72)).toString(), json);
  assert.deepEqual(Buffer.from(out.subarray(72)), Buffer.from(data.buffer));
  // test_serialization_forced_alignement: "attn0" F32 [1,1,2,3] -> 65-byte JSON padded to 72.
  const out2 = serializeSafetensors({ attn0: { dtype: "F32", shape: [1, 1, 2, 3], data } });
  assert.equal(out2[0], 72);
  assert.equal(Buffer.from(out2.subarray(8, 80)).toString(), '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
});

test("round trip through bytes and through a file keeps names, dtypes, shapes, data and metadata", async () => {
  const tensors: Record<string, SafetensorsTensorInput> = {
    "model.embed_tokens.weight": { dtype: "F32", shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1) },
    "model.norm.weight": { dtype: "BF16", shape: [3], data: new Uint16Array([0x3f80, 0x3f00, 0x4040]) },
    scalar: { dtype: "F64", shape: [], data: new Float64Array([Math.PI]) },
    "no.rows": { dtype: "I32", shape: [0, 7], data: new Int32Array(0) },
    "also.empty": { dtype: "U8", shape: [3, 0], data: new Uint8Array(0) },
    "\u00fcnicode \u{1f600} name": { dtype: "I8", shape: [2], data: new Int8Array([-5, 5]) },
    "__proto__": { dtype: "BOOL", shape: [1], data: new Uint8Array([1]) },
  };
  const metadata = { format: "pt", note: 'quotes " and \\ and \n and \u0000' };
  const bytes = serializeSafetensors(tensors, metadata);
  assert.equal(new DataView(bytes.buffer).getUint32(0, true) % 8, 0, "header padded to 8 bytes");
  const check = (f: SafetensorsFile): void => {
    assert.deepEqual(f.metadata, metadata);
    assert.equal(f.tensors.length, Object.keys(tensors).length);
    for (const [name, t] of Object.entries(tensors)) {
      const info = f.tensor(name);
      assert.ok(info, name);
      assert.equal(info.dtype, t.dtype);
      assert.deepEqual(info.shape, t.shape);
      assert.deepEqual(Buffer.from(f.tensorBytes(info)), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), name);
      // Every tensor starts aligned to its element size, so typed views need no copy.
      assert.equal((info.offset - f.header.dataStart) % (info.nelements ? info.nbytes / info.nelements : 1), 0);
    }
    assert.equal(f.tensorData("scalar")[0], Math.PI);
  };
  check(SafetensorsFile.fromBytes(bytes));
  await withTmp(async (dir) => {
    const path = join(dir, "model.safetensors");
    await writeSafetensors(path, tensors, metadata);
    assert.deepEqual(readFileSync(path), Buffer.from(bytes), "file equals serialize output");
    assert.deepEqual(readdirSync(dir), ["model.safetensors"], "no temporary file left");
    const f = SafetensorsFile.open(path);
    try {
      check(f);
    } finally {
      f.close();
    }
  });
});

test("no metadata is written as none; empty metadata as an empty object", () => {
  const t = { a: { dtype: "U8" as const, shape: [1], data: new Uint8Array([7]) } };
  assert.equal(SafetensorsFile.fromBytes(serializeSafetensors(t)).metadata, undefined);
  const withEmpty = serializeSafetensors(t, {});
  assert.ok(Buffer.from(withEmpty).includes('{"__metadata__":{},"a":'));
  assert.deepEqual(SafetensorsFile.fromBytes(withEmpty).metadata, {});
});

test("typed views are aligned copies when the bytes are misaligned", () => {
  const bytes = serializeSafetensors({ x: { dtype: "F32", shape: [2], data: new Float32Array([1.5, -2]) } });
  const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
  shifted.set(bytes);
  const f = SafetensorsFile.fromBytes(shifted);
  assert.deepEqual([...(f.tensorData("x") as Float32Array)], [1.5, -2]);
  assert.equal(f.tensorBytes("x").buffer, shifted.buffer, "tensorBytes of in-memory bytes is a view");
});

test("summary counts parameters, tensors and bytes per dtype from the header", () => {
  const f = SafetensorsFile.fromBytes(ref("all-dtypes"));
  const s = summarizeSafetensors(f);
  assert.equal(s.tensorCount, 21);
  assert.equal(s.fileBytes, f.size);
  assert.equal(s.headerBytes + 8 + s.dataBytes, s.fileBytes);
  assert.equal(s.parameterCount, f.tensors.reduce((n, t) => n + t.nelements, 0));
  assert.equal(s.parameterCount, 1 + 3 + 3 + 0 + 1 + 6 + 1 + 2 + 3 + 4 + 2 + 1 + 2 + 1 + 3 + 5 + 4 + 3);
  assert.equal(s.dtypes.reduce((n, d) => n + d.bytes, 0), s.dataBytes);
  const f32 = s.dtypes.find((d) => d.dtype === "F32")!;
  assert.deepEqual(f32, { dtype: "F32", tensors: 3, parameters: 7, bytes: 28 });
  const u8 = s.dtypes.find((d) => d.dtype === "U8")!;
  assert.deepEqual(u8, { dtype: "U8", tensors: 5, parameters: 9, bytes: 9 });
  assert.equal(s.dtypes[0]!.dtype, "F32", "most bytes first");
  assert.equal(s.metadata?.format, "pt");
});

test("opening a file reads the header, not the tensor data", async () => {
  await withTmp((dir) => {
    const path = join(dir, "big.safetensors");
    // A 1 GiB tensor behind a tiny header, as a sparse file: opening it must not allocate or
    // read the data.
    const n = 2 ** 28;
    const head = serializeSafetensors({ small: { dtype: "U8", shape: [8], data: new Uint8Array(8).fill(7) } });
    const json = `{"big":{"dtype":"F32","shape":[${n}],"data_offsets":[0,${4 * n}]},"small":{"dtype":"U8","shape":[8],"data_offsets":[${4 * n},${4 * n + 8}]}}`;
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
    writeFileSync(path, Buffer.concat([prefix, Buffer.from(json)]));
    truncateSync(path, 8 + json.length + 4 * n + 8);
    const fd = openSync(path, "r+");
    writeSync(fd, head.subarray(head.byteLength - 8), 0, 8, 8 + json.length + 4 * n);
    closeSync(fd);
    const before = process.memoryUsage().arrayBuffers;
    const f = SafetensorsFile.open(path);
    try {
      assert.ok(process.memoryUsage().arrayBuffers - before < 16 << 20, "no data-sized allocation");
      assert.equal(f.tensor("big")!.nbytes, 4 * n);
      assert.deepEqual([...f.tensorBytes("small")], [7, 7, 7, 7, 7, 7, 7, 7]);
      assert.equal(summarizeSafetensors(f).parameterCount, n + 8);
    } finally {
      f.close();
    }
  });
});

test("writer rejects bad input before touching the disk", async () => {
  const cases: [string, unknown, unknown?][] = [
    ["unknown dtype", { a: { dtype: "F128", shape: [1], data: new Uint8Array(16) } }],
    ["negative dim", { a: { dtype: "U8", shape: [-1], data: new Uint8Array(0) } }],
    ["fractional dim", { a: { dtype: "U8", shape: [1.5], data: new Uint8Array(1) } }],
    ["data too short", { a: { dtype: "F32", shape: [2], data: new Float32Array(1) } }],
    ["data not a view", { a: { dtype: "U8", shape: [1], data: [1] } }],
    ["reserved name", { __metadata__: { dtype: "U8", shape: [1], data: new Uint8Array(1) } }],
    ["lone surrogate name", { "a\ud800": { dtype: "U8", shape: [1], data: new Uint8Array(1) } }],
    ["non-string metadata", {}, { a: 1 }],
  ];
  await withTmp(async (dir) => {
    const path = join(dir, "x.safetensors");
    writeFileSync(path, "old");
    for (const [what, tensors, meta] of cases) {
      await assert.rejects(writeSafetensors(path, tensors as never, meta as never),
        (e: unknown) => e instanceof GlassboxError && e.code === "SAFETENSORS_BAD_INPUT", what);
      assert.throws(() => serializeSafetensors(tensors as never, meta as never),
        (e: unknown) => e instanceof GlassboxError && e.code === "SAFETENSORS_BAD_INPUT", what);
    }
    assert.equal(readFileSync(path, "utf8"), "old");
    assert.deepEqual(readdirSync(dir), ["x.safetensors"]);
    await assert.rejects(writeSafetensors(join(dir, "missing-dir", "y.safetensors"), {}),
      (e: unknown) => e instanceof GlassboxError && e.code === "FILE_NOT_FOUND");
    assert.deepEqual(readdirSync(dir), ["x.safetensors"]);
  });
});

test("writer replaces an existing file atomically and zero-dim shapes with huge dims still work", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "m.safetensors");
    writeFileSync(path, "previous contents");
    const big = Number.MAX_SAFE_INTEGER;
    await writeSafetensors(path, { z: { dtype: "F32", shape: [big, big, big, big, big, big, big, 0], data: new Float32Array(0) } });
    const f = SafetensorsFile.open(path);
    try {
      assert.equal(f.tensor("z")!.nelements, 0);
    } finally {
      f.close();
    }
    assert.deepEqual(readdirSync(dir), ["m.safetensors"]);
  });
});

test("compareUtf8 orders by code point like the reference's byte-wise name sort", () => {
  const names = ["z.\u{1d465}", "z.\ue000", "z.A", "z.\u00e9", "z.", "a"];
  assert.deepEqual(names.slice().sort(compareUtf8), ["a", "z.", "z.A", "z.\u00e9", "z.\ue000", "z.\u{1d465}"]);
  const bytewise = names.slice().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.deepEqual(names.slice().sort(compareUtf8), bytewise);
});

test("a file that shrinks after opening gives FILE_IO on read, not a crash", async () => {
  await withTmp(async (dir) => {
    const path = join(dir, "s.safetensors");
    await writeSafetensors(path, { a: { dtype: "U8", shape: [4], data: new Uint8Array(4) }, b: { dtype: "U8", shape: [4], data: new Uint8Array(4) } });
    const f = SafetensorsFile.open(path);
    try {
      truncateSync(path, f.size - 2);
      assert.equal(f.tensorBytes("a").length, 4);
      assert.throws(() => f.tensorBytes("b"), (e: unknown) => e instanceof GlassboxError && e.code === "FILE_IO");
    } finally {
      f.close();
    }
  });
});

test("opening a missing file is a typed error", () => {
  assert.throws(() => SafetensorsFile.open("/nonexistent/glassbox/x.safetensors"),
    (e: unknown) => e instanceof GlassboxError && e.code === "FILE_NOT_FOUND");
});
