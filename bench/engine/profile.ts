/**
 * Per-op timing for the engine benchmark: wraps a `Kernels` object so that every call is timed
 * (matmul keyed by weight type and ggml shape [n_in, n_out]), and reports each op's share of a
 * run's wall time. Profiling only; the wrapper costs about a microsecond per call.
 */
import type { Kernels } from "../../src/kernels/api.js";
import type { WeightMatrix } from "../../src/kernels/ref/index.js";

const TYPE_NAMES: Record<number, string> = { 0: "F32", 1: "F16", 8: "Q8_0", 2: "Q4_0", 12: "Q4_K", 14: "Q6_K" };

export interface Profiled {
  readonly kernels: Kernels;
  reset(): void;
  /** A table of ops sorted by time: calls, total ms, share of `wallSeconds`. */
  report(wallSeconds: number): string;
}

/** Wraps `k`; see the module comment. */
export function profiled(k: Kernels): Profiled {
  const stats = new Map<string, { calls: number; ms: number }>();
  const proxy = new Proxy(k, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== "function" || prop === "alloc" || prop === "prepare" || prop === "close") return v;
      const name = String(prop);
      return (...args: unknown[]) => {
        let key = name;
        if (name === "matmul") {
          const w = args[3] as WeightMatrix;
          key = `matmul ${TYPE_NAMES[w.type] ?? w.type} [${w.nIn},${w.nOut}] x${args[2] as number}`;
        }
        const t = performance.now();
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        const dt = performance.now() - t;
        const s = stats.get(key) ?? { calls: 0, ms: 0 };
        s.calls++; s.ms += dt;
        stats.set(key, s);
        return r;
      };
    },
  });
  return {
    kernels: proxy,
    reset: () => stats.clear(),
    report: (wall) => {
      const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.reduce((a, [, s]) => a + s.ms, 0);
      const lines = rows.map(([key, s]) => `${key.padEnd(34)} ${String(s.calls).padStart(6)} ${s.ms.toFixed(1).padStart(9)} ms ${(100 * s.ms / (wall * 1000)).toFixed(1).padStart(5)} %`);
      lines.push(`${"(all kernels)".padEnd(34)} ${"".padStart(6)} ${total.toFixed(1).padStart(9)} ms ${(100 * total / (wall * 1000)).toFixed(1).padStart(5)} %`);
      return lines.join("\n");
    },
  };
}
