/**
 * Engine benchmark: our WebAssembly engine against llama.cpp, side by side on the same files.
 *
 *   node dist/bench/engine/run.js [--types f32,f16,q8_0,q4_0] [--threads 1,2] [--pp 512]
 *     [--tg 128] [--rounds 3] [--reps 1] [--llama-bench PATH] [--llama-bench-preload noamx.so] [--no-nlc]
 *     [--dir .tmp/bench-engine] [--json out.json]
 *
 * Model: bench/engine/model.ts (PEER-BENCH.md's 110 M llama, seeded random weights, tied
 * output), written once under --dir (git-ignored .tmp/) and quantized by our quantizer.
 * Every engine runs in its own child process, one after another (never two at once):
 * - ours: src/models loadModel + src/kernels loadWasmKernels({threads}) (ours.ts);
 * - llama-bench (--llama-bench PATH or env LLAMA_BENCH; skipped when absent), -r reps, best sample;
 * - node-llama-cpp 3.21.1 (nlc.ts), CPU only.
 * Reported: prefill (pp) and decode (tg) tokens/s (best of reps), our/peer ratios naming the
 * peer, the decode bound = tensor bytes / streaming-read bandwidth (bandwidth.ts, same run) and
 * each engine's tg / bound, and our peak RSS against model file + KV cache (+15 % is the goal).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchArgs } from "../args.js";
import { ensureModels, MODEL_TYPES, SHAPE, tensorBytes, type ModelType } from "./model.js";

const opts = benchArgs("node dist/bench/engine/run.js [options]   (npm run bench:engine -- [options])",
  "Our engine against llama.cpp (llama-bench and node-llama-cpp) on the same ~110M llama files, side by side.", {
    types: { type: "string", default: "f32,f16,q8_0,q4_0", help: `model types, comma-separated (${MODEL_TYPES.join(", ")})` },
    threads: { type: "string", default: "1,2", help: "thread counts, comma-separated" },
    pp: { type: "string", default: "512", number: true, help: "prompt tokens of the prefill test" },
    tg: { type: "string", default: "128", number: true, help: "generated tokens of the decode test" },
    reps: { type: "string", default: "1", number: true, help: "repetitions per engine and round" },
    rounds: { type: "string", default: "3", number: true, help: "rounds, each running every engine once in turn (best over all is reported: the host's noise hits all engines alike)" },
    dir: { type: "string", default: ".tmp/bench-engine", help: "where the model files are written once" },
    "llama-bench": { type: "string", default: process.env.LLAMA_BENCH ?? "", help: "llama-bench binary (env LLAMA_BENCH; skipped when absent)" },
    "llama-bench-preload": { type: "string", default: process.env.LLAMA_BENCH_PRELOAD ?? "", help: "LD_PRELOAD for llama-bench only (bench/engine/noamx.c, for VMs that fault on AMX)" },
    "no-nlc": { type: "boolean", help: "do not run node-llama-cpp" },
    json: { type: "string", default: "", help: "also write the results as JSON to this file" },
  });

const here = dirname(fileURLToPath(import.meta.url));
const types = opts.types.split(",") as ModelType[];
for (const t of types) if (!MODEL_TYPES.includes(t)) throw new Error(`unknown type ${t}; known: ${MODEL_TYPES.join(", ")}`);
const threadList = opts.threads.split(",").map(Number);
const pp = Number(opts.pp);
const tg = Number(opts.tg);
const reps = Number(opts.reps);
const rounds = Math.max(1, Number(opts.rounds));
const dir = opts.dir;
const llamaBench = opts["llama-bench"];
/** LD_PRELOAD for llama-bench only (bench/engine/noamx.c: keeps ggml off AMX where AMX faults). */
const llamaPreload = opts["llama-bench-preload"];
const useLb = llamaBench !== "" && existsSync(llamaBench);
const useNlc = !opts["no-nlc"];
const jsonOut = opts.json;

interface Result { ppTs: number | null; tgTs: number | null; rssPeak?: number }
interface Ours extends Result { anonBase: number; anonPeak: number; rssBase: number; rssLoaded: number; rssPeak: number; kvBytes: number; wasmBytes: number; loadSeconds: number; engine: string }

