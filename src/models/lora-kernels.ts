/**
 * Applying LoRA adapters in the inference engine without touching the model files: a `Kernels`
 * that behaves exactly like the one it wraps, except that `matmul` on an adapted weight adds
 * the low-rank term, op for op as llama.cpp's build_lora_mm (llama-graph.cpp):
 *
 *   res = W·x;  for each adapter:  t = A·x  [n][r];  ab = B·t  [n][n_out];  res = res + scale·ab
 *
 * (ggml_mul_mat(a, cur), ggml_mul_mat(b, ·), ggml_scale, ggml_add). The base weight stays in its
 * stored type (a quantized base stays quantized); A and B are multiplied in their stored type
 * (F32 or F16) with the same kernels. Adapted weights are found by their GGUF tensor name, which
 * models/weights.ts records when it loads a matrix (lora.ts nameWeight).
 */
import { GlassboxError } from "../errors.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import { matmulEach, type Kernels } from "../kernels/api.js";
import { weightMatrix, type WeightMatrix } from "../kernels/ref/weights.js";
import { checkLoraAgainstBase, loraWeightScale, weightName, type AppliedLora, type LoraWeight } from "./lora.js";

interface Term {
  readonly w: LoraWeight;
  readonly scale: number;
}

/** A Kernels with adapters applied, and a check that every adapted tensor was used. */
export interface LoraKernels {
  /** Pass this to the model instead of the plain kernels. */
  readonly kernels: Kernels;
  /**
   * Throws LORA_MISMATCH naming the first adapted tensor that the model never loaded as a matmul
   * weight (call after building the model).
   */
  assertAllUsed(): void;
}

/** A copy of `w` whose bytes live in `k.alloc` memory (WebAssembly memory for the wasm kernels: used in place). */
function inKernelMemory(k: Kernels, w: WeightMatrix): WeightMatrix {
  const n = w.data.byteLength;
  const buf = k.alloc(Math.ceil(n / 4));
  const data = new Uint8Array(buf.buffer, buf.byteOffset, n);
  data.set(w.data);
  return weightMatrix(w.type, [w.nIn, w.nOut], data);
}

/**
 * Wraps `k` so that matmuls on the weights named in `adapters` add their LoRA terms. Checks
 * every adapter against `base` first (checkLoraAgainstBase).
 * @throws LORA_MISMATCH, LORA_UNSUPPORTED (see checkLoraAgainstBase); INVALID_OPTION for a scale
 *   that is not a finite number.
 */
export function withLora(k: Kernels, base: GgufFile, adapters: readonly AppliedLora[]): LoraKernels {
  const terms = new Map<string, Term[]>();
  for (const ap of adapters) {
    const userScale = ap.scale ?? 1;
    if (!Number.isFinite(userScale)) throw new GlassboxError("INVALID_OPTION", `LoRA scale must be a finite number, got ${userScale}`);
    checkLoraAgainstBase(ap.adapter, base);
    for (const lw of ap.adapter.weights.values()) {
      const w = { ...lw, a: inKernelMemory(k, lw.a), b: inKernelMemory(k, lw.b) };
      k.prepare(w.a);
      k.prepare(w.b);
      const list = terms.get(w.name) ?? [];
      list.push({ w, scale: loraWeightScale(ap.adapter.alpha, w.rank, userScale) });
      terms.set(w.name, list);
    }
  }
  const used = new Set<string>();
  let t: Float32Array = new Float32Array(0), ab: Float32Array = new Float32Array(0);
  const grow = (b: Float32Array, n: number): Float32Array => (b.length >= n ? b : k.alloc(n));

  const matmul = (out: Float32Array, x: Float32Array, nTokens: number, w: WeightMatrix): void => {
    k.matmul(out, x, nTokens, w);
    const name = weightName(w);
    const list = name === undefined ? undefined : terms.get(name);
    if (!list) return;
    const n = nTokens * w.nOut;
    for (const { w: lw, scale } of list) {
      t = grow(t, nTokens * lw.rank);
      ab = grow(ab, n);
      const tv = t.subarray(0, nTokens * lw.rank), abv = ab.subarray(0, n);
      k.matmul(tv, x, nTokens, lw.a);          // t  = A·x      [n][r]
      k.matmul(abv, tv, nTokens, lw.b);        // ab = B·t      [n][n_out]
      k.scale(abv, abv, scale, n);             // ab = scale·ab
      k.add(out.subarray(0, n), out.subarray(0, n), abv, n); // res = res + ab
    }
  };
  const matmulMulti = (outs: readonly Float32Array[], x: Float32Array, nTokens: number, ws: readonly WeightMatrix[]): void => {
    matmulEach({ matmul }, outs, x, nTokens, ws);
  };
  const prepare = (w: WeightMatrix): void => {
    const name = weightName(w);
    if (name !== undefined) used.add(name);
    k.prepare(w);
  };
  const kernels = new Proxy(k, {
    get(target, prop) {
      if (prop === "matmul") return matmul;
      if (prop === "matmulMulti") return matmulMulti; // one adapted matmul each (the LoRA terms need x per weight)
      if (prop === "prepare") return prepare;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    kernels,
    assertAllUsed() {
      for (const name of terms.keys()) {
        if (!used.has(name)) throw new GlassboxError("LORA_MISMATCH", `the model does not use '${name}' as a matrix, so its LoRA cannot be applied`);
      }
    },
  };
}
