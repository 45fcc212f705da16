// Hostile GGUF input: every defect is a GlassboxError with a code and the byte offset of the
// defect; nothing crashes, hangs or allocates more than the file can justify. Covers the
// CVE-2024-25664..25668 family (huge n_kv / n_tensors, string length 2^64-1, array count times
// element size overflowing, string arrays with huge counts) and a file truncated at every byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GlassboxError } from "../../src/errors.js";
import { GGUF_MAGIC, GgmlType, GgufFile, GgufValueType, type GgufByteSource } from "../../src/formats/gguf/index.js";
import { readVector } from "../helpers/vectors.js";

// ---- a tiny raw GGUF byte builder (independent of our writer, so it can build invalid files) ----
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };
const u64 = (v: bigint | number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true); return b; };
const i64 = (v: bigint | number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, BigInt(v)), true); return b; };
const str = (s: string) => { const b = new TextEncoder().encode(s); return cat(u64(b.length), b); };
const hdr = (nT: bigint | number, nKv: bigint | number, version = 3) => cat(u32(GGUF_MAGIC), u32(version), u64(nT), u64(nKv));
const kvU32 = (k: string, v: number) => cat(str(k), u32(GgufValueType.UINT32), u32(v));
const kvStr = (k: string, v: string) => cat(str(k), u32(GgufValueType.STRING), str(v));
const tinfo = (name: string, ne: (number | bigint)[], type: number, off: number | bigint, nDims = ne.length) =>
  cat(str(name), u32(nDims), ...ne.map(i64), u32(type), u64(off));

/** A file from KVs and tensor infos, padded to `align` and followed by `data` zero bytes. */
function file(kvs: Uint8Array[], infos: Uint8Array[], data: number, align = 32): Uint8Array {
  const head = cat(hdr(infos.length, kvs.length), ...kvs, ...infos);
  const pad = infos.length ? (align - (head.length % align)) % align : 0;
  return cat(head, new Uint8Array(pad + data));
}

const U64_MAX = (1n << 64n) - 1n;
let cases = 0;

function rejects(bytes: Uint8Array, code: string, offset?: number): void {
  cases++;
  assert.throws(() => GgufFile.fromBytes(bytes), (e: unknown) => {
    assert.ok(e instanceof GlassboxError, `expected GlassboxError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (offset !== undefined) assert.equal(e.offset, offset, e.message);
    assert.ok(e.offset !== undefined && e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} outside the file`);
    return true;
  });
}

test("sanity: the builder makes files the reader accepts", () => {
  const ok = file([kvStr("general.architecture", "x"), kvU32("general.alignment", 64)], [tinfo("a", [8], GgmlType.F32, 0), tinfo("b", [32, 2], GgmlType.Q8_0, 64)], 64 + 68, 64);
  const f = GgufFile.fromBytes(ok);
  assert.equal(f.header.alignment, 64);
  assert.deepEqual(f.tensors.map((t) => t.nbytes), [32, 68]);
});

test("header: bad magic, unsupported versions, impossible n_tensors / n_kv (CVE-2024-25665/25666)", () => {
  rejects(new Uint8Array(0), "GGUF_TRUNCATED", 0);
  rejects(Uint8Array.of(0x47, 0x47), "GGUF_TRUNCATED", 0);
  rejects(cat(new TextEncoder().encode("GGUX"), u32(3), u64(0), u64(0)), "GGUF_BAD_MAGIC", 0);
  rejects(cat(new TextEncoder().encode("ggml"), new Uint8Array(20)), "GGUF_BAD_MAGIC", 0);
  for (const v of [0, 1, 4, 0x03000000, 0xffffffff]) rejects(hdr(0, 0, v), "GGUF_UNSUPPORTED_VERSION", 4);
  for (const n of [U64_MAX, 1n << 63n, (1n << 53n) + 1n, 1n << 32n, 1000n]) rejects(hdr(n, 0), "GGUF_TOO_MANY_TENSORS", 8);
  for (const n of [U64_MAX, 1n << 63n, (1n << 61n) + 1n, 1n << 40n, 2n]) rejects(cat(hdr(0, n), kvU32("a", 1)), "GGUF_TOO_MANY_KV", 16);
  rejects(cat(hdr(1, 0), new Uint8Array(31)), "GGUF_TOO_MANY_TENSORS", 8); // 31 bytes after n_kv cannot hold a tensor info
  assert.equal(GgufFile.fromBytes(hdr(0, 0)).kv.size, 0);
});

