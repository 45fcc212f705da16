/**
 * Peer: llama.cpp through node-llama-cpp 3.21.1 (CPU only), on one model file, in its own process:
 *   node dist/bench/engine/nlc.js --model F --threads N [--pp 512] [--tg 128] [--reps 3]
 * pp = evaluateWithoutGeneratingNewTokens of `pp` tokens on an empty sequence; tg = `tg` tokens
 * from sequence.evaluate (each yield is one single-token decode, greedy sampling), as llama-bench
 * measures them. Best of reps. Prints one JSON line { ppTs, tgTs, rssPeak }.
 */
import { benchArgs } from "../args.js";
import { ENGINE_RUN_OPTIONS } from "./run-options.js";

const opts = benchArgs("node dist/bench/engine/nlc.js --model F [options]", "llama.cpp through node-llama-cpp (CPU) on one model file; prints one JSON line.", ENGINE_RUN_OPTIONS);

interface Seq {
  clearHistory(): Promise<void>;
  evaluateWithoutGeneratingNewTokens(tokens: number[]): Promise<void>;
  evaluate(tokens: number[], o?: object): AsyncGenerator<number, void, void>;
}

const file = opts.model;
const threads = Number(opts.threads);
const pp = Number(opts.pp);
const tg = Number(opts.tg);
const reps = Number(opts.reps);

const nlc = (await import("node-llama-cpp")) as unknown as {
  getLlama(o: object): Promise<{ loadModel(o: object): Promise<{ createContext(o: object): Promise<{ getSequence(): Seq; dispose(): Promise<void> }>; dispose(): Promise<void> }>; dispose(): Promise<void> }>;
  LlamaLogLevel: Record<string, string>;
};
const llama = await nlc.getLlama({ gpu: false, build: "never", maxThreads: 0, logLevel: nlc.LlamaLogLevel.error ?? "error", logger: () => {} });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
const ctx = await model.createContext({ contextSize: Math.max(pp, tg) + 16, batchSize: Math.max(pp, 1), threads: { ideal: threads, min: threads }, flashAttention: false });
const seq = ctx.getSequence();

let s = 12345;
const tokens: number[] = [];
for (let i = 0; i < Math.max(pp, tg); i++) { s = (s * 1103515245 + 12345) >>> 0; tokens.push(3 + (s % (32000 - 3))); }

async function runPp(): Promise<number> {
  await seq.clearHistory();
  const t = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(tokens.slice(0, pp));
  return (performance.now() - t) / 1000;
}

async function runTg(): Promise<number> {
  await seq.clearHistory();
  const t = performance.now();
  let n = 0;
  for await (const _ of seq.evaluate([tokens[0]!], { temperature: 0 })) {
    if (++n >= tg) break;
  }
  return (performance.now() - t) / 1000;
}

if (pp > 0) await runPp();
if (tg > 0) await runTg();
let ppBest = Infinity, tgBest = Infinity;
for (let r = 0; r < reps; r++) {
  if (pp > 0) ppBest = Math.min(ppBest, await runPp());
  if (tg > 0) tgBest = Math.min(tgBest, await runTg());
}
console.log(JSON.stringify({ threads, ppTs: pp > 0 ? pp / ppBest : null, tgTs: tg > 0 ? tg / tgBest : null, rssPeak: process.resourceUsage().maxRSS * 1024 }));
await ctx.dispose();
await model.dispose();
await llama.dispose();
