// Every quant/ vector made by llama.cpp: dequantize each .q file and compare with ggml's .deq.f32
// bit for bit, and quantize each input and compare with ggml's .q bytes (must be identical).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ggmlTypeByName } from "../../src/formats/gguf/ggml-types.js";
import { dequantizeTensor, quantizeTensor, quantTraits } from "../../src/quant/traits.js";
import { readF32Vector, readVector, vectorPath } from "../helpers/vectors.js";

interface Case { input: string; quant_file: string; dequant_file: string; rows: number; cols: number }
interface TypeEntry { type: string; ggml_type_id: number; block_elems: number; block_bytes: number; cases: Case[] }

const index = JSON.parse(readFileSync(vectorPath("quant", "index.json"), "utf8")) as { types: TypeEntry[] };

/** Types whose quantizer must reproduce ggml's bytes; every type in index.json must dequantize. */
const QUANTIZED = ["f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K",
  "q8_K", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0"];

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) !== Number.isNaN(b[i]!)) return NaN;
    const x = a[i]!, y = b[i]!;
    if (x === y) continue; // also equal infinities
    const d = Math.abs(x - y);
    if (!(d <= m)) m = d;
  }
  return m;
}

test("index.json lists every required type", () => {
  const names = index.types.map((t) => t.type);
  for (const n of QUANTIZED) assert.ok(names.includes(n), `index.json lacks ${n}`);
});

for (const entry of index.types) {
  test(`dequantize ${entry.type}: bit-exact vs ggml to_float`, () => {
    const info = ggmlTypeByName(entry.type);
    assert.ok(info !== undefined, `unknown type ${entry.type}`);
    assert.equal(info.id, entry.ggml_type_id);
    assert.ok(quantTraits(info.id) !== undefined, `no traits for ${entry.type}`);
    assert.ok(entry.cases.length >= 5);
    for (const c of entry.cases) {
      const q = readVector("quant", c.quant_file);
      const want = readF32Vector("quant", c.dequant_file);
      const got = dequantizeTensor(info.id, q, c.rows * c.cols);
      const wb = bitsOf(want), gb = bitsOf(got);
      let mismatches = 0;
      for (let i = 0; i < wb.length; i++) if (wb[i] !== gb[i]) mismatches++;
      console.log(`dequantize ${entry.type}/${c.input}: max abs diff ${maxAbsDiff(got, want)}, mismatching values ${mismatches}/${wb.length}`);
      assert.equal(mismatches, 0, `${entry.type}/${c.input}: ${mismatches} values differ from ggml`);
    }
  });

  if (!QUANTIZED.includes(entry.type)) continue;
  test(`quantize ${entry.type}: byte-identical vs ggml_quantize_chunk`, () => {
    const info = ggmlTypeByName(entry.type)!;
    for (const c of entry.cases) {
      const x = readF32Vector("quant", "input", `${c.input}.f32`);
      const want = readVector("quant", c.quant_file);
      // ggml leaves the bsums of an all-zero q8_K block unwritten; the generator's buffer held 0xAA.
      const got = quantizeTensor(info.id, x, entry.type === "q8_K" ? new Uint8Array(want.length).fill(0xaa) : undefined);
      assert.equal(got.length, want.length);
      let mismatches = 0;
      for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) mismatches++;
      // Also report how far apart the two dequantized results are (0 when the bytes agree).
      const diff = maxAbsDiff(dequantizeTensor(info.id, got, x.length), dequantizeTensor(info.id, want, x.length));
      console.log(`quantize ${entry.type}/${c.input}: mismatching bytes ${mismatches}/${want.length}, max abs diff of dequantized ${diff}`);
      assert.equal(mismatches, 0, `${entry.type}/${c.input}: ${mismatches} bytes differ from ggml`);
    }
  });
}