test("strings: length 2^64-1, 2^63, beyond the file, empty key, duplicate key (CVE-2024-25664)", () => {
  for (const len of [U64_MAX, 1n << 63n, 1n << 53n, 1n << 32n, 100n]) {
    rejects(cat(hdr(0, 1), u64(len), new TextEncoder().encode("abcdef"), u32(0), new Uint8Array(1)), "GGUF_BAD_STRING", 24);
    const key = str("k");
    rejects(cat(hdr(0, 1), key, u32(GgufValueType.STRING), u64(len), new Uint8Array(8)), "GGUF_BAD_STRING", 24 + key.length + 4);
  }
  rejects(cat(hdr(0, 1), str(""), u32(0), Uint8Array.of(1, 0, 0)), "GGUF_BAD_KEY", 24);
  const first = kvU32("same", 1);
  rejects(cat(hdr(0, 2), first, kvU32("same", 2)), "GGUF_DUPLICATE_KEY", 24 + first.length);
});

test("arrays: count x element size overflowing, huge string / bool / nested counts (CVE-2024-25667/25668)", () => {
  const arr = (et: number, n: bigint) => cat(hdr(0, 1), str("a"), u32(GgufValueType.ARRAY), u32(et), u64(n), new Uint8Array(64));
  const countAt = 24 + 9 + 4 + 4;
  for (const n of [U64_MAX, 1n << 62n, 1n << 61n, (1n << 64n) / 4n + 1n, 1n << 32n, 65n]) {
    for (const et of [GgufValueType.UINT8, GgufValueType.UINT32, GgufValueType.FLOAT64, GgufValueType.STRING, GgufValueType.BOOL, GgufValueType.ARRAY]) {
      rejects(arr(et, n), "GGUF_ARRAY_TOO_LARGE", countAt);
    }
  }
  // a string array whose count fits the bound but whose strings do not fit the file
  rejects(cat(hdr(0, 1), str("a"), u32(GgufValueType.ARRAY), u32(GgufValueType.STRING), u64(4), u64(1), new Uint8Array(24)), "GGUF_TRUNCATED");
  rejects(cat(hdr(0, 1), str("a"), u32(GgufValueType.ARRAY), u32(GgufValueType.STRING), u64(2), u64(U64_MAX), new Uint8Array(16)), "GGUF_BAD_STRING", countAt + 8);
  // element count exactly filling the file is fine
  const ok = GgufFile.fromBytes(cat(hdr(0, 1), str("a"), u32(GgufValueType.ARRAY), u32(GgufValueType.UINT8), u64(3), Uint8Array.of(7, 8, 9)));
  assert.deepEqual((ok.get("a") as { items: Uint8Array }).items, Uint8Array.of(7, 8, 9));
});

test("value types out of range, bad bools, arrays nested deeper than the limit", () => {
  for (const t of [13, 14, 255, 0x80000000, 0xffffffff]) {
    rejects(cat(hdr(0, 1), str("a"), u32(t), new Uint8Array(16)), "GGUF_BAD_VALUE_TYPE", 24 + 9);
    rejects(cat(hdr(0, 1), str("a"), u32(GgufValueType.ARRAY), u32(t), u64(0), new Uint8Array(16)), "GGUF_BAD_VALUE_TYPE", 24 + 9 + 4);
  }
  rejects(cat(hdr(0, 1), str("a"), u32(GgufValueType.BOOL), Uint8Array.of(2)), "GGUF_BAD_VALUE", 24 + 9 + 4);
  rejects(cat(hdr(0, 1), str("a"), u32(GgufValueType.ARRAY), u32(GgufValueType.BOOL), u64(2), Uint8Array.of(1, 0xff)), "GGUF_BAD_VALUE", 24 + 9 + 4 + 12 + 1);
  const nest = (levels: number) => {
    const parts: Uint8Array[] = [];
    for (let i = 1; i < levels; i++) parts.push(u32(GgufValueType.ARRAY), u64(1));
    parts.push(u32(GgufValueType.UINT8), u64(1), Uint8Array.of(42));
    return cat(hdr(0, 1), str("a"), u32(GgufValueType.ARRAY), ...parts);
  };
  let v = GgufFile.fromBytes(nest(4)).get("a") as { items: unknown };
  for (let i = 1; i < 4; i++) v = (v.items as { items: unknown }[])[0]!;
  assert.deepEqual(v.items, Uint8Array.of(42));
  rejects(nest(5), "GGUF_NESTING_TOO_DEEP", 24 + 9 + 4 + 4 * 12);
  rejects(nest(10000), "GGUF_NESTING_TOO_DEEP", 24 + 9 + 4 + 4 * 12);
});

