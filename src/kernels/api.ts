/**
 * The `Kernels` interface: every op a model needs, with the reference signatures (see
 * ref/README conventions: row-major Float32Array + explicit sizes, `out` first, weights as
 * WeightMatrix in ggml layout). Two implementations: `refKernels` (plain TypeScript, the
 * numerics definition) and the WebAssembly one from `loadWasmKernels()` (wasm/kernels.ts).
 * A model written against `Kernels` runs on either.
 */
import { GlassboxError } from "../errors.js";
import * as ref from "./ref/index.js";
import type { AttentionOptions, RopeOptions, WeightMatrix } from "./ref/index.js";

export interface Kernels {
  /** "ref" or "wasm" / "wasm-relaxed". */
  readonly name: string;
  /** Threads used by parallel kernels (1 for ref). */
  readonly threads: number;
  /**
   * A zeroed f32 buffer of n elements. For the wasm kernels it lives in WebAssembly memory, so
   * passing it to kernels costs no copy; other arrays work too but are copied in and out.
   */
  alloc(n: number): Float32Array;
  /** Makes a weight ready (wasm: copies it into WebAssembly memory once unless it is there already). Optional; matmul does it on first use. */
  prepare(w: WeightMatrix): void;
  /**
   * True when `a` lies in memory these kernels use in place (wasm: the WebAssembly memory, e.g. a
   * buffer from `alloc`): a loader can then keep weights where they are instead of copying them.
   * Absent or false: copy into `alloc` memory.
   */
  owns?(a: ArrayBufferView): boolean;
  /** See ref `matmul`: out [nTokens][w.nOut] = x [nTokens][w.nIn] · Wᵀ. */
  matmul(out: Float32Array, x: Float32Array, nTokens: number, w: WeightMatrix): void;
  /**
   * outs[i] [nTokens][ws[i].nOut] = x [nTokens][nIn] · ws[i]ᵀ for weights sharing the input x
   * (Q, K and V; gate and up): results equal to one `matmul` each, which is what an
   * implementation without a fused path does. Throws KERNEL_BAD_SHAPE on mismatched lists.
   */
  matmulMulti(outs: readonly Float32Array[], x: Float32Array, nTokens: number, ws: readonly WeightMatrix[]): void;
  /** See ref `gemmF32`: C [M][N] (+)= A [M][K] · B [K][N]; `transA`: `a` holds Aᵀ [K][M]; `transB`: `b` holds Bᵀ [N][K]. */
  gemmF32(c: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, accumulate?: boolean, transA?: boolean, transB?: boolean): void;
  /** See ref `getRows`. */
  getRows(out: Float32Array, w: WeightMatrix, ids: ArrayLike<number>): void;
  rmsNorm(out: Float32Array, x: Float32Array, nRows: number, n: number, eps: number, weight?: Float32Array): void;
  layerNorm(out: Float32Array, x: Float32Array, nRows: number, n: number, eps: number, weight?: Float32Array, bias?: Float32Array): void;
  rope(x: Float32Array, nTokens: number, nHead: number, headDim: number, positions: ArrayLike<number>, o: RopeOptions): void;
  attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void;
  softmax(out: Float32Array, x: Float32Array, nRows: number, n: number, scale?: number): void;
  silu(out: Float32Array, x: Float32Array, n: number): void;
  gelu(out: Float32Array, x: Float32Array, n: number): void;
  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void;
  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;
  scale(out: Float32Array, a: Float32Array, s: number, n: number): void;
  addRow(out: Float32Array, x: Float32Array, row: Float32Array, nRows: number, n: number): void;
  mulRow(out: Float32Array, x: Float32Array, row: Float32Array, nRows: number, n: number): void;
  /** Releases threads and memory (wasm); the object must not be used afterwards. */
  close(): Promise<void>;
}

/** The reference kernels as a `Kernels` object (single-threaded plain TypeScript). */
export const refKernels: Kernels = {
  name: "ref",
  threads: 1,
  alloc: (n) => new Float32Array(n),
  prepare: () => {},
  owns: () => true, // plain TypeScript reads any typed array in place
  matmul: ref.matmul,
  matmulMulti(outs, x, nTokens, ws) {
    matmulEach(this, outs, x, nTokens, ws);
  },
  gemmF32: ref.gemmF32,
  getRows: ref.getRows,
  rmsNorm: ref.rmsNorm,
  layerNorm: ref.layerNorm,
  rope: ref.rope,
  attention: ref.attention,
  softmax: ref.softmax,
  silu: ref.silu,
  gelu: ref.gelu,
  swiglu: ref.swiglu,
  add: ref.add,
  mul: ref.mul,
  scale: ref.scale,
  addRow: ref.addRow,
  mulRow: ref.mulRow,
  close: async () => {},
};

/**
 * `matmulMulti` as one `k.matmul` per weight: for kernels (and wrappers) without a fused path.
 * @throws KERNEL_BAD_SHAPE when outs and ws differ in length.
 */
export function matmulEach(k: Pick<Kernels, "matmul">, outs: readonly Float32Array[], x: Float32Array, nTokens: number, ws: readonly WeightMatrix[]): void {
  if (outs.length !== ws.length) throw new GlassboxError("KERNEL_BAD_SHAPE", `matmulMulti: ${outs.length} outputs for ${ws.length} weights`);
  for (let i = 0; i < ws.length; i++) k.matmul(outs[i]!, x, nTokens, ws[i]!);
}
