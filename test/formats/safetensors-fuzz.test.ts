// Seeded, bounded fuzzing of the safetensors reader: valid files from the writer, mutated by bit
// flips, truncations, header splices, number rewrites and length-prefix edits. Every outcome must
// be a SAFETENSORS_* GlassboxError or a file whose every tensor reads back and re-serializes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { GlassboxError } from "../../src/errors.js";
import {
  SAFETENSORS_DTYPES, SafetensorsFile, serializeSafetensors, summarizeSafetensors,
  type SafetensorsDtype, type SafetensorsTensorInput,
} from "../../src/formats/safetensors/index.js";

const SEED = 0x5afe7e25;
const MUTATION_RUNS = 3000;
const ROUND_TRIP_RUNS = 300;
const enc = new TextEncoder();

interface Base {
  tensors: { name: string; dtype: SafetensorsDtype; shape: number[] }[];
  metadata: Record<string, string> | undefined;
}

const wellFormed = (s: string): boolean => !/[\uD800-\uDFFF]/u.test(s);
const nameArb = fc.string({ unit: "binary", maxLength: 6 }).filter((s) => s !== "__metadata__" && wellFormed(s));
const baseArb: fc.Arbitrary<Base> = fc.record({
  tensors: fc.uniqueArray(
    fc.record({
      name: nameArb,
      dtype: fc.constantFrom(...SAFETENSORS_DTYPES.map((d) => d.name)),
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    }),
    { selector: (t) => t.name, maxLength: 5 },
  ),
  metadata: fc.option(fc.dictionary(nameArb, fc.string({ unit: "binary", maxLength: 5 }).filter(wellFormed), { maxKeys: 3, noNullPrototype: true }), { nil: undefined }),
});

function build(base: Base): Uint8Array {
  const tensors = new Map<string, SafetensorsTensorInput>();
  let seed = 1;
  for (const t of base.tensors) {
    const size = SAFETENSORS_DTYPES.find((d) => d.name === t.dtype)!.size;
    const data = new Uint8Array(t.shape.reduce((a, b) => a * b, 1) * size);
    for (let i = 0; i < data.length; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data });
  }
  return serializeSafetensors(tensors, base.metadata);
}

// Mutations. Positions are raw naturals, reduced modulo the current size when applied.
type Mutation =
  | { kind: "flip"; pos: number; bit: number; header: boolean }
  | { kind: "truncate"; pos: number }
  | { kind: "splice"; pos: number; del: number; insert: Uint8Array; fixLength: boolean }
  | { kind: "number"; k: number; value: string }
  | { kind: "length"; value: bigint }
  | { kind: "data"; delta: number }
  | { kind: "clone"; k: number; rename: boolean };

const TOKENS = [
  "{", "}", "[", "]", ",", ":", '"', "\\", "-", "0", "1", "9", "e", ".", " ", "\n", "\u0000", "\u00e9", '"dtype"', '"shape"',
  '"data_offsets"', '"__metadata__"', "null", "true", "1e400", "18446744073709551616", "9007199254740993", '"F32"', '"BF16"',
  '"X"', "\\u0000", "\\ud800", "\\u0061", '{"a":1}', "[0,0]", "[]", '"":{}', '"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}',
].map((s) => enc.encode(s)).concat([Uint8Array.from([0xff]), Uint8Array.from([0xc0, 0xaf]), Uint8Array.from([0xed, 0xa0, 0x80])]);
const NUMBERS = ["0", "1", "2", "3", "4", "7", "8", "12", "16", "24", "9007199254740991", "9007199254740992", "-1", "1.5", "1e2", "01", ""];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("flip" as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), header: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), pos: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("splice" as const), pos: fc.nat(), del: fc.integer({ min: 0, max: 4 }), insert: fc.constantFrom(...TOKENS), fixLength: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("number" as const), k: fc.nat({ max: 40 }), value: fc.oneof(fc.constantFrom(...NUMBERS), fc.nat().map(String)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("length" as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 300n })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("data" as const), delta: fc.integer({ min: -8, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("clone" as const), k: fc.nat({ max: 10 }), rename: fc.boolean() }) },
);

