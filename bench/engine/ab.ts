/**
 * A/B of two kernel builds on one model, in one process: both builds are loaded (each from its
 * own build folder, GLASSBOX_WASM_DIR) with the model in each one's memory, and their runs
 * alternate (A B, B A, ...), so the slow and fast spells of a shared machine fall on both alike;
 * the medians are compared. For kernel work on a noisy host, where two separate bench runs can
 * differ by 20-30 %. Build B's folder with `npm run build:wasm` and a copy of build/.
 *   node dist/bench/engine/ab.js --model F --a build-a/ --b build-b/ [--threads 1] [--tg 32 | --pp 512] [--rounds 15]
 * Prints tokens/s (median and best) of each and the B/A ratio of the medians.
 */
import { loadWasmKernels, type WasmKernels } from "../../src/kernels/index.js";
import { loadModelFile, type Model } from "../../src/models/index.js";
import { benchArgs } from "../args.js";

const opts = benchArgs("node dist/bench/engine/ab.js --model F --a DIR --b DIR [options]", "Two kernel builds on one model in one process, runs alternating; B/A ratio of the median tokens/s.", {
  model: { type: "string", required: true, help: "GGUF model file" },
  a: { type: "string", required: true, help: "folder with build A's kernels.wasm and relaxed.wasm" },
  b: { type: "string", required: true, help: "folder with build B's kernels.wasm and relaxed.wasm" },
  threads: { type: "string", default: "1", number: true, help: "kernel threads of each build" },
  tg: { type: "string", default: "32", number: true, help: "decode test: single-token evals (used when --pp is 0)" },
  pp: { type: "string", default: "0", number: true, help: "prefill test: one batched eval of this many tokens" },
  rounds: { type: "string", default: "15", number: true, help: "runs of each build (after 3 warm-up runs each)" },
});
const threads = Number(opts.threads), tg = Number(opts.tg), pp = Number(opts.pp), rounds = Number(opts.rounds);
const n = pp > 0 ? pp : tg;

const builds: { kernels: WasmKernels; model: Model }[] = [];
for (const dir of [opts.a, opts.b]) {
  process.env.GLASSBOX_WASM_DIR = dir; // read by each loadWasmKernels call (src/kernels/wasm/locate.ts)
  const kernels = await loadWasmKernels({ threads });
  builds.push({ kernels, model: loadModelFile(opts.model, kernels, { nCtx: n + 1 }) });
}
delete process.env.GLASSBOX_WASM_DIR;

const tokens = new Int32Array(n).map((_, i) => 3 + ((i * 7919) % 31000));
const one = new Int32Array(1);
/** Milliseconds of one test run. */
function run(m: Model): number {
  m.reset();
  const t0 = performance.now();
  if (pp > 0) m.eval(tokens, 0);
  else for (let i = 0; i < tg; i++) { one[0] = tokens[i]!; m.eval(one, i); }
  return performance.now() - t0;
}

for (let r = 0; r < 3; r++) for (const b of builds) run(b.model);
const times: number[][] = [[], []];
for (let r = 0; r < rounds; r++) for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) times[i]!.push(run(builds[i]!.model));
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const rate = (ms: number): string => ((n * 1000) / ms).toFixed(1);
const [ta, tb] = times as [number[], number[]];
console.log(`${pp > 0 ? `pp${pp}` : `tg${tg}`}, ${threads} thread(s), ${rounds} runs each: ` +
  `A ${rate(median(ta))} tok/s (best ${rate(Math.min(...ta))}) | B ${rate(median(tb))} tok/s (best ${rate(Math.min(...tb))}) | B/A ${(median(ta) / median(tb)).toFixed(3)}`);
for (const b of builds) await b.kernels.close();
