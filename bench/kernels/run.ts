// Kernel benchmark: f32 GEMM GFLOP/s (1 and 2 threads, SIMD128 and relaxed builds) and GB/s of
// each quantized mat-vec (weights streamed from RAM). Peer: numpy in the same run (OpenBLAS sgemm
// with 1/2 threads; f32 GEMV over the same number of weight bytes), printed as ratios. Run:
//   node dist/bench/kernels/run.js [--quick]
import { execFileSync } from "node:child_process";
import { GgmlType } from "../../src/formats/gguf/ggml-types.js";
import { loadWasmKernels, type WasmKernels } from "../../src/kernels/index.js";
import { rowBytes, weightMatrix, fp32ToFp16 } from "../../src/kernels/ref/index.js";

const quick = process.argv.includes("--quick");

/** Best seconds per call of f over repeated runs lasting about `budget` seconds. */
function bestTime(f: () => void, budget = quick ? 0.3 : 1): number {
  f();
  let best = Infinity;
  const end = performance.now() + budget * 1000;
  let runs = 0;
  while (performance.now() < end || runs < 3) {
    const t0 = performance.now();
    f();
    best = Math.min(best, (performance.now() - t0) / 1000);
    runs++;
  }
  return best;
}

function numpy(code: string, threads: number): number | undefined {
  try {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    const out = execFileSync("python3", ["-c", code], { env, encoding: "utf8", timeout: 120000 });
    return Number(out.trim());
  } catch {
    return undefined;
  }
}

const hasNumpy = numpy("import numpy; print(1)", 1) === 1;
const fmt = (x: number, d = 1): string => x.toFixed(d).padStart(7);

function randomWeightBytes(type: number, nIn: number, nOut: number): Uint8Array {
  const b = new Uint8Array(rowBytes(type, nIn) * nOut);
  let s = 12345;
  for (let i = 0; i < b.length; i++) { s = (s * 1103515245 + 12345) >>> 0; b[i] = s >>> 24; }
  // valid small fp16 scales
  const h = fp32ToFp16(0.01);
  const put = (p: number): void => { b[p] = h & 0xff; b[p + 1] = h >> 8; };
  const rb = rowBytes(type, nIn);
  for (let r = 0; r < nOut; r++) {
    const o = r * rb;
    if (type === GgmlType.F16) for (let i = 0; i < nIn; i++) put(o + 2 * i);
    if (type === GgmlType.Q8_0) for (let k = 0; k < nIn / 32; k++) put(o + k * 34);
    if (type === GgmlType.Q4_0) for (let k = 0; k < nIn / 32; k++) put(o + k * 18);
    if (type === GgmlType.Q4_K) for (let k = 0; k < nIn / 256; k++) { put(o + k * 144); put(o + k * 144 + 2); }
    if (type === GgmlType.Q6_K) for (let k = 0; k < nIn / 256; k++) put(o + k * 210 + 208);
  }
  if (type === GgmlType.F32) {
    const f = new Float32Array(b.buffer);
    for (let i = 0; i < f.length; i++) f[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  }
  return b;
}

async function gemmBench(): Promise<void> {
  const sizes: [number, number, number][] = quick ? [[256, 256, 256], [512, 512, 512]] : [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [128, 4096, 4096]];
  console.log("\n== f32 GEMM C[M][N] = A[M][K] x B[K][N] (GFLOP/s; B packed once, as for weights) ==");
  console.log("     M     N     K  threads  simd128  relaxed    numpy  relaxed/numpy");
  for (const threads of [1, 2]) {
    const ks: WasmKernels[] = [await loadWasmKernels({ threads, relaxed: false }), await loadWasmKernels({ threads, relaxed: "auto" })];
    for (const [M, N, K] of sizes) {
      const flops = 2 * M * N * K;
      const res: number[] = [];
      for (const k of ks) {
        // weight-style GEMM: W [N][K] f32 as ggml stores it, packed once by prepare()
        const w = weightMatrix(GgmlType.F32, [K, N], randomWeightBytes(GgmlType.F32, K, N));
        k.prepare(w);
        const a = k.alloc(M * K).fill(0.5), c = k.alloc(M * N);
        res.push(flops / bestTime(() => k.matmul(c, a, M, w)) / 1e9);
      }
      const np = hasNumpy ? numpy(`
import numpy as np, time
a=np.random.rand(${M},${K}).astype(np.float32); b=np.random.rand(${K},${N}).astype(np.float32)
a@b; best=1e9; t_end=time.perf_counter()+${quick ? 0.3 : 1}
while time.perf_counter()<t_end:
  t=time.perf_counter(); a@b; best=min(best,time.perf_counter()-t)
print(${flops}/best/1e9)`, threads) : undefined;
      console.log(`${String(M).padStart(6)}${String(N).padStart(6)}${String(K).padStart(6)}${String(threads).padStart(9)}${fmt(res[0]!)}  ${fmt(res[1]!)}  ${np ? fmt(np) : "    n/a"}  ${np ? fmt(res[1]! / np, 2) : "    n/a"}`);
    }
    for (const k of ks) await k.close();
  }
}

async function matvecBench(): Promise<void> {
  const nIn = 4096;
  const targetBytes = quick ? 32 << 20 : 96 << 20;
  console.log(`\n== mat-vec y = W x, n_in ${nIn}, ~${targetBytes >> 20} MiB of weights (GB/s of weight bytes) ==`);
  console.log("  type    n_out  threads  build           GB/s  GFLOP/s  numpy-f32-gemv GB/s  ratio");
  const types: [string, number][] = [["f32", GgmlType.F32], ["f16", GgmlType.F16], ["q8_0", GgmlType.Q8_0], ["q4_0", GgmlType.Q4_0], ["q4_K", GgmlType.Q4_K], ["q6_K", GgmlType.Q6_K]];
  const npGemv: Record<number, number | undefined> = {};
  for (const threads of [1, 2]) {
    npGemv[threads] = hasNumpy ? numpy(`
import numpy as np, time
w=np.random.rand(${targetBytes / 4 / nIn},${nIn}).astype(np.float32); x=np.random.rand(${nIn}).astype(np.float32)
w@x; best=1e9; t_end=time.perf_counter()+${quick ? 0.3 : 1}
while time.perf_counter()<t_end:
  t=time.perf_counter(); w@x; best=min(best,time.perf_counter()-t)
print(w.nbytes/best/1e9)`, threads) : undefined;
    for (const relaxed of [false, "auto"] as const) {
      const k = await loadWasmKernels({ threads, relaxed });
      for (const [name, type] of types) {
        const nOut = Math.max(8, Math.round(targetBytes / rowBytes(type, nIn) / 8) * 8);
        const w = weightMatrix(type, [nIn, nOut], randomWeightBytes(type, nIn, nOut));
        k.prepare(w);
        const x = k.alloc(nIn).fill(0.25), y = k.alloc(nOut);
        const t = bestTime(() => k.matmul(y, x, 1, w));
        const gbs = w.data.byteLength / t / 1e9;
        const np = npGemv[threads];
        console.log(`${name.padStart(6)}${String(nOut).padStart(9)}${String(threads).padStart(9)}  ${k.name.padEnd(12)}${fmt(gbs)}${fmt((2 * nIn * nOut) / t / 1e9)}  ${np ? fmt(np).padStart(19) : "                n/a"}  ${np ? fmt(gbs / np, 2) : "  n/a"}`);
      }
      await k.close();
    }
  }
}

console.log(`kernels bench (node ${process.version}${quick ? ", --quick" : ""}); numpy peer: ${hasNumpy ? "yes" : "not available"}`);
await gemmBench();
await matvecBench();