/** The header length from the prefix when it is plausible for these bytes, else undefined. */
function headerLength(b: Uint8Array): number | undefined {
  if (b.length < 8) return undefined;
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return n <= BigInt(b.length - 8) ? Number(n) : undefined;
}

function setLength(b: Uint8Array, n: bigint): void {
  if (b.length >= 8) new DataView(b.buffer, b.byteOffset, 8).setBigUint64(0, BigInt.asUintN(64, n), true);
}

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  let b: Uint8Array = input.slice();
  const n = headerLength(b);
  switch (m.kind) {
    case "flip": {
      if (b.length === 0) return b;
      const pos = m.header && n !== undefined && n > 0 ? 8 + (m.pos % n) : m.pos % b.length;
      b[pos]! ^= 1 << m.bit;
      return b;
    }
    case "truncate":
      return b.subarray(0, m.pos % (b.length + 1));
    case "splice": {
      const lo = n !== undefined ? 8 : 0;
      const span = n !== undefined ? n : b.length;
      const pos = lo + (m.pos % (span + 1));
      const del = Math.min(m.del, lo + span - pos);
      const out = new Uint8Array(b.length - del + m.insert.length);
      out.set(b.subarray(0, pos));
      out.set(m.insert, pos);
      out.set(b.subarray(pos + del), pos + m.insert.length);
      if (m.fixLength && n !== undefined) setLength(out, BigInt(n - del + m.insert.length));
      return out;
    }
    case "number": {
      if (n === undefined) return b;
      const header = Buffer.from(b.subarray(8, 8 + n)).toString("latin1");
      const runs = [...header.matchAll(/[0-9]+/g)];
      if (runs.length === 0) return b;
      const r = runs[m.k % runs.length]!;
      const edited = Buffer.from(header.slice(0, r.index) + m.value + header.slice(r.index + r[0].length), "latin1");
      const out = new Uint8Array(8 + edited.length + b.length - 8 - n);
      out.set(edited, 8);
      out.set(b.subarray(8 + n), 8 + edited.length);
      setLength(out, BigInt(edited.length));
      return out;
    }
    case "clone": {
      // Copy one header entry to the front, under the same name (a duplicate key) or a new one
      // (a second tensor over the same bytes).
      if (n === undefined) return b;
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(Buffer.from(b.subarray(8, 8 + n)).toString("utf8")) as Record<string, unknown>;
      } catch {
        return b;
      }
      const keys = Object.keys(header);
      if (keys.length === 0) return b;
      const key = keys[m.k % keys.length]!;
      const entry = enc.encode(`${JSON.stringify(m.rename ? `${key}~` : key)}:${JSON.stringify(header[key])},`);
      return mutate(b, { kind: "splice", pos: 1, del: 0, insert: entry, fixLength: true });
    }
    case "length":
      setLength(b, m.value);
      return b;
    case "data": {
      if (m.delta < 0) return b.subarray(0, Math.max(0, b.length + m.delta));
      const out = new Uint8Array(b.length + m.delta).fill(0xab);
      out.set(b);
      b = out;
      return b;
    }
  }
}

