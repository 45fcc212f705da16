// The per-tensor type policy against the files llama-quantize made from llama-gqa-f32.gguf, plus
// hand-computed Q4_K_M / Q4_K_S layer choices and the shape fallbacks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { GgmlType, ggmlTypeInfo } from "../../src/formats/gguf/ggml-types.js";
import {
  FILE_TYPE, chooseTensorType, llamaQuantizeOrder, modelQuantInfo, planTensorTypes, resolveQuantTarget,
  tensorAllowsQuantization, type QuantTarget,
} from "../../src/quant/policy.js";
import { vectorPath } from "../helpers/vectors.js";

const name = (id: number): string => ggmlTypeInfo(id)?.name ?? String(id);

for (const [target, file] of [["q8_0", "llama-gqa-q8_0.gguf"], ["q4_0", "llama-gqa-q4_0.gguf"], ["f16", "llama-gqa-f16.gguf"]] as const) {
  test(`policy ${target} reproduces the tensor types and order of ${file}`, () => {
    const src = GgufFile.open(vectorPath("llamacpp", "llama-gqa-f32.gguf"));
    const ref = GgufFile.open(vectorPath("llamacpp", file));
    try {
      const model = modelQuantInfo((k) => src.get(k), src.tensors.map((t) => t.name));
      assert.equal(model.arch, "llama");
      const plan = planTensorTypes(src.tensors, target, model);
      let mismatches = 0;
      for (const t of ref.tensors) {
        const got = plan.get(t.name);
        if (got !== t.type) {
          mismatches++;
          console.log(`  ${t.name}: policy ${got === undefined ? "none" : name(got)}, llama-quantize ${name(t.type)}`);
        }
      }
      console.log(`policy ${target}: ${ref.tensors.length} tensors, ${mismatches} type mismatches`);
      assert.equal(plan.size, ref.tensors.length);
      assert.equal(mismatches, 0);
      assert.deepEqual(llamaQuantizeOrder(src.tensors).map((t) => t.name), ref.tensors.map((t) => t.name));
      assert.equal(ref.get("general.file_type"), FILE_TYPE[target]);
    } finally {
      src.close();
      ref.close();
    }
  });
}

test("output.weight under q4_0: Q6_K when rows divide by 256, else Q8_0 (CLARIFICATIONS.md)", () => {
  const m = { arch: "llama", nLayer: 2 };
  assert.equal(chooseTensorType("output.weight", [512, 1000], "q4_0", m), GgmlType.Q6_K);
  assert.equal(chooseTensorType("output.weight", [32, 1000], "q4_0", m), GgmlType.Q8_0);
  assert.equal(chooseTensorType("output.weight", [512, 1000], "q8_0", m), GgmlType.Q8_0);
  assert.equal(chooseTensorType("output.weight", [512, 1000], "q4_0", { arch: "falcon", nLayer: 2 }), GgmlType.Q8_0);
  // tied embeddings: token_embd takes the output rule
  assert.equal(chooseTensorType("token_embd.weight", [512, 1000], "q4_0", { ...m, tiedEmbeddings: true }), GgmlType.Q6_K);
  assert.equal(chooseTensorType("token_embd.weight", [512, 1000], "q4_0", m), GgmlType.Q4_0);
});

test("q4_k_m on a 32-layer llama: Q6_K attn_v / ffn_down in the use_more_bits layers", () => {
  const m = { arch: "llama", nLayer: 32, nHead: 32, nHeadKv: 8 };
  const more = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];
  for (let i = 0; i < 32; i++) {
    const want = more.includes(i) ? GgmlType.Q6_K : GgmlType.Q4_K;
    assert.equal(chooseTensorType(`blk.${i}.attn_v.weight`, [4096, 1024], "q4_k_m", m), want, `attn_v ${i}`);
    assert.equal(chooseTensorType(`blk.${i}.ffn_down.weight`, [14336, 4096], "q4_k_m", m), want, `ffn_down ${i}`);
    assert.equal(chooseTensorType(`blk.${i}.attn_q.weight`, [4096, 4096], "q4_k_m", m), GgmlType.Q4_K);
    assert.equal(chooseTensorType(`blk.${i}.ffn_up.weight`, [4096, 14336], "q4_k_m", m), GgmlType.Q4_K);
    assert.equal(chooseTensorType(`blk.${i}.attn_norm.weight`, [4096], "q4_k_m", m), GgmlType.F32);
  }
  assert.equal(chooseTensorType("output.weight", [4096, 128256], "q4_k_m", m), GgmlType.Q6_K);
  assert.equal(chooseTensorType("token_embd.weight", [4096, 128256], "q4_k_m", m), GgmlType.Q4_K);
  // q4_k_s: first 4 attn_v and first n/8 ffn_down get Q5_K
  assert.equal(chooseTensorType("blk.3.attn_v.weight", [4096, 1024], "q4_k_s", m), GgmlType.Q5_K);
  assert.equal(chooseTensorType("blk.4.attn_v.weight", [4096, 1024], "q4_k_s", m), GgmlType.Q4_K);
  assert.equal(chooseTensorType("blk.3.ffn_down.weight", [14336, 4096], "q4_k_s", m), GgmlType.Q5_K);
  assert.equal(chooseTensorType("blk.4.ffn_down.weight", [14336, 4096], "q4_k_s", m), GgmlType.Q4_K);
  // 70B (80 layers, GQA): attn_v that would be Q4_K becomes Q5_K
  const m70 = { arch: "llama", nLayer: 80, nHead: 64, nHeadKv: 8 };
  assert.equal(chooseTensorType("blk.10.attn_v.weight", [8192, 1024], "q4_k_m", m70), GgmlType.Q5_K);
  assert.equal(chooseTensorType("blk.0.attn_v.weight", [8192, 1024], "q4_k_m", m70), GgmlType.Q6_K);
});

