// Quantize every tensor of llama-gqa-f32.gguf by the policy and compare with the tensor bytes that
// llama-quantize wrote into llama-gqa-{q8_0,q4_0,f16}.gguf: they must be byte-identical.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { GgmlType, ggmlTypeInfo } from "../../src/formats/gguf/ggml-types.js";
import { modelQuantInfo, planTensorTypes, type QuantTarget } from "../../src/quant/policy.js";
import { dequantizeTensor, quantizeTensor } from "../../src/quant/traits.js";
import { vectorPath } from "../helpers/vectors.js";

for (const [target, file] of [["q8_0", "llama-gqa-q8_0.gguf"], ["q4_0", "llama-gqa-q4_0.gguf"], ["f16", "llama-gqa-f16.gguf"]] as const) {
  test(`quantizing llama-gqa-f32 to ${target} reproduces ${file} tensor by tensor`, () => {
    const src = GgufFile.open(vectorPath("llamacpp", "llama-gqa-f32.gguf"));
    const ref = GgufFile.open(vectorPath("llamacpp", file));
    try {
      const plan = planTensorTypes(src.tensors, target as QuantTarget, modelQuantInfo((k) => src.get(k), src.tensors.map((t) => t.name)));
      let totalBytes = 0;
      let badTensors = 0;
      for (const t of src.tensors) {
        assert.equal(t.type, GgmlType.F32);
        const r = ref.tensor(t.name);
        assert.ok(r !== undefined, `${file} lacks ${t.name}`);
        const type = plan.get(t.name)!;
        assert.equal(type, r.type, `${t.name}: planned ${ggmlTypeInfo(type)?.name}, file has ${ggmlTypeInfo(r.type)?.name}`);
        const f32 = dequantizeTensor(GgmlType.F32, src.tensorBytes(t), t.nelements);
        const got = quantizeTensor(type, f32);
        const want = ref.tensorBytes(r);
        let mismatches = 0;
        if (got.length !== want.length) mismatches = Math.max(got.length, want.length);
        else for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) mismatches++;
        if (mismatches > 0) {
          badTensors++;
          console.log(`  ${t.name} (${ggmlTypeInfo(type)?.name}): ${mismatches} of ${want.length} bytes differ`);
        }
        totalBytes += want.length;
      }
      console.log(`${target}: ${src.tensors.length} tensors, ${totalBytes} bytes, ${badTensors} tensors with mismatching bytes`);
      assert.equal(badTensors, 0);
    } finally {
      src.close();
      ref.close();
    }
  });
}
