// loadModelFile (the whole GGUF read once into kernel memory, weights used in place) gives the
// same logits, bit for bit, as loadModel over GgufFile.open, for every weight type in the shared
// vectors, with the WebAssembly and the reference kernels; a missing file is FILE_NOT_FOUND.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { isGlassboxError } from "../../src/errors.js";
import { loadWasmKernels, refKernels, type WasmKernels } from "../../src/kernels/index.js";
import { loadModelFile } from "../../src/models/index.js";
import { vectorPath } from "../helpers/vectors.js";
import { loadVectorModel, readModelJson } from "./harness.js";

let k: WasmKernels;
before(async () => { k = await loadWasmKernels({ threads: 2 }); });
after(async () => { await k.close(); });

test("loadModelFile equals loadModel(GgufFile.open) on every weight type", () => {
  for (const m of ["llama-gqa-f32", "llama-gqa-f16", "llama-gqa-q8_0", "llama-gqa-q4_0"]) {
    const tokens = Int32Array.from(readModelJson(m).prompts[0]!.tokens);
    for (const kernels of [k, refKernels]) {
      const want = loadVectorModel(m, kernels).eval(tokens, 0, { allLogits: true });
      const got = loadModelFile(vectorPath("llamacpp", `${m}.gguf`), kernels, { nCtx: 64 }).eval(tokens, 0, { allLogits: true });
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
      console.log(`${m} (${kernels.name}): ${want.length} logits, max diff ${diff}`);
      assert.equal(diff, 0, `${m} ${kernels.name}`);
    }
  }
});

test("loadModelFile on a missing file throws FILE_NOT_FOUND", () => {
  assert.throws(() => loadModelFile("/nonexistent/model.gguf", refKernels), (e: unknown) => isGlassboxError(e, "FILE_NOT_FOUND"));
});
