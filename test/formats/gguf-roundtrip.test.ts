// Reading then writing every shared GGUF reproduces it byte for byte, in memory and streamed to disk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgufFile, ggufToWrite, serializeGguf, writeGgufFile } from "../../src/formats/gguf/index.js";
import { readVector, vectorPath, vectorsDir } from "../helpers/vectors.js";

const MODELS = ["llama-gqa-f32", "llama-gqa-f16", "llama-gqa-q8_0", "llama-gqa-q4_0", "qwen2-f32", "gpt2-f32", "gptneox-f32", "falcon-f32", "bloom-f32"];
const FILES: [string, string][] = [
  ["gguf", "kv-and-tensor-types.gguf"], ["gguf", "alignment-64.gguf"],
  ...MODELS.map((m): [string, string] => ["llamacpp", `${m}.gguf`]),
];

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

for (const [dir, name] of FILES) {
  test(`serializeGguf(ggufToWrite(read ${name})) is byte-identical`, () => {
    const original = readVector(dir, name);
    const f = GgufFile.open(vectorPath(dir, name));
    try {
      const out = serializeGguf(ggufToWrite(f));
      const at = firstDifference(out, original);
      console.log(`${name}: ${original.length} bytes, first differing byte: ${at}`);
      assert.equal(at, -1, `${name} differs at byte ${at}`);
      assert.equal(sha(out), sha(original));
    } finally {
      f.close();
    }
  });
}

test("alignment-64.gguf is rewritten padded to 64 (ggml's own rewrite pads to 32)", () => {
  const f = GgufFile.fromBytes(readVector("gguf", "alignment-64.gguf"));
  const out = GgufFile.fromBytes(serializeGguf(ggufToWrite(f)));
  assert.equal(out.header.alignment, 64);
  assert.equal(out.tensor("t.f16")!.offset, 8256);
  for (const t of out.tensors) assert.equal(t.offset % 64, 0, t.name);
});

test("tokenizer vocabulary GGUFs (no tensors, unpadded) also round-trip byte for byte", () => {
  const dir = join(vectorsDir(), "tokenizer");
  const names = readdirSync(dir).filter((n) => n.endsWith(".gguf"));
  assert.ok(names.length >= 12);
  for (const n of names) {
    const original = new Uint8Array(readFileSync(join(dir, n)));
    const f = GgufFile.fromBytes(original);
    assert.equal(f.tensors.length, 0);
    assert.equal(firstDifference(serializeGguf(ggufToWrite(f)), original), -1, n);
  }
  console.log(`tokenizer GGUFs round-tripped: ${names.length}`);
});

test("writeGgufFile streams every shared GGUF back to disk byte for byte, with progress", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "glassbox-gguf-rt-"));
  try {
    for (const [dir, name] of FILES) {
      const f = GgufFile.open(vectorPath(dir, name));
      const out = join(tmp, name);
      const seen: [number, number][] = [];
      let reads = 0;
      const g = ggufToWrite(f);
      g.tensors.forEach((t) => { const d = t.data as () => Uint8Array; t.data = async () => { reads++; return d(); }; });
      try {
        await writeGgufFile(out, g, (done, total) => seen.push([done, total]));
      } finally {
        f.close();
      }
      const original = readVector(dir, name);
      assert.equal(firstDifference(new Uint8Array(readFileSync(out)), original), -1, name);
      assert.equal(reads, f.tensors.length);
      assert.equal(seen.length, f.tensors.length + 1);
      assert.deepEqual(seen.at(-1), [original.length, original.length]);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] > seen[i - 1]![0]);
    }
    assert.deepEqual(readdirSync(tmp).sort(), FILES.map(([, n]) => n).sort()); // no temp files left
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
