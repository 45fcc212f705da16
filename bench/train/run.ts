// Training benchmark: tokens/s and achieved FLOP/s of full training steps (forward, backward,
// AdamW) of a fixed llama, against the machine's f32 matmul peak measured in the same run
// (numpy/OpenBLAS sgemm on all threads when numpy is present, else our own gemmF32).
// Model FLOPs = 6 · params · tokens (Kaplan et al. 2020; the tied head makes every parameter a
// matmul weight); attention's score/value products (12 · n_layer · T · n_embd per token, PaLM's
// MFU formula) are printed separately. Run:
//   node dist/bench/train/run.js [--quick] [--threads N] [--profile]
import { execFileSync } from "node:child_process";
import type { Kernels } from "../../src/kernels/api.js";
import { defaultThreads, loadWasmKernels } from "../../src/kernels/index.js";
import { Tape } from "../../src/tensor/tape.js";
import { mulberry32 } from "../../src/train/init.js";
import { LlamaTrainable, type LlamaConfig } from "../../src/train/llama.js";
import { AdamW } from "../../src/train/optim.js";
import { trainStep, type MicroBatch } from "../../src/train/step.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const profile = args.includes("--profile");
const ti = args.indexOf("--threads");
const threads = ti >= 0 ? Number(args[ti + 1]) : defaultThreads();

const CONFIG: LlamaConfig = { nVocab: 4096, nEmbd: 256, nLayer: 4, nHead: 4, nHeadKv: 2, nFf: 768, nCtx: 128, ropeFreqBase: 10000, rmsEps: 1e-5, tied: true };
const B = 4, T = 128;

function numpyGflops(n: number): number | undefined {
  const code = `
import numpy as np, time
n=${n}
a=np.random.rand(n,n).astype(np.float32); b=np.random.rand(n,n).astype(np.float32)
a@b
best=1e9
t_end=time.perf_counter()+${quick ? 1 : 2}
while time.perf_counter()<t_end:
    t=time.perf_counter(); a@b; best=min(best,time.perf_counter()-t)
print(2*n**3/best/1e9)`;
  try {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    return Number(execFileSync("python3", ["-c", code], { env, encoding: "utf8", timeout: 120000 }).trim());
  } catch {
    return undefined;
  }
}

/** Best GFLOP/s of our gemmF32 over square sizes 512 and 1024 (the training GEMMs are of that order). */
function ourGemmGflops(k: Kernels): number {
  let bestRate = 0;
  for (const n of [512, 1024]) {
    const a = k.alloc(n * n).fill(0.5), b = k.alloc(n * n).fill(0.25), c = k.alloc(n * n);
    k.gemmF32(c, a, b, n, n, n);
    let best = Infinity;
    const end = performance.now() + (quick ? 700 : 1500);
    while (performance.now() < end) {
      const t0 = performance.now();
      k.gemmF32(c, a, b, n, n, n);
      best = Math.min(best, performance.now() - t0);
    }
    bestRate = Math.max(bestRate, (2 * n ** 3) / (best / 1000) / 1e9);
  }
  return bestRate;
}

/** Wraps kernels so that time spent in gemmF32 (and its call count) is measured. */
function timed(k: Kernels): { k: Kernels; gemmMs: () => number; calls: () => number; reset: () => void; byShape: Map<string, { ms: number; calls: number; flops: number }> } {
  let ms = 0, n = 0;
  const byShape = new Map<string, { ms: number; calls: number; flops: number }>();
  const w = Object.create(k) as Kernels;
  (w as { gemmF32: Kernels["gemmF32"] }).gemmF32 = (...a) => {
    const t0 = performance.now();
    k.gemmF32(...a);
    const dt = performance.now() - t0;
    ms += dt;
    n++;
    const [, , , M, N, K, acc] = a;
    const key = `M ${M} N ${N} K ${K}${acc ? " +=" : ""}`;
    const e = byShape.get(key) ?? { ms: 0, calls: 0, flops: 0 };
    e.ms += dt; e.calls++; e.flops += 2 * M * N * K;
    byShape.set(key, e);
  };
  return { k: w, gemmMs: () => ms, calls: () => n, reset: () => { ms = 0; n = 0; byShape.clear(); }, byShape };
}

