// The traits table and tensor helpers: geometry agrees with ggml-types, errors are typed, F32 copies,
// unaligned inputs work, and quantize -> dequantize stays within each format's error bound on odd data.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GgmlType, ggmlTypeInfo } from "../../src/formats/gguf/ggml-types.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "../../src/quant/float16.js";
import { dequantizeTensor, quantizedSize, quantizeTensor, quantTraits, quantTypes } from "../../src/quant/traits.js";
import { nearestInt, roundAway } from "../../src/quant/rounding.js";

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

test("traits cover the required types with ggml geometry", () => {
  const required = ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K",
    "q6_K", "q8_K", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0"];
  const names = quantTypes().map((t) => t.info.name);
  for (const n of required) assert.ok(names.includes(n), n);
  for (const t of quantTypes()) {
    assert.deepEqual(t.info, ggmlTypeInfo(t.info.id));
    assert.equal(typeof t.quantize, "function", `${t.info.name} has a quantizer`);
  }
  assert.equal(quantizedSize(GgmlType.Q4_K, 4096), 16 * 144);
  assert.equal(quantizedSize(GgmlType.Q8_0, 64), 68);
});

test("unsupported types and bad sizes throw typed errors", () => {
  assert.throws(() => dequantizeTensor(16 /* iq2_xxs */, new Uint8Array(66), 256), code("QUANT_UNSUPPORTED_TYPE"));
  assert.throws(() => dequantizeTensor(4 /* removed */, new Uint8Array(18), 32), code("QUANT_UNSUPPORTED_TYPE"));
  assert.throws(() => quantizeTensor(GgmlType.I32, new Float32Array(4)), code("QUANT_UNSUPPORTED_TYPE"));
  assert.throws(() => quantizeTensor(GgmlType.Q4_K, new Float32Array(100)), code("QUANT_BAD_SIZE"));
  assert.throws(() => dequantizeTensor(GgmlType.Q8_0, new Uint8Array(33), 32), code("QUANT_BAD_SIZE"));
  assert.throws(() => dequantizeTensor(GgmlType.Q8_0, new Uint8Array(34), 31), code("QUANT_BAD_SIZE"));
  assert.throws(() => quantizeTensor(GgmlType.Q8_0, new Float32Array(32), new Uint8Array(35)), code("QUANT_BAD_SIZE"));
  assert.equal(quantTraits(999), undefined);
});

test("F32 copies bit for bit, also from an unaligned byte offset", () => {
  const x = new Float32Array([1.5, -0, NaN, Infinity, 1e-45, -3.25]);
  const q = quantizeTensor(GgmlType.F32, x);
  const buf = new Uint8Array(q.length + 3);
  buf.set(q, 3);
  const back = dequantizeTensor(GgmlType.F32, buf.subarray(3), x.length);
  assert.deepEqual(new Uint32Array(back.buffer), new Uint32Array(x.buffer));
});

test("rounding primitives: nearest_int is half-to-even, roundf half-away", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998].map(nearestInt), [0, 2, 2, 0, -2, -2, 2]);
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5].map(roundAway), [1, 2, 3, -1, -2, -3]);
  assert.equal(nearestInt(NaN), 0);
  assert.equal(f32ToF16(65519), 0x7bff);
  assert.equal(f32ToF16(65520), 0x7c00);
  assert.equal(f32ToF16(2 ** -25), 0);
  assert.equal(f32ToF16(Math.fround(2 ** -25 * 1.0000001)), 1);
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f32ToBf16(NaN) & 0x7fc0, 0x7fc0);
  assert.equal(bf16ToF32(f32ToBf16(1.00390625)), 1); // tie -> even
});

test("every quantizer round-trips odd data within its error bound, offset views included", () => {
  // deterministic pseudo-random data with zero blocks, constants, outliers and tiny values
  let s = 7;
  const rnd = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296 - 0.5; };
  const n = 256 * 6;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const blk = i >> 8;
    x[i] = blk === 0 ? 0 : blk === 1 ? -0.75 : blk === 2 ? rnd() * 1e-20 : blk === 3 && i % 50 === 0 ? 40 : rnd() * 2;
  }
  const bound: Record<string, number> = {
    f32: 0, f16: 1e-3, bf16: 1e-2, q8_0: 0.02, q8_K: 0.02, q6_K: 0.1, q5_0: 0.1, q5_1: 0.1, q5_K: 0.2, iq4_nl: 0.35,
    iq4_xs: 0.35, q4_0: 0.35, q4_1: 0.35, q4_K: 0.35, q3_K: 0.6, q2_K: 1.0, tq1_0: 1.1, tq2_0: 1.1,
  };
  const padded = new Float32Array(n + 1);
  padded.set(x, 1);
  for (const t of quantTypes()) {
    const q = quantizeTensor(t.info.id, padded.subarray(1));
    const odd = new Uint8Array(q.length + 1);
    odd.set(q, 1);
    const y = dequantizeTensor(t.info.id, odd.subarray(1), n);
    let maxErr = 0;
    for (let b = 0; b < n; b += 256) {
      if (b === 3 * 256) continue; // the outlier block is checked only for finiteness
      for (let i = b; i < b + 256; i++) maxErr = Math.max(maxErr, Math.abs(y[i]! - x[i]!));
    }
    for (let i = 0; i < n; i++) assert.ok(Number.isFinite(y[i]!), `${t.info.name}: non-finite at ${i}`);
    for (let i = 0; i < 256; i++) assert.ok(y[i] === 0, `${t.info.name}: zero block`);
    console.log(`round trip ${t.info.name}: max abs error ${maxErr} (bound ${bound[t.info.name]})`);
    assert.ok(maxErr <= bound[t.info.name]!, `${t.info.name}: max error ${maxErr}`);
  }
});