/** Size of the last-level cache from sysfs (0 when unknown). */
function l3Bytes(): number {
  for (const i of [3, 2]) {
    try {
      const t = readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${i}/size`, "utf8").trim();
      const m = /^(\d+)([KMG]?)/.exec(t);
      if (m) return Number(m[1]) * ({ "": 1, K: 1024, M: 2 ** 20, G: 2 ** 30 } as Record<string, number>)[m[2]!]!;
    } catch { /* not there */ }
  }
  return 0;
}

function node(script: string, args: string[], timeoutMs = 30 * 60 * 1000): string {
  return execFileSync(process.execPath, [join(here, script), ...args], { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 24 });
}
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split("\n").pop()!) as T;

function runOurs(file: string, threads: number): Ours {
  return lastJson<Ours>(node("ours.js", ["--model", file, "--threads", String(threads), "--pp", String(pp), "--tg", String(tg), "--reps", String(reps)]));
}

function runNlc(file: string, threads: number): Result | undefined {
  try {
    return lastJson<Result>(node("nlc.js", ["--model", file, "--threads", String(threads), "--pp", String(pp), "--tg", String(tg), "--reps", String(reps)]));
  } catch (e) {
    console.error(`  node-llama-cpp failed: ${(e as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

/** llama-bench -p pp -n tg -t threads... -r reps -o json; best sample per (test, threads). */
function runLlamaBench(file: string): Map<number, Result> {
  const out = new Map<number, Result>();
  const args = ["-m", file, "-t", threadList.join(","), "-r", String(reps), "-o", "json"];
  if (pp > 0) args.push("-p", String(pp)); else args.push("-p", "0");
  if (tg > 0) args.push("-n", String(tg)); else args.push("-n", "0");
  const env = llamaPreload ? { ...process.env, LD_PRELOAD: llamaPreload } : process.env;
  let txt: string;
  try {
    txt = execFileSync(llamaBench, args, { encoding: "utf8", env, timeout: 30 * 60 * 1000, stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 24 });
  } catch (e) {
    const sig = (e as { signal?: string }).signal;
    console.error(`  llama-bench failed${sig ? ` (${sig})` : ""}${sig === "SIGILL" && !llamaPreload ? ": on a VM that advertises AMX but faults on it, pass --llama-bench-preload with bench/engine/noamx.c built" : ""}`);
    return out;
  }
  const rows = JSON.parse(txt) as { n_prompt: number; n_gen: number; n_threads: number; samples_ts: number[]; avg_ts: number }[];
  for (const r of rows) {
    const o = out.get(r.n_threads) ?? { ppTs: null, tgTs: null };
    const best = Math.max(...r.samples_ts);
    if (r.n_prompt > 0 && r.n_gen === 0) o.ppTs = best;
    if (r.n_gen > 0 && r.n_prompt === 0) o.tgTs = best;
    out.set(r.n_threads, o);
  }
  return out;
}

const maxOrNull = (xs: (number | null)[]): number | null => (xs.some((x) => x !== null) ? Math.max(...xs.filter((x): x is number => x !== null)) : null);
/** Best pp and tg over runs (undefined when there are none). */
function bestOf(runs: Result[]): Result | undefined {
  return runs.length === 0 ? undefined : { ppTs: maxOrNull(runs.map((r) => r.ppTs)), tgTs: maxOrNull(runs.map((r) => r.tgTs)) };
}
/** Our runs: best speeds; memory figures from the run with the highest peak (the honest worst case). */
function bestOurs(runs: Ours[]): Ours {
  const worst = runs.reduce((a, b) => (b.rssPeak - b.rssBase > a.rssPeak - a.rssBase ? b : a));
  return { ...worst, ...bestOf(runs)! };
}

const f = (x: number | null | undefined, d = 1): string => (x == null ? "-" : x.toFixed(d));
const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a == null || b == null ? "-" : (a / b).toFixed(2));

console.log(`Engine benchmark: llama ${SHAPE.nEmbd}x${SHAPE.nLayer} (n_head ${SHAPE.nHead}, n_ff ${SHAPE.nFf}, vocab ${SHAPE.nVocab}, tied output), pp${pp} / tg${tg}, best of ${rounds} round(s) x ${reps} rep(s), engines interleaved`);
console.log(`peers: ${useLb ? `llama-bench (${llamaBench}${llamaPreload ? `, LD_PRELOAD ${llamaPreload}` : ""})` : "llama-bench: not found (pass --llama-bench PATH or LLAMA_BENCH)"}; ${useNlc ? "node-llama-cpp 3.21.1 (its own prebuilt ggml-cpu variant for this CPU)" : "node-llama-cpp: off"}`);
const files = await ensureModels(dir, types);
const bw = lastJson<Record<string, number>>(node("bandwidth.js", ["--threads", threadList.join(","), "--reps", "5"]));
console.log(`streaming-read bandwidth (wasm, 1 GiB, best of 5): ${threadList.map((t) => `${t} thr ${bw[String(t)]!.toFixed(1)} GB/s`).join(", ")}`);
const l3 = l3Bytes();
if (l3 > 0) console.log(`last-level cache: ${(l3 / 2 ** 20).toFixed(0)} MiB; models smaller than that can be read from cache, faster than the bound below (DRAM streaming)`);

interface Row { type: ModelType; threads: number; bytes: number; fileBytes: number; mix: string; bound: number; ours: Ours; lb?: Result; nlc?: Result }
const rows: Row[] = [];
for (const type of types) {
  const file = files.get(type)!;
  const { total, fileBytes, mix } = tensorBytes(file);
  console.log(`\n${type}: ${file} — tensors ${(total / 1e6).toFixed(1)} MB (${mix})`);
  // rounds interleave the engines, so a slow spell of this shared host does not fall on one engine only
  const lbs: Map<number, Result>[] = [];
  const ourRuns = new Map<number, Ours[]>(), nlcRuns = new Map<number, Result[]>();
  for (let r = 0; r < rounds; r++) {
    if (useLb) lbs.push(runLlamaBench(file));
    for (const threads of threadList) {
      ourRuns.set(threads, [...(ourRuns.get(threads) ?? []), runOurs(file, threads)]);
      const n = useNlc ? runNlc(file, threads) : undefined;
      if (n) nlcRuns.set(threads, [...(nlcRuns.get(threads) ?? []), n]);
    }
  }
  const lb = useLb ? new Map(threadList.map((t) => [t, bestOf(lbs.map((m) => m.get(t)).filter((x): x is Result => x !== undefined))] as const).filter(([, v]) => v !== undefined) as [number, Result][]) : undefined;
  for (const threads of threadList) {
    const ours = bestOurs(ourRuns.get(threads)!);
    const nlc = bestOf(nlcRuns.get(threads) ?? []);
    const bound = (bw[String(threads)]! * 1e9) / total;
    const row: Row = { type, threads, bytes: total, fileBytes, mix, bound, ours, ...(lb?.get(threads) ? { lb: lb.get(threads)! } : {}), ...(nlc ? { nlc } : {}) };
    rows.push(row);
    console.log(`  ${threads} thr: ours pp ${f(ours.ppTs)} tg ${f(ours.tgTs)} | llama-bench pp ${f(row.lb?.ppTs)} tg ${f(row.lb?.tgTs)} | node-llama-cpp pp ${f(nlc?.ppTs)} tg ${f(nlc?.tgTs)} | bound ${f(bound)} tok/s`);
  }
}

const H = "| type | thr | pp ours | pp llama-bench | pp nlc | pp ours/lb | pp ours/nlc | tg ours | tg llama-bench | tg nlc | tg ours/lb | tg ours/nlc | bound | tg/bound ours | tg/bound lb |";
console.log(`\n${H}\n|${"---|".repeat(15)}`);
for (const r of rows) {
  console.log(`| ${r.type} | ${r.threads} | ${f(r.ours.ppTs)} | ${f(r.lb?.ppTs)} | ${f(r.nlc?.ppTs)} | ${ratio(r.ours.ppTs, r.lb?.ppTs)} | ${ratio(r.ours.ppTs, r.nlc?.ppTs)} | ${f(r.ours.tgTs)} | ${f(r.lb?.tgTs)} | ${f(r.nlc?.tgTs)} | ${ratio(r.ours.tgTs, r.lb?.tgTs)} | ${ratio(r.ours.tgTs, r.nlc?.tgTs)} | ${f(r.bound)} | ${ratio(r.ours.tgTs, r.bound)} | ${ratio(r.lb?.tgTs, r.bound)} |`);
}

const MB = (b: number): string => (b / 1e6).toFixed(1);
console.log(`\nPeak RSS of our engine (its own process; goal: RSS <= (file + KV cache) * 1.15; "engine" = peak - Node baseline before loading;`);
console.log(`"anon" = the same for anonymous memory only (RssAnon: wasm memory and JS heaps, without the node binary's code pages that V8's compilers fault in))`);
console.log("| type | thr | file MB | KV MB | limit MB | peak RSS MB | Node baseline MB | engine MB | engine / (file+KV) | anon MB | anon / (file+KV) | wasm memory MB | load s |");
console.log(`|${"---|".repeat(13)}`);
for (const r of rows) {
  const o = r.ours, lim = (r.fileBytes + o.kvBytes) * 1.15, eng = o.rssPeak - o.rssBase;
  console.log(`| ${r.type} | ${r.threads} | ${MB(r.fileBytes)} | ${MB(o.kvBytes)} | ${MB(lim)} | ${MB(o.rssPeak)} | ${MB(o.rssBase)} | ${MB(eng)} | ${(eng / (r.fileBytes + o.kvBytes)).toFixed(2)} | ${MB(o.anonPeak - o.anonBase)} | ${((o.anonPeak - o.anonBase) / (r.fileBytes + o.kvBytes)).toFixed(2)} | ${MB(o.wasmBytes)} | ${o.loadSeconds.toFixed(1)} |`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ pp, tg, reps, bandwidth: bw, llamaBench: useLb ? llamaBench : null, rows }, null, 2));
