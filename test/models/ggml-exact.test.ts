// Bit-exactness: with kernels that follow llama.cpp's CPU arithmetic op for op
// (ggml-cpu-numerics.ts, a slow test oracle), every model file must reproduce llama.cpp's logits
// EXACTLY: all prompt positions of all 9 models, and the recorded top-1/top-2 logits of all 16
// greedy steps (the single-token decode path through the KV cache). This checks the model
// graphs themselves (op order, residual order, QKV split, RoPE type, ALiBi, GQA mapping) to the
// last bit; the tolerance-based test (llamacpp-vectors.test.ts) checks the real kernels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ggmlCpuKernels } from "./ggml-cpu-numerics.js";
import { argmax, loadVectorModel, MODELS, readLogits, readModelJson } from "./harness.js";

test("models reproduce llama.cpp's logits bit for bit under ggml's CPU arithmetic", () => {
  const lines: string[] = ["model            p  prefill logits differing  greedy steps exact"];
  const failures: string[] = [];
  for (const m of MODELS) {
    const json = readModelJson(m);
    const model = loadVectorModel(m, ggmlCpuKernels);
    const V = model.nVocab;
    for (const [i, p] of json.prompts.entries()) {
      model.reset();
      const want = readLogits(m, i);
      const got = model.eval(Int32Array.from(p.tokens), 0, { allLogits: true });
      let differing = 0;
      for (let k = 0; k < want.length; k++) if (!Object.is(got[k], want[k])) differing++;
      // greedy: feed llama.cpp's tokens; our step logits must equal the recorded ones exactly
      let logits = got.subarray((p.n_tokens - 1) * V);
      let exact = 0;
      for (let s = 0; s < p.greedy_steps.length; s++) {
        const st = p.greedy_steps[s]!;
        if (argmax(logits) === st.token && logits[st.token] === Math.fround(st.top1_logit) && logits[st.top2_token] === Math.fround(st.top2_logit)) exact++;
        if (s + 1 < p.greedy_steps.length) logits = model.eval(Int32Array.of(st.token), p.n_tokens + s);
      }
      lines.push(`${m.padEnd(16)} ${i}  ${String(differing).padEnd(6)} of ${String(want.length).padEnd(10)} ${exact}/16`);
      if (differing !== 0 || exact !== p.greedy_steps.length) failures.push(`${m} p${i}: ${differing} prefill logits differ, ${exact}/16 greedy steps exact`);
    }
  }
  console.log(lines.join("\n"));
  assert.deepEqual(failures, []);
});
