/**
 * Our engine on one model file, run in its own process so that its peak RSS is its own:
 *   node dist/bench/engine/ours.js --model F --threads N [--pp 512] [--tg 128] [--reps 3] [--n-batch B] [--profile]
 * Prints one JSON line: pp and tg tokens/s (best of reps), RSS figures, KV cache bytes.
 * The model is loaded with src/models loadModelFile (file read once into kernel memory).
 * pp = one batched eval of `pp` tokens at position 0 (llama-bench's pp); tg = `tg` single-token
 * evals at positions 0..tg-1 (llama-bench's tg). Token ids are seeded random.
 * --profile: also times every kernel call (by op, and matmul by weight type and shape) during
 * one pp and one tg run and prints the table on stderr.
 */
import { readFileSync } from "node:fs";
import { loadWasmKernels } from "../../src/kernels/index.js";
import { loadModelFile } from "../../src/models/index.js";
import { benchArgs } from "../args.js";
import { profiled } from "./profile.js";
import { ENGINE_RUN_OPTIONS } from "./run-options.js";

const opts = benchArgs("node dist/bench/engine/ours.js --model F [options]", "Our engine on one model file; prints one JSON line (tokens/s, RSS, KV bytes).", {
  ...ENGINE_RUN_OPTIONS,
  relaxed: { type: "string", default: "auto", help: "relaxed-SIMD build: auto, true or false" },
  "n-batch": { type: "string", default: "0", number: true, help: "tokens per prefill batch (0: the model's default)" },
  profile: { type: "boolean", help: "also time every kernel call during one pp and one tg run (stderr)" },
});
const file = opts.model;
const threads = Number(opts.threads);
const pp = Number(opts.pp);
const tg = Number(opts.tg);
const reps = Number(opts.reps);
const relaxed = opts.relaxed;
const nBatch = Number(opts["n-batch"]);
const profile = opts.profile;

/** Resident anonymous memory (RssAnon of /proc/self/status: heap, wasm memory; not the node binary's code pages), bytes; 0 where /proc is missing. */
function rssAnon(): number {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
let anonPeak = 0;
const sampleAnon = (): void => { anonPeak = Math.max(anonPeak, rssAnon()); };

const rssBase = process.memoryUsage().rss;
const anonBase = rssAnon();
const t0 = performance.now();
const kernels = await loadWasmKernels({ threads, relaxed: relaxed === "auto" ? "auto" : relaxed === "true" });
const nCtx = Math.max(pp, tg);
const model = loadModelFile(file, kernels, { nCtx, ...(nBatch > 0 ? { nBatch } : {}) });
const loadSeconds = (performance.now() - t0) / 1000;
const rssLoaded = process.memoryUsage().rss;

let s = 12345;
const tokens = new Int32Array(Math.max(pp, tg));
for (let i = 0; i < tokens.length; i++) { s = (s * 1103515245 + 12345) >>> 0; tokens[i] = 3 + (s % (model.nVocab - 3)); }

function runPp(): number {
  model.reset();
  const t = performance.now();
  model.eval(tokens.subarray(0, pp), 0);
  const s = (performance.now() - t) / 1000;
  sampleAnon();
  return s;
}

const one = new Int32Array(1);
function runTg(): number {
  model.reset();
  const t = performance.now();
  for (let i = 0; i < tg; i++) {
    one[0] = tokens[i]!;
    model.eval(one, i);
  }
  const s = (performance.now() - t) / 1000;
  sampleAnon();
  return s;
}

// warm-up (tiers the wasm and JS code up), then best of reps
if (pp > 0) runPp();
if (tg > 0) { model.reset(); for (let i = 0; i < 16; i++) { one[0] = tokens[i]!; model.eval(one, i); } }
let ppBest = Infinity, tgBest = Infinity;
for (let r = 0; r < reps; r++) {
  if (pp > 0) ppBest = Math.min(ppBest, runPp());
  if (tg > 0) tgBest = Math.min(tgBest, runTg());
}

if (profile) {
  const p = profiled(kernels);
  (model as unknown as { kernels: unknown }).kernels = p.kernels;
  if (pp > 0) { p.reset(); const t = runPp(); console.error(`\n-- profile pp${pp} (${t.toFixed(3)} s, ${threads} thr) --\n${p.report(t)}`); }
  if (tg > 0) { p.reset(); const t = runTg(); console.error(`\n-- profile tg${tg} (${t.toFixed(3)} s, ${threads} thr) --\n${p.report(t)}`); }
}

const ru = process.resourceUsage();
const cache = (model as unknown as { cache: { bytes: number } }).cache;
console.log(JSON.stringify({
  engine: kernels.name, threads, pp, tg,
  ppTs: pp > 0 ? pp / ppBest : null,
  tgTs: tg > 0 ? tg / tgBest : null,
  loadSeconds,
  rssBase, rssLoaded, rssPeak: ru.maxRSS * 1024, anonBase, anonPeak,
  kvBytes: cache.bytes,
  wasmBytes: kernels.memory.buffer.byteLength,
}));
await kernels.close();
