/**
 * The trainable llama: its forward reproduces llama.cpp's logits on the shared llama-gqa-f32
 * vector (weights loaded from that GGUF), its gradient passes a whole-model finite-difference
 * check, and GGUF export → import gives back the same model.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { serializeGguf } from "../../src/formats/gguf/writer.js";
import { refKernels } from "../../src/kernels/api.js";
import { loadWasmKernels } from "../../src/kernels/index.js";
import { Tape } from "../../src/tensor/tape.js";
import { llamaFromGguf, llamaToGguf } from "../../src/train/llama-gguf.js";
import { LlamaTrainable, type LlamaConfig } from "../../src/train/llama.js";
import { readF32Vector, vectorPath } from "../helpers/vectors.js";
import { gradCheck, rng } from "../tensor/gradcheck.js";

interface VectorJson { prompts: { tokens: number[]; logits_file: string; logits_shape: [number, number] }[] }

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test("forward reproduces llama.cpp logits on llama-gqa-f32 (ref and wasm kernels)", async () => {
  const json = JSON.parse(readFileSync(vectorPath("llamacpp", "llama-gqa-f32.json"), "utf8")) as VectorJson;
  const g = GgufFile.open(vectorPath("llamacpp", "llama-gqa-f32.gguf"));
  const wasm = await loadWasmKernels({ threads: 2 });
  try {
    for (const k of [refKernels, wasm]) {
      const m = llamaFromGguf(g, k);
      assert.equal(m.config.nHeadKv, 2);
      for (const p of json.prompts) {
        const want = readF32Vector("llamacpp", p.logits_file);
        const got = m.logits(Int32Array.from(p.tokens));
        const d = maxAbsDiff(got, want);
        console.log(`${k.name} ${p.logits_file}: max |logit diff| ${d.toExponential(2)} over ${p.logits_shape.join("x")}`);
        assert.ok(d < 1e-3, `max diff ${d}`); // logits have std ~20; llama.cpp's own SIMD order differs from a f64 forward by 1.6e-5
      }
    }
  } finally {
    g.close();
    await wasm.close();
  }
});

const TINY: LlamaConfig = { nVocab: 11, nEmbd: 8, nLayer: 2, nHead: 2, nHeadKv: 1, nFf: 12, nCtx: 8, ropeFreqBase: 10000, rmsEps: 1e-5, tied: false };

test("whole-model gradient check: tiny llama (n_embd 8, 2 layers, 2 heads / 1 kv head, vocab 11, 2 x seq 5)", () => {
  // Every parameter element is checked against the fourth-order central difference (h = 1e-2)
  // of the masked cross-entropy loss. The loss is one f32 value, so its rounding (~1e-7 · 2.4)
  // divided by h puts ~5e-5 of noise on each numeric derivative: tiny gradient entries cannot be
  // judged element-wise. The asserted measure is therefore the per-tensor scaled error
  // max|analytic − numeric| / max|analytic| (< 1e-3; a wrong backward gives O(1)); the
  // element-wise relative error (floor 1e-3·max|grad|) is printed too.
  for (const tied of [false, true]) {
    // std 0.3 instead of 0.02: with tiny weights every gradient would be ~1e-4, at the noise floor
    const m = new LlamaTrainable({ ...TINY, tied }, refKernels, { seed: 3, std: 0.3 });
    const r = rng(11);
    const tokens = Int32Array.from({ length: 10 }, () => Math.floor(r() * 11));
    const targets = Int32Array.from({ length: 10 }, (_, i) => (i % 4 === 1 ? -1 : Math.floor(r() * 11)));
    let worst = 0;
    for (const p of m.params) {
      // untied: every element of every parameter; tied (same code plus the shared head): 16 random elements per tensor
      const res = gradCheck(refKernels, (tape) => m.forward(tape, tokens, { batch: 2, targets }).loss!, [p], { scalar: true, h: 1e-2, fourPoint: true, maxPerInput: tied ? 16 : undefined });
      console.log(`tiny llama (tied=${tied}) ${p.name}: scaled err ${res.maxScaledErr.toExponential(2)}, element-wise rel err ${res.maxRelErr.toExponential(2)}, max |grad| ${res.maxGrad.toExponential(2)}, ${res.checked} elements`);
      assert.ok(res.maxGrad > 0, `${p.name}: zero gradient`);
      worst = Math.max(worst, res.maxScaledErr);
    }
    console.log(`tiny llama (tied=${tied}): worst scaled error ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-3, `worst scaled error ${worst}`);
  }
});

test("GGUF export then import gives the same parameters and logits; tied head writes no output.weight", () => {
  for (const tied of [false, true]) {
    const m = new LlamaTrainable({ ...TINY, tied }, refKernels, { seed: 5 });
    const bytes = serializeGguf(llamaToGguf(m, { name: "t" }));
    const g = GgufFile.fromBytes(bytes);
    assert.equal(g.get("general.architecture"), "llama");
    assert.equal(g.get("llama.attention.head_count_kv"), 1);
    assert.equal(g.get("llama.rope.dimension_count"), 4);
    assert.deepEqual(g.tensor("blk.1.attn_k.weight")!.ne, [8, 4]);
    assert.equal(g.tensor("output.weight") === undefined, tied);
    const back = llamaFromGguf(g, refKernels);
    assert.deepEqual(back.config, { ...m.config, nRot: 4, rmsEps: Math.fround(1e-5) });
    for (const t of m.params) assert.deepEqual(back.param(t.name!)!.data, t.data);
    const toks = Int32Array.of(1, 2, 3, 4, 5, 6);
    assert.deepEqual(back.logits(toks), m.logits(toks));
  }
});

test("frozen parameters get no gradient; input and config errors are typed", () => {
  const m = new LlamaTrainable(TINY, refKernels, { seed: 2 });
  for (const p of m.params) p.requiresGrad = p.shape.length === 1; // train the norms only
  const tape = new Tape(refKernels);
  const tokens = Int32Array.of(1, 2, 3, 4), targets = Int32Array.of(2, 3, 4, 5);
  tape.backward(m.forward(tape, tokens, { targets }).loss!);
  tape.reset();
  for (const p of m.params) {
    const nz = p.grad!.some((v) => v !== 0);
    assert.equal(nz, p.shape.length === 1, `${p.name}: gradient ${nz ? "present" : "absent"}`);
  }
  assert.throws(() => m.forward(tape, Int32Array.of(1, 11)), { code: "TENSOR_BAD_INDEX" });
  assert.throws(() => m.forward(tape, new Int32Array(9)), { code: "TRAIN_BAD_INPUT" });        // T = 9 > n_ctx 8
  assert.throws(() => m.forward(tape, new Int32Array(6), { batch: 4 }), { code: "TRAIN_BAD_INPUT" });
  assert.throws(() => m.forward(tape, tokens, { targets: Int32Array.of(1, 2, 3, 11) }), { code: "TENSOR_BAD_INDEX" });
  tape.reset();
  assert.throws(() => new LlamaTrainable({ ...TINY, nHeadKv: 3 }, refKernels), { code: "TRAIN_BAD_CONFIG" });
  assert.throws(() => new LlamaTrainable({ ...TINY, nEmbd: 9 }, refKernels), { code: "TRAIN_BAD_CONFIG" });
});

test("F16 export: matrices stored as F16 (norms F32), weights round-trip to f16 precision", () => {
  const m = new LlamaTrainable(TINY, refKernels, { seed: 6, std: 0.3 });
  const g = GgufFile.fromBytes(serializeGguf(llamaToGguf(m, { type: "f16" })));
  assert.equal(g.get("general.file_type"), 1);
  assert.equal(g.tensor("blk.0.ffn_up.weight")!.type, 1);      // GGML_TYPE_F16
  assert.equal(g.tensor("blk.0.ffn_norm.weight")!.type, 0);    // F32
  const back = llamaFromGguf(g, refKernels);
  let d = 0;
  for (const t of m.params) {
    const b = back.param(t.name!)!.data;
    for (let i = 0; i < t.size; i++) d = Math.max(d, Math.abs(b[i]! - t.data[i]!) / Math.max(Math.abs(t.data[i]!), 6e-5));
  }
  console.log(`F16 round trip: max relative weight error ${d.toExponential(2)}`);
  assert.ok(d <= 2 ** -11 + 1e-9, `${d}`); // round to nearest at 11 significant bits
});