test("general.alignment of 0, not a power of two, or the wrong type", () => {
  const t = [tinfo("a", [8], GgmlType.F32, 0)];
  for (const a of [0, 3, 48, 0x80000001, 0xffffffff]) rejects(file([kvU32("general.alignment", a)], t, 64), "GGUF_BAD_ALIGNMENT", 24 + 25 + 4);
  rejects(file([cat(str("general.alignment"), u32(GgufValueType.INT32), u32(32))], t, 64), "GGUF_BAD_ALIGNMENT", 24 + 25 + 4);
  rejects(file([cat(str("general.alignment"), u32(GgufValueType.UINT64), u64(32))], t, 64), "GGUF_BAD_ALIGNMENT");
  rejects(file([kvStr("general.alignment", "32")], t, 64), "GGUF_BAD_ALIGNMENT");
  for (const a of [1, 2, 8, 256]) assert.equal(GgufFile.fromBytes(file([kvU32("general.alignment", a)], [tinfo("a", [8], GgmlType.F32, 0)], 256, a)).header.alignment, a);
});

test("tensor infos: n_dims 0 / > 4, zero or negative dims, element-count overflow, unknown types, block size", () => {
  const at = 24 + 9; // tensor "a": name(9) then n_dims
  for (const n of [0, 5, 0xffffffff]) rejects(file([], [tinfo("a", [8], GgmlType.F32, 0, n)], 64), "GGUF_BAD_DIMS", at);
  for (const d of [0n, -1n, -(1n << 63n)]) {
    rejects(file([], [tinfo("a", [d], GgmlType.F32, 0)], 64), "GGUF_BAD_SHAPE", at + 4);
    rejects(file([], [tinfo("a", [4, 4, d], GgmlType.F32, 0)], 64), "GGUF_BAD_SHAPE", at + 4 + 16);
  }
  rejects(file([], [tinfo("a", [1n << 32n, 1n << 32n], GgmlType.F32, 0)], 64), "GGUF_BAD_SHAPE", at + 12);
  rejects(file([], [tinfo("a", [1n << 62n, 4], GgmlType.F32, 0)], 64), "GGUF_BAD_SHAPE", at + 4);
  rejects(file([], [tinfo("a", [2, 2, 2, 1n << 51n], GgmlType.F32, 0)], 64), "GGUF_BAD_SHAPE", at + 28);
  rejects(file([], [tinfo("a", [(1n << 63n) - 1n], GgmlType.F32, 0)], 64), "GGUF_BAD_SHAPE", at + 4);
  for (const t of [4, 5, 31, 36, 40, 0xffffffff]) rejects(file([], [tinfo("a", [32], t, 0)], 64), "GGUF_BAD_TENSOR_TYPE", at + 12);
  rejects(file([], [tinfo("a", [31], GgmlType.Q4_0, 0)], 64), "GGUF_BAD_SHAPE", at + 4);
  rejects(file([], [tinfo("a", [128, 2], GgmlType.Q4_K, 0)], 2048), "GGUF_BAD_SHAPE", at + 4);
  const first = tinfo("w", [8], GgmlType.F32, 0);
  rejects(file([], [first, tinfo("w", [8], GgmlType.F32, 32)], 64), "GGUF_DUPLICATE_TENSOR", 24 + first.length);
});

