// The model families against llama.cpp's own logits (../shared/vectors/llamacpp, README section
// "llamacpp/"): for each of the 9 tiny models and 3 prompts, one batched prefill with logits at
// EVERY position compared with <m>.p<i>.logits.f32, then 16 greedy steps compared with the
// recorded greedy_tokens (and the recorded top-1/top-2 logits of every step). Run with the
// reference kernels and with the WebAssembly kernels (2 threads). Prints a table of the max
// absolute logit difference per case.
//
// Tolerances (logit std is about 17-25), from the README's "Independent cross-check" and
// "Caveats for comparing":
// * f32 llama/qwen2: 2e-4. A float64 forward pass got 1.6e-5 / 3.7e-5; ours differs from ggml's
//   only in f32 summation order (ggml: FMA lanes / tinyBLAS tiles); measured <= 7.7e-5.
// * f16 llama: 3e-2. The README got <= 0.017 once activations are rounded to f16 as ggml does;
//   what is left are single f16 roundings of an activation that sits within a few f32 ulps of an
//   f16 midpoint, so the f32 summation order decides the side (measured <= 0.0166).
// * q8_0/q4_0 llama: 1e-4 (the integer block dots are exact; the README got <= 9e-6 in 5 of 6
//   prompts). The README's "0.8 in one (a discrete flip of one activation quant)" was an exact tie
//   (x*id = -34.5 in blk.0's ffn_down input, q8_0 prompt 2, row 5) that llama.cpp rounds away
//   from zero; the kernels do the same, so no exception is needed.
// * GELU models (gpt2, gptneox, falcon, bloom): 2e-2. The README got 2.7e-5 - 1.3e-2 with ggml's
//   fp16 GELU table and 0.027 - 0.045 with the exact tanh GELU, so this bound still tells the two
//   apart; the residue is fp16 roundings of GELU inputs that sit at a midpoint (measured <= 0.0133).
// * Argmax must agree at every position whose recorded top-1/top-2 margin exceeds twice the bound.
// * Greedy: all 16 tokens must equal greedy_tokens, except llama-gqa-q4_0 where the README says
//   steps with margins below ~0.05 may legitimately flip: there the comparison must hold up to
//   the first step whose recorded margin is < 0.05 (later agreement is reported, not required).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadWasmKernels, refKernels, type Kernels } from "../../src/kernels/index.js";
import type { LogitsSource } from "../../src/generate/types.js";
import {
  argmax, loadVectorModel, MODELS, readLogits, readModelJson, rowMaxDiffs, runGreedy, type ModelName,
} from "./harness.js";

interface Expect {
  /** Max |logit diff| allowed at every position (and for the greedy steps' recorded logits). */
  tol: number;
  /** Greedy comparison must hold up to the first step whose recorded margin is below this. */
  greedyMarginFloor?: number;
}

const EXPECT: Record<ModelName, Expect> = {
  "llama-gqa-f32": { tol: 2e-4 },
  "llama-gqa-f16": { tol: 3e-2 },
  "llama-gqa-q8_0": { tol: 1e-4 },
  "llama-gqa-q4_0": { tol: 1e-4, greedyMarginFloor: 0.05 },
  "qwen2-f32": { tol: 2e-4 },
  "gpt2-f32": { tol: 2e-2 },
  "gptneox-f32": { tol: 2e-2 },
  "falcon-f32": { tol: 2e-2 },
  "bloom-f32": { tol: 2e-2 },
};

interface Row {
  kernels: string;
  model: string;
  prompt: number;
  nTokens: number;
  maxDiff: number;
  worstRow: number;
  bound: number;
  greedy: string;
  greedyLogitDiff: number;
}

const table: Row[] = [];

function printTable(): void {
  const lines = [
    "kernels       model            p  n   max|diff|  @row  bound    greedy       greedy-logit|diff|",
    ...table.map((r) =>
      `${r.kernels.padEnd(13)} ${r.model.padEnd(16)} ${r.prompt}  ${String(r.nTokens).padEnd(3)} ${r.maxDiff.toExponential(2).padEnd(10)} ${String(r.worstRow).padEnd(5)} ${r.bound.toExponential(0).padEnd(8)} ${r.greedy.padEnd(12)} ${r.greedyLogitDiff.toExponential(2)}`),
  ];
  console.log(lines.join("\n"));
}

/** Runs one model on all prompts with `kernels`, asserting as described at the top. */
function checkModel(kernels: Kernels, m: ModelName): void {
  const spec = EXPECT[m];
  const json = readModelJson(m);
  const model = loadVectorModel(m, kernels);
  const src: LogitsSource = model; // structural: every model is a LogitsSource
  assert.equal(src.nVocab, model.hparams.nVocab);
  for (const [i, p] of json.prompts.entries()) {
    const V = model.nVocab;
    const want = readLogits(m, i);
    assert.equal(want.length, p.n_tokens * V, `${m} p${i}: logits file size`);
    model.reset();
    const got = model.eval(Int32Array.from(p.tokens), 0, { allLogits: true });
    assert.equal(got.length, p.n_tokens * V);
    const diffs = rowMaxDiffs(got, want, p.n_tokens, V);
    const bound = spec.tol;
    let maxDiff = 0, worstRow = 0;
    for (let r = 0; r < p.n_tokens; r++) {
      assert.ok(diffs[r]! <= bound, `${kernels.name} ${m} p${i} row ${r}: max |logit diff| ${diffs[r]} > ${bound}`);
      if (!(diffs[r]! <= maxDiff)) { maxDiff = diffs[r]!; worstRow = r; }
      if (p.top1_top2_margin_per_position[r]! > 2 * bound) {
        assert.equal(argmax(got, r * V, V), p.argmax_per_position[r], `${kernels.name} ${m} p${i} row ${r}: argmax`);
      }
    }
    // greedy continuation from the prompt's last row
    const g = runGreedy(model, p, got.subarray((p.n_tokens - 1) * V));
    const floorStep = spec.greedyMarginFloor === undefined ? -1 : p.greedy_steps.findIndex((s) => s.margin < spec.greedyMarginFloor!);
    const required = floorStep < 0 ? p.greedy_steps.length : floorStep;
    assert.ok(g.agreed >= required,
      `${kernels.name} ${m} p${i}: greedy ${JSON.stringify(g.tokens)} differs from ${JSON.stringify(p.greedy_tokens)} at step ${g.agreed} (required ${required})`);
    assert.ok(g.maxLogitDiff <= bound, `${kernels.name} ${m} p${i}: greedy step logits differ by ${g.maxLogitDiff} > ${bound}`);
    const greedy = g.agreed === p.greedy_steps.length ? "16/16" : `${g.agreed}/16 (req ${required})`;
    table.push({ kernels: kernels.name, model: m, prompt: i, nTokens: p.n_tokens, maxDiff, worstRow, bound, greedy, greedyLogitDiff: g.maxLogitDiff });
  }
}

describe("models vs llama.cpp logits", () => {
  after(printTable);

  describe("ref kernels", () => {
    for (const m of MODELS) test(m, () => checkModel(refKernels, m));
  });

  describe("wasm kernels (2 threads)", () => {
    let k: Kernels | undefined;
    before(async () => { k = await loadWasmKernels({ threads: 2 }); });
    after(async () => { await k?.close(); });
    for (const m of MODELS) test(m, () => checkModel(k!, m));
  });
});
