/**
 * Streaming-read memory bandwidth, measured the way decode reads weights: the kernels module's
 * `stream_sum` (SIMD loads, 8 accumulators) over a 1 GiB buffer in WebAssembly memory, split
 * into equal halves when 2 threads run (a worker on the same shared memory). Best of `reps`.
 *   node dist/bench/engine/bandwidth.js [--threads 1,2] [--reps 5] [--mib 1024]
 * Prints one JSON line: { "1": GB/s, "2": GB/s }. Run in its own process (it holds 1 GiB).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { wasmDir } from "../../src/kernels/wasm/locate.js";
import { benchArgs } from "../args.js";

const opts = benchArgs("node dist/bench/engine/bandwidth.js [options]", "Streaming-read bandwidth of WebAssembly SIMD loads; prints one JSON line { threads: GB/s }.", {
  threads: { type: "string", default: "1,2", help: "thread counts, comma-separated" },
  reps: { type: "string", default: "5", number: true, help: "repetitions (best is reported)" },
  mib: { type: "string", default: "1024", number: true, help: "buffer size in MiB" },
});
const threadList = opts.threads.split(",").map(Number);
const reps = Number(opts.reps);
const bytes = Number(opts.mib) * 1024 * 1024;
const BASE = 65536 * 2; // above the module's static area and the sync block

const module = new WebAssembly.Module(readFileSync(join(wasmDir(), "kernels.wasm")));
const pages = (BASE + bytes) / 65536;
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
const inst = new WebAssembly.Instance(module, { env: { memory } });
const sum = inst.exports.stream_sum as (p: number, n: number) => number;
new Float32Array(memory.buffer, BASE, bytes / 4).fill(1); // touch every page
// sync block at 65536: [0] = generation (main bumps to start), [1] = done count
const ctrl = new Int32Array(memory.buffer, 65536, 16);

const WORKER = `
const { workerData, parentPort } = require("node:worker_threads");
const { module, memory, ith, nth, base, bytes } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory } });
const sum = inst.exports.stream_sum;
for (let i = 0; i < 200; i++) sum(base, 1 << 16);
const ctrl = new Int32Array(memory.buffer, 65536, 16);
const part = bytes / nth;
let seen = 0;
parentPort.postMessage("ready");
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  if (seen < 0) break;
  sum(base + ith * part, part);
  Atomics.add(ctrl, 1, 1);
  Atomics.notify(ctrl, 1);
}
`;

const result: Record<string, number> = {};
for (const nth of threadList) {
  const workers: Worker[] = [];
  for (let ith = 1; ith < nth; ith++) {
    const w = new Worker(WORKER, { eval: true, workerData: { module, memory, ith, nth, base: BASE, bytes } });
    await new Promise((res) => w.once("message", res));
    workers.push(w);
  }
  const part = bytes / nth;
  // warm-up: wasm has no on-stack replacement, so tier the function up with short calls first
  for (let i = 0; i < 200; i++) sum(BASE, 1 << 16);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    Atomics.store(ctrl, 1, 0);
    const t = performance.now();
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
    sum(BASE, part);
    while (Atomics.load(ctrl, 1) !== nth - 1) Atomics.wait(ctrl, 1, Atomics.load(ctrl, 1), 10);
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  Atomics.store(ctrl, 0, -1);
  Atomics.notify(ctrl, 0);
  await Promise.all(workers.map((w) => new Promise((res) => w.once("exit", res))));
  Atomics.store(ctrl, 0, 0);
  result[String(nth)] = bytes / best / 1e9;
}
console.log(JSON.stringify(result));