test("tensor data outside the file, overlapping, misaligned", () => {
  const infoLen = tinfo("a", [8], GgmlType.F32, 0).length;
  const offAt = 24 + infoLen - 8;
  rejects(file([], [tinfo("a", [8], GgmlType.F32, U64_MAX)], 64), "GGUF_TENSOR_OUT_OF_BOUNDS", offAt);
  rejects(file([], [tinfo("a", [8], GgmlType.F32, 1n << 60n)], 64), "GGUF_TENSOR_OUT_OF_BOUNDS", offAt);
  rejects(file([], [tinfo("a", [8], GgmlType.F32, 64)], 64), "GGUF_TENSOR_OUT_OF_BOUNDS", offAt);
  rejects(file([], [tinfo("a", [8], GgmlType.F32, 0)], 31), "GGUF_TENSOR_OUT_OF_BOUNDS", offAt); // one byte short
  rejects(file([], [tinfo("a", [1n << 40n], GgmlType.F32, 0)], 64), "GGUF_TENSOR_OUT_OF_BOUNDS", offAt);
  rejects(file([], [tinfo("a", [1n << 52n, 1], GgmlType.F64, 0)], 64), "GGUF_TENSOR_OUT_OF_BOUNDS", offAt + 8);
  assert.equal(GgufFile.fromBytes(file([], [tinfo("a", [8], GgmlType.F32, 0)], 32)).tensors.length, 1);
  for (const off of [1, 4, 16, 31]) rejects(file([], [tinfo("a", [8], GgmlType.F32, off)], 128), "GGUF_MISALIGNED_TENSOR", offAt);
  const a = tinfo("a", [16], GgmlType.F32, 0);
  rejects(file([], [a, tinfo("b", [8], GgmlType.F32, 0)], 128), "GGUF_TENSOR_OVERLAP");
  rejects(file([], [a, tinfo("b", [8], GgmlType.F32, 32)], 128), "GGUF_TENSOR_OVERLAP", 24 + a.length + infoLen - 8);
  rejects(file([], [tinfo("b", [8], GgmlType.F32, 32), a], 128), "GGUF_TENSOR_OVERLAP"); // out of order, still caught
  // gaps and any order are fine
  assert.equal(GgufFile.fromBytes(file([], [tinfo("b", [8], GgmlType.F32, 96), tinfo("a", [8], GgmlType.F32, 0)], 128)).tensors.length, 2);
});

/** A ByteSource that copies on every read (like a file), to exercise the chunked cursor path. */
function copyingSource(bytes: Uint8Array): GgufByteSource {
  return { size: bytes.length, read: (o, l) => bytes.slice(o, o + l), readCopy: (o, l) => bytes.slice(o, o + l), close() {} };
}

// alignment-64.gguf: every byte of the whole file. kv-and-tensor-types.gguf: every byte of the
// header and the last 256 bytes, every 29th byte of the tensor data between (keeps the file fast).
for (const [name, everyByte] of [["alignment-64.gguf", true], ["kv-and-tensor-types.gguf", false]] as const) {
  test(`${name} truncated at every byte offset: typed error or a complete parse, never anything else`, () => {
    const bytes = readVector("gguf", name);
    const full = GgufFile.fromBytes(bytes);
    const dataEnd = Math.max(...full.tensors.map((t) => full.header.dataOffset + t.offset + t.nbytes));
    const codes = new Map<string, number>();
    const t0 = performance.now();
    let parsed = 0, tried = 0;
    for (let len = 0; len < bytes.length; len++) {
      if (!everyByte && len > full.header.dataOffset + 64 && len < bytes.length - 256 && len % 29 !== 0) continue;
      tried++;
      const prefix = bytes.subarray(0, len);
      try {
        const f = len % 7 === 0 ? GgufFile.fromSource(copyingSource(prefix)) : GgufFile.fromBytes(prefix);
        parsed++;
        assert.ok(len >= dataEnd, `prefix of ${len} bytes parsed although tensor data ends at ${dataEnd}`);
        assert.equal(f.tensors.length, full.tensors.length);
      } catch (e) {
        if (!(e instanceof GlassboxError)) throw e;
        assert.ok(e.offset !== undefined && e.offset <= len, `${e.code} offset ${e.offset} beyond ${len}`);
        if (len < full.header.infoEnd) assert.notEqual(e.code, "GGUF_TENSOR_OUT_OF_BOUNDS", `header cut at ${len}`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
    }
    const ms = performance.now() - t0;
    console.log(`${name}: ${tried} truncations in ${ms.toFixed(0)} ms; parsed (only trailing padding cut): ${parsed}; errors: ${JSON.stringify(Object.fromEntries(codes))}`);
    if (everyByte) assert.equal(tried, bytes.length);
    assert.equal(parsed, bytes.length - dataEnd);
    assert.ok((codes.get("GGUF_TRUNCATED") ?? 0) > 0);
  });
}

test("a file that shrinks after opening fails tensor reads with FILE_IO", () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-gguf-shrink-"));
  try {
    const p = join(dir, "a.gguf");
    writeFileSync(p, readVector("gguf", "alignment-64.gguf"));
    const f = GgufFile.open(p);
    try {
      truncateSync(p, f.header.dataOffset + 10);
      assert.throws(() => f.tensorBytes("t.f16"), { code: "FILE_IO" });
    } finally {
      f.close();
    }
    assert.throws(() => GgufFile.open(join(dir, "missing.gguf")), { code: "FILE_NOT_FOUND" });
    console.log(`hostile cases checked: ${cases}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