/** Everything a caller may do with an accepted file must work and agree with itself. */
function checkAccepted(f: SafetensorsFile, bytes: Uint8Array): void {
  const h = f.header;
  assert.equal(8 + h.headerLength + h.dataLength, bytes.length);
  // The header is JSON that JSON.parse also accepts, with the same keys (our parser is a subset).
  const parsed = JSON.parse(Buffer.from(bytes.subarray(8, 8 + h.headerLength)).toString("utf8")) as Record<string, unknown>;
  assert.equal(Object.keys(parsed).length, f.tensors.length + (f.metadata === undefined ? 0 : 1));
  let total = 0;
  for (const t of f.tensors) {
    total += t.nbytes;
    assert.equal(f.tensorBytes(t).length, t.nbytes);
    assert.equal(f.tensorData(t).length, t.nelements);
  }
  assert.equal(total, h.dataLength, "tensors tile the data buffer");
  assert.equal(summarizeSafetensors(f).dataBytes, total);
  // Re-serializing an accepted file gives a valid file with the same content.
  const again = SafetensorsFile.fromBytes(serializeSafetensors(
    new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.tensorBytes(t) }])), f.metadata));
  assert.deepEqual(again.metadata, f.metadata);
  for (const t of f.tensors) {
    const u = again.tensor(t.name)!;
    assert.deepEqual([u.dtype, u.shape], [t.dtype, t.shape]);
    assert.deepEqual(Buffer.from(again.tensorBytes(u)), Buffer.from(f.tensorBytes(t)));
  }
}

/** Parses `bytes`; returns "ok" or the error code, failing the test on anything but our errors. */
function outcome(read: () => SafetensorsFile, bytes: Uint8Array): string {
  let f: SafetensorsFile;
  try {
    f = read();
  } catch (e) {
    if (!(e instanceof GlassboxError) || !e.code.startsWith("SAFETENSORS_")) throw e;
    if (e.offset !== undefined) assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} outside the file`);
    return e.code;
  }
  try {
    checkAccepted(f, bytes);
  } finally {
    f.close();
  }
  return "ok";
}

test(`fuzz: ${MUTATION_RUNS} mutated files give a typed error or a fully readable file`, () => {
  const codes = new Map<string, number>();
  const dir = mkdtempSync(join(tmpdir(), "glassbox-st-fuzz-"));
  let cases = 0;
  try {
    fc.assert(
      fc.property(baseArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (base, mutations) => {
        const bytes = mutations.reduce(mutate, build(base));
        const got = outcome(() => SafetensorsFile.fromBytes(bytes), bytes);
        codes.set(got, (codes.get(got) ?? 0) + 1);
        // Every 25th case also goes through the file reader, which must agree.
        if (cases++ % 25 === 0) {
          const path = join(dir, "case.safetensors");
          writeFileSync(path, bytes);
          assert.equal(outcome(() => SafetensorsFile.open(path), bytes), got);
        }
      }),
      { seed: SEED, numRuns: MUTATION_RUNS },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const summary = [...codes].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${c.replace("SAFETENSORS_", "")}=${k}`).join(" ");
  console.log(`fuzz (seed ${SEED}): ${cases} mutated files; outcomes: ${summary}`);
  assert.equal(cases, MUTATION_RUNS);
  // The mutations must exercise both paths and many distinct checks, or the fuzzer is blind.
  assert.ok((codes.get("ok") ?? 0) > 50, "some mutated files stay valid");
  assert.ok(codes.size >= 12, `only ${codes.size} distinct outcomes`);
});

test(`fuzz: ${ROUND_TRIP_RUNS} random valid files round-trip exactly`, () => {
  let cases = 0;
  fc.assert(
    fc.property(baseArb, (base) => {
      cases++;
      const bytes = build(base);
      const f = SafetensorsFile.fromBytes(bytes);
      assert.deepEqual(f.metadata, base.metadata);
      assert.deepEqual(new Set(f.tensors.map((t) => t.name)), new Set(base.tensors.map((t) => t.name)));
      for (const t of base.tensors) assert.deepEqual(f.tensor(t.name)!.shape, t.shape);
      // Serializing what was read reproduces the file byte for byte.
      const again = serializeSafetensors(
        new Map(f.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: f.tensorBytes(t) }])), f.metadata);
      assert.deepEqual(Buffer.from(again), Buffer.from(bytes));
    }),
    { seed: SEED, numRuns: ROUND_TRIP_RUNS },
  );
  console.log(`round-trip fuzz (seed ${SEED}): ${cases} valid files`);
  assert.equal(cases, ROUND_TRIP_RUNS);
});
