// Seeded, bounded fuzzing of the GGUF reader: valid files mutated by bit flips, boundary-value
// overwrites (0xFF.., 0x80.., counts and lengths like 2^64-1), truncations, insertions and
// deletions. Every case must either parse (and then read all tensors and survive a write -> read
// round trip) or throw a GlassboxError with an offset inside the input. Nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GlassboxError } from "../../src/errors.js";
import {
  GgmlType, GgufFile, GgufValueType, ggufArray, ggufToWrite, kv, serializeGguf, type GgufByteSource,
} from "../../src/formats/gguf/index.js";
import { readVector } from "../helpers/vectors.js";
import { mulberry32 } from "../../src/util/mulberry32.js";

const prng: (seed: number) => () => number = mulberry32;

function synthetic(): Uint8Array {
  return serializeGguf({
    kv: [
      kv.string("general.architecture", "fuzz"), kv.u32("general.alignment", 16), kv.u64("n", 5n), kv.i64("m", -5n),
      kv.f64("d", 0.5), kv.bool("b", true), kv.arrayString("s", ["a", "bc", "", "🦙"]), kv.arrayBool("bb", [true, false]),
      kv.arrayOfArrays("nest", [ggufArray(GgufValueType.ARRAY, [ggufArray(GgufValueType.UINT16, Uint16Array.of(1, 2))]), ggufArray(GgufValueType.STRING, ["x"])]),
      kv.arrayF32("f", [1, 2, 3]),
    ],
    tensors: [
      { name: "a", ne: [3], type: GgmlType.F32, data: new Uint8Array(12).fill(1) },
      { name: "q", ne: [32, 2], type: GgmlType.Q8_0, data: new Uint8Array(68).fill(2) },
      { name: "h", ne: [2, 1, 1, 2], type: GgmlType.F16, data: new Uint8Array(8).fill(3) },
    ],
  });
}

const U32_EDGES = [0, 1, 2, 4, 5, 9, 12, 13, 31, 32, 63, 64, 0x7f, 0xff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const U64_EDGES = [0n, 1n, 8n, 255n, 1n << 31n, 1n << 32n, (1n << 53n) + 1n, 1n << 62n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) / 4n + 1n];
const BYTE_EDGES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function mutate(src: Uint8Array, headerEnd: number, rnd: () => number): Uint8Array {
  let b = src.slice();
  const pos = (len: number) => Math.floor((rnd() < 0.9 ? Math.min(len, headerEnd) : len) * rnd());
  const steps = 1 + Math.floor(rnd() * 3);
  for (let s = 0; s < steps && b.length > 0; s++) {
    const r = rnd();
    const p = pos(b.length);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (r < 0.3) {
      b[p] = b[p]! ^ (1 << Math.floor(rnd() * 8));
    } else if (r < 0.45) {
      b[p] = BYTE_EDGES[Math.floor(rnd() * BYTE_EDGES.length)]!;
    } else if (r < 0.6) {
      if (p + 4 <= b.length) dv.setUint32(p, U32_EDGES[Math.floor(rnd() * U32_EDGES.length)]!, true);
    } else if (r < 0.75) {
      if (p + 8 <= b.length) dv.setBigUint64(p, U64_EDGES[Math.floor(rnd() * U64_EDGES.length)]!, true);
    } else if (r < 0.85) {
      b = b.slice(0, p); // truncation
    } else if (r < 0.95) {
      const ins = Uint8Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256));
      const out = new Uint8Array(b.length + ins.length);
      out.set(b.subarray(0, p)); out.set(ins, p); out.set(b.subarray(p), p + ins.length);
      b = out;
    } else {
      const n = Math.min(1 + Math.floor(rnd() * 8), b.length - p); // deletion
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, p)); out.set(b.subarray(p + n), p);
      b = out;
    }
  }
  return b;
}

function copyingSource(bytes: Uint8Array): GgufByteSource {
  return { size: bytes.length, read: (o, l) => bytes.slice(o, o + l), readCopy: (o, l) => bytes.slice(o, o + l), close() {} };
}

test("seeded fuzz: mutated GGUFs parse or throw GlassboxError, nothing else, in bounded time", () => {
  const bases = [synthetic(), readVector("gguf", "alignment-64.gguf"), readVector("gguf", "kv-and-tensor-types.gguf")];
  const seed = Number(process.env.GLASSBOX_FUZZ_SEED ?? 0x5eed2024); // fixed by default; override to explore
  const rnd = prng(seed);
  const perBase = [8000, 6000, 4000];
  const codes = new Map<string, number>();
  let ok = 0, failed = 0, cases = 0, worst = 0;
  const t0 = performance.now();
  bases.forEach((base, bi) => {
    const headerEnd = GgufFile.fromBytes(base).header.dataOffset + 16;
    for (let i = 0; i < perBase[bi]!; i++) {
      const bytes = mutate(base, headerEnd, rnd);
      const c0 = performance.now();
      cases++;
      try {
        const f = cases % 5 === 0 ? GgufFile.fromSource(copyingSource(bytes)) : GgufFile.fromBytes(bytes);
        for (const t of f.tensors) assert.equal(f.tensorBytes(t).length, t.nbytes);
        for (const t of f.tensors) f.tensorData(t);
        // whatever we accept, we can write back, and read again to the same content
        const again = GgufFile.fromBytes(serializeGguf(ggufToWrite(f)));
        assert.deepEqual([...again.kv.values()], [...f.kv.values()]);
        assert.deepEqual(again.tensors.map((t) => [t.name, t.ne, t.type]), f.tensors.map((t) => [t.name, t.ne, t.type]));
        for (const t of f.tensors) assert.deepEqual(again.tensorBytes(t.name), f.tensorBytes(t));
        ok++;
      } catch (e) {
        if (!(e instanceof GlassboxError)) {
          throw new Error(`case ${cases} (base ${bi}) threw a non-Glassbox error: ${String(e)}\nbytes: ${Buffer.from(bytes).toString("base64")}`, { cause: e });
        }
        assert.ok(e.offset === undefined || (e.offset >= 0 && e.offset <= bytes.length), `${e.code} offset ${e.offset} outside ${bytes.length} bytes`);
        assert.ok(e.offset !== undefined, `${e.code} without an offset: ${e.message}`);
        failed++;
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
      const dt = performance.now() - c0;
      if (dt > worst) { worst = dt; if (process.env.FUZZ_DEBUG) console.log(`slowest so far: case ${cases} base ${bi} ${dt.toFixed(1)} ms`); }
    }
  });
  const ms = performance.now() - t0;
  console.log(`fuzz (seed ${seed}): ${cases} cases in ${ms.toFixed(0)} ms (slowest case ${worst.toFixed(1)} ms): ${ok} parsed and round-tripped, ${failed} rejected`);
  console.log(`fuzz error codes: ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => b[1] - a[1])))}`);
  assert.equal(cases, 18000);
  assert.ok(ok > 100 && failed > 1000, "the mutations must exercise both outcomes");
  assert.ok(worst < 2000, `a single case took ${worst} ms`);
});
