// Parity of the two backends with each other and with llama.cpp's own vectors
// (../shared/vectors/llamacpp): last-position logits of every prompt, and 16 greedy tokens.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { openBackend, type Backend } from "../../src/backends/index.js";
import { generateAll } from "../../src/generate/index.js";
import { readF32Vector, vectorPath, vectorsDir } from "../helpers/vectors.js";

interface PromptVector {
  prompt: string;
  tokens: number[];
  n_tokens: number;
  logits_file: string;
  greedy_tokens: number[];
  greedy_steps: Array<{ token: number; margin: number }>;
}
interface ModelVector {
  model_file: string;
  eval: { n_vocab: number };
  prompts: PromptVector[];
}

/** Greedy steps with a top-1/top-2 margin below this may flip under another summation order (vectors README). */
const LOW_MARGIN = 0.05;

/** Largest allowed max-abs differences of max-shifted logits (logit std ~17-25) for one model. */
interface Tolerances {
  wasmVsVectors: number;
  llamacppVsVectors: number;
  wasmVsLlamacpp: number;
}

/**
 * Measured maxima (this machine) are in the comments; the limits leave room above them.
 * - GELU models: ggml evaluates GELU through an fp16 table (vectors README): up to 3.3e-3.
 * - F16 weights: ours follows the vectors (<= 6.5e-3), but node-llama-cpp's llama.cpp build
 *   reduces F16 dot products differently: 2e-2..6e-2 from the vectors on every row.
 * - Q8_0/Q4_0: everything agrees to ~1e-5, except rows 5-7 and 9 of llama-gqa-q8_0 prompt 2,
 *   where one build differs from the others by 0.6-0.92 (seen both ways: node-llama-cpp's
 *   llama.cpp against the vectors and our kernels, and, with an earlier version of our kernels,
 *   both backends against the vectors). Cause: Q8_0 activation quantization rounds exact
 *   ties differently across builds; our kernels now round them away from zero, which matches
 *   the vectors, and node-llama-cpp's build does not (one activation moves by a step). Hence a loose limit
 *   for quantized models; argmax and the greedy tokens are still checked exactly.
 */
function tolerances(model: string): Tolerances {
  if (/^(gpt2|gptneox|falcon|bloom)/.test(model)) return { wasmVsVectors: 0.01, llamacppVsVectors: 0.01, wasmVsLlamacpp: 0.01 };
  if (/f16/.test(model)) return { wasmVsVectors: 0.02, llamacppVsVectors: 0.1, wasmVsLlamacpp: 0.1 };
  if (/q4_0|q8_0/.test(model)) return { wasmVsVectors: 1, llamacppVsVectors: 1, wasmVsLlamacpp: 1 };
  return { wasmVsVectors: 1e-3, llamacppVsVectors: 1e-3, wasmVsLlamacpp: 1e-3 };
}

/** Copy of `x` shifted so its largest entry is 0 (the llamacpp backend's logits convention). */
function shifted(x: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of x) if (v > max) max = v;
  return Float64Array.from(x, (v) => v - max);
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!(e <= d)) d = e; // NaN or -Infinity mismatches propagate as NaN/Infinity
  }
  return d;
}

function argmax(x: Float32Array | Float64Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

const models = readdirSync(`${vectorsDir()}/llamacpp`)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.slice(0, -5))
  .sort();

test("the shared llama.cpp vectors are all there", () => {
  assert.equal(models.length, 9, `expected 9 models, found ${models.join(", ")}`);
});

for (const m of models) {
  describe(`parity ${m}`, () => {
    const vec = JSON.parse(readFileSync(vectorPath("llamacpp", `${m}.json`), "utf8")) as ModelVector;
    const path = vectorPath("llamacpp", vec.model_file);
    let wasm: Backend;
    let llamacpp: Backend;
    before(async () => {
      wasm = await openBackend(path, { backend: "wasm", threads: 1, nCtx: 128 });
      llamacpp = await openBackend(path, { backend: "llamacpp", threads: 1, nCtx: 128 });
    });
    after(async () => {
      await wasm?.close();
      await llamacpp?.close();
    });

    test("last-position logits agree with each other and with llama.cpp's", async () => {
      assert.equal(wasm.nVocab, vec.eval.n_vocab);
      assert.equal(llamacpp.nVocab, vec.eval.n_vocab);
      const tol = tolerances(m);
      for (const [i, p] of vec.prompts.entries()) {
        const all = readF32Vector("llamacpp", p.logits_file);
        const nV = vec.eval.n_vocab;
        const refLast = all.subarray((p.n_tokens - 1) * nV, p.n_tokens * nV);
        const tokens = Int32Array.from(p.tokens);
        await wasm.reset();
        await llamacpp.reset();
        const w = shifted(await wasm.eval(tokens, 0));
        const l = shifted(await llamacpp.eval(tokens, 0));
        const r = shifted(refLast);
        const dWr = maxAbsDiff(w, r);
        const dLr = maxAbsDiff(l, r);
        const dWl = maxAbsDiff(w, l);
        console.log(
          `${m} p${i}: max |logit diff| (max-shifted) wasm-vs-vectors ${dWr.toExponential(2)}, ` +
            `llamacpp-vs-vectors ${dLr.toExponential(2)}, wasm-vs-llamacpp ${dWl.toExponential(2)}`,
        );
        assert.ok(dWr <= tol.wasmVsVectors, `${m} p${i}: wasm vs vectors ${dWr} > ${tol.wasmVsVectors}`);
        assert.ok(dLr <= tol.llamacppVsVectors, `${m} p${i}: llamacpp vs vectors ${dLr} > ${tol.llamacppVsVectors}`);
        assert.ok(dWl <= tol.wasmVsLlamacpp, `${m} p${i}: wasm vs llamacpp ${dWl} > ${tol.wasmVsLlamacpp}`);
        assert.equal(argmax(w), argmax(refLast));
        assert.equal(argmax(l), argmax(refLast));
      }
    });

    test("greedy 16 tokens reproduce llama.cpp's greedy_tokens", async () => {
      for (const [i, p] of vec.prompts.entries()) {
        // Every step before the first one whose recorded top-1/top-2 margin is below LOW_MARGIN
        // must agree; from there on another summation order may legitimately pick the other token.
        const expected = p.greedy_tokens;
        const firstLow = p.greedy_steps.findIndex((s) => s.margin < LOW_MARGIN);
        const mustAgree = firstLow >= 0 ? firstLow : 16;
        for (const be of [wasm, llamacpp]) {
          await be.reset();
          const r = await generateAll(be, be.tokenizer, p.tokens, { temperature: 0, ignore_eos: true, max_tokens: 16 });
          const got = r.tokens.map((t) => t.id);
          assert.equal(got.length, 16);
          let agree = 0;
          while (agree < 16 && got[agree] === expected[agree]) agree++;
          console.log(
            `${m} p${i} ${be.name}: greedy agrees on ${agree}/16 tokens` +
              (firstLow >= 0 ? ` (first low-margin step: ${firstLow}, margin ${p.greedy_steps[firstLow]!.margin.toFixed(4)})` : ""),
          );
          assert.ok(agree >= mustAgree, `${m} p${i} ${be.name}: greedy diverges at step ${agree} (${got.join(",")} vs ${expected.join(",")})`);
        }
      }
    });
  });
}