async function main(): Promise<void> {
  const base = await loadWasmKernels({ threads });
  const tk = timed(base);
  const k = profile ? tk.k : base;
  const model = new LlamaTrainable(CONFIG, k, { seed: 1 });
  const tape = new Tape(k);
  const opt = new AdamW(model.params, { lr: 1e-3 });
  const rnd = mulberry32(3);
  const mb = (): MicroBatch => {
    const tokens = new Int32Array(B * T), targets = new Int32Array(B * T);
    for (let i = 0; i < B * T; i++) { tokens[i] = Math.floor(rnd() * CONFIG.nVocab); targets[i] = Math.floor(rnd() * CONFIG.nVocab); }
    return { tokens, targets, batch: B };
  };
  const params = model.parameterCount;
  console.log(`glassbox training bench: llama n_embd ${CONFIG.nEmbd}, ${CONFIG.nLayer} layers, ${CONFIG.nHead}/${CONFIG.nHeadKv} heads, n_ff ${CONFIG.nFf}, vocab ${CONFIG.nVocab} (tied), batch ${B} x seq ${T}; ${(params / 1e6).toFixed(2)} M params; ${base.name}, ${threads} threads`);
  const data = [mb(), mb()];
  for (let i = 0; i < 2; i++) trainStep(model, tape, opt, [data[i % 2]!], { lr: 1e-3, clip: 1 }); // warm up (JIT, buffer pool)
  const steps = quick ? 3 : 8;
  tk.reset();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainStep(model, tape, opt, [data[i % 2]!], { lr: 1e-3, clip: 1 });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!, best = times[0]!;
  const flopsTok = 6 * params, attnTok = (12 * CONFIG.nLayer * T * CONFIG.nEmbd) / 2; // causal: half the score matrix is useful
  const rate = (ms: number) => (B * T) / (ms / 1000);
  console.log(`step: median ${median.toFixed(1)} ms, best ${best.toFixed(1)} ms over ${steps} steps -> ${rate(median).toFixed(0)} tokens/s (best step ${rate(best).toFixed(0)})`);
  const achieved = (flopsTok * rate(median)) / 1e9, achievedBest = (flopsTok * rate(best)) / 1e9;
  console.log(`model FLOP/s (6·N): ${achieved.toFixed(1)} GFLOP/s (best step ${achievedBest.toFixed(1)}); with causal attention (PaLM): ${(((flopsTok + attnTok) * rate(median)) / 1e9).toFixed(1)} GFLOP/s`);
  if (profile) {
    console.log(`profile: gemmF32 ${(tk.gemmMs() / steps).toFixed(1)} ms/step in ${tk.calls() / steps} calls (${((100 * tk.gemmMs()) / times.reduce((a, b) => a + b, 0)).toFixed(0)}% of step time)`);
    const rows = [...tk.byShape].sort((x, y) => y[1].ms - x[1].ms);
    for (const [key, e] of rows.slice(0, 14)) {
      console.log(`  ${key.padEnd(24)} ${String(e.calls / steps).padStart(4)} calls/step ${(e.ms / steps).toFixed(1).padStart(7)} ms/step ${(e.flops / (e.ms / 1000) / 1e9).toFixed(1).padStart(6)} GFLOP/s`);
    }
  }
  const ours = ourGemmGflops(base);
  const np = Math.max(numpyGflops(1024) ?? 0, numpyGflops(2048) ?? 0) || undefined;
  console.log(`peak f32 GEMM (best of sizes), ${threads} threads: numpy ${np === undefined ? "n/a" : np.toFixed(1)} GFLOP/s, glassbox gemmF32 ${ours.toFixed(1)} GFLOP/s`);
  const peak = np ?? ours;
  const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(1)}%`;
  console.log(`training efficiency (6·N): ${pct(achieved, peak)} of ${np === undefined ? "gemmF32" : "numpy"} peak (best step ${pct(achievedBest, peak)}); ${pct(achieved, ours)} of our own gemmF32 peak (best step ${pct(achievedBest, ours)})`);
  if (np !== undefined) console.log(`ceiling: our gemmF32 (WebAssembly SIMD128, 4 lanes) reaches ${pct(ours, np)} of numpy's sgemm (native, AVX2/AVX-512 where the CPU has it)`);
  await base.close();
}

await main();