test("planTensorTypes counts attn_v like llama-quantize (sorted order, fused qkv counted)", () => {
  const tensors = [];
  for (let i = 0; i < 16; i++) {
    tensors.push({ name: `blk.${i}.attn_qkv.weight`, ne: [256, 768], type: GgmlType.F32 });
    tensors.push({ name: `blk.${i}.ffn_down.weight`, ne: [1024, 256], type: GgmlType.F32 });
    tensors.push({ name: `blk.${i}.attn_norm.weight`, ne: [256], type: GgmlType.F32 });
  }
  tensors.push({ name: "token_embd.weight", ne: [256, 5000], type: GgmlType.F16 });
  const plan = planTensorTypes(tensors, "q4_k_m", { arch: "gptneox", nLayer: 16 });
  // 16 layers: n/8 = 2, 7n/8 = 14 -> layers 0, 1, 4, 7, 10, 13, 14, 15
  const more = [0, 1, 4, 7, 10, 13, 14, 15];
  for (let i = 0; i < 16; i++) {
    const want = more.includes(i) ? GgmlType.Q6_K : GgmlType.Q4_K;
    assert.equal(plan.get(`blk.${i}.attn_qkv.weight`), want, `qkv ${i}`);
    assert.equal(plan.get(`blk.${i}.ffn_down.weight`), want, `ffn_down ${i}`);
    assert.equal(plan.get(`blk.${i}.attn_norm.weight`), GgmlType.F32);
  }
  // no output.weight: tied, so token_embd gets the output rule
  assert.equal(plan.get("token_embd.weight"), GgmlType.Q6_K);
});

test("shape fallbacks and tensors that are never quantized", () => {
  const m = { arch: "llama", nLayer: 4 };
  assert.equal(chooseTensorType("blk.1.attn_q.weight", [96, 96], "q4_k_m", m), GgmlType.Q5_0);
  assert.equal(chooseTensorType("blk.1.attn_q.weight", [96, 96], "q5_k_s", m), GgmlType.Q5_1);
  assert.equal(chooseTensorType("blk.1.attn_q.weight", [96, 96], "q6_k", m), GgmlType.Q8_0);
  assert.equal(chooseTensorType("blk.1.attn_q.weight", [100, 96], "q6_k", m), GgmlType.F16);
  assert.equal(chooseTensorType("blk.1.attn_q.weight", [100, 96], "q4_0", m), GgmlType.F16);
  assert.equal(chooseTensorType("blk.1.attn_q.weight", [100, 96], "bf16", m), GgmlType.BF16);
  assert.equal(tensorAllowsQuantization("blk.0.attn_q.weight", [64, 1, 1]), false); // ggml_n_dims == 1
  assert.equal(tensorAllowsQuantization("blk.0.attn_q.bias", [64, 64]), false);
  assert.equal(tensorAllowsQuantization("blk.0.ffn_gate_inp.weight", [64, 8]), false);
  assert.equal(tensorAllowsQuantization("position_embd.weight", [64, 512]), false);
  assert.equal(chooseTensorType("blk.0.attn_norm.weight", [64, 2], "q8_0", m, GgmlType.F16), GgmlType.F16);
});

test("target names and file types", () => {
  const t: QuantTarget = resolveQuantTarget("Q4_K");
  assert.equal(t, "q4_k_m");
  assert.equal(resolveQuantTarget("q8_0"), "q8_0");
  assert.equal(FILE_TYPE.q8_0, 7);
  assert.equal(FILE_TYPE.q4_0, 2);
  assert.equal(FILE_TYPE.q4_k_m, 15);
  assert.equal(FILE_TYPE.q6_k, 18);
  assert.throws(() => resolveQuantTarget("q3_k_m"), (e: unknown) => (e as { code?: string }).code === "QUANT_BAD_TARGET");
});
