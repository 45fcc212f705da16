/**
 * The WebAssembly implementation of `Kernels` (../api.ts): SIMD128 kernels from
 * build/kernels.wasm, or the relaxed-SIMD build (build/relaxed.wasm, fused multiply-add) when
 * the engine validates it; one shared WebAssembly.Memory with a bump arena above the first 64 KiB;
 * weights copied in once (cached per WeightMatrix object); parallel kernels run on a KernelPool.
 * Results: bit-identical to ../ref on quantized weights, RoPE, element-wise ops and norms up to
 * f64 summation order; f32 GEMM/F16/attention scores differ by summation order only.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { GlassboxError } from "../../errors.js";
import { GgmlType } from "../../formats/gguf/ggml-types.js";
import { matmulEach, type Kernels } from "../api.js";
import { defaultThreads, KernelPool } from "../pool.js";
import * as ref from "../ref/index.js";
import type { AttentionOptions, RopeOptions, WeightMatrix } from "../ref/index.js";
import { checkLen, checkSize } from "../ref/tensor.js";
import { Arena } from "./arena.js";
import { wasmDir } from "./locate.js";
import { CTRL } from "./protocol.js";

/** Options of {@link loadWasmKernels}. */
export interface WasmKernelOptions {
  /** Worker threads including the main thread; default os.availableParallelism(). */
  threads?: number;
  /** Use the relaxed-SIMD build: "auto" (default: when the engine accepts it), true (throw if not), false. */
  relaxed?: boolean | "auto";
}

const NAMES = ["gemm_packed", "quantize_q8_0", "quantize_q8_k", "matmul_q", "rms_norm", "layer_norm", "softmax", "rope", "attention", "silu", "swiglu", "gelu", "binary", "scale", "binary_row", "qgemm", "gemm_wt", "attention_gemm", "matmul_q_multi"] as const;
type KernelName = (typeof NAMES)[number];
type Fn = (...a: number[]) => number;

/** Tokens from which Q8_0/Q4_0 mat-muls use the integer GEMM (qgemm) instead of row dots. */
const QGEMM_MIN_TOKENS = 4;
/** Tokens from which F32/F16 mat-muls use the f32 GEMM (gemm_wt) instead of row dots. */
const GEMM_MIN_TOKENS = 4;
/** Query tokens from which attention runs as per-head GEMMs (attention_gemm). */
const ATTN_GEMM_MIN_TOKENS = 8;

/** Bytes of one matmul_q_multi descriptor (assembly/quant.ts MULTI_DESC_BYTES). */
const MULTI_DESC_BYTES = 32;

/** Multiply-accumulates (or elements) below which a kernel runs on the calling thread alone. */
const PAR_MIN_WORK = 1 << 15;

interface Prepared {
  readonly ptr: number;
  /** matmul_q kind: 0 Q8_0, 1 Q4_0, 2 Q4_K, 3 Q6_K, 4 F16, 5 F32. */
  readonly kind: number;
}

let relaxedFlagSet = false;

/** Compiles the kernel module: relaxed when wanted and valid, else plain SIMD128. */
function compile(relaxed: boolean | "auto"): { module: WebAssembly.Module; relaxed: boolean } {
  const dir = wasmDir();
  if (relaxed !== false && process.env.GLASSBOX_WASM_RELAXED !== "0") {
    let bytes: Uint8Array<ArrayBuffer> | undefined;
    try { bytes = new Uint8Array(readFileSync(join(dir, "relaxed.wasm"))); } catch { bytes = undefined; }
    if (bytes) {
      if (!relaxedFlagSet) {
        // Node 20 (V8 11.3) needs the flag for relaxed SIMD; newer engines accept it by default.
        setFlagsFromString("--experimental-wasm-relaxed-simd");
        relaxedFlagSet = true;
      }
      if (WebAssembly.validate(bytes)) return { module: new WebAssembly.Module(bytes), relaxed: true };
    }
    if (relaxed === true) throw new GlassboxError("KERNEL_WASM_MISSING", "relaxed-SIMD kernels are not available (build/relaxed.wasm missing or rejected by this engine)");
  }
  const bytes = new Uint8Array(readFileSync(join(dir, "kernels.wasm")));
  if (!WebAssembly.validate(bytes)) throw new GlassboxError("KERNEL_WASM_MISSING", "build/kernels.wasm does not validate (this engine lacks WebAssembly SIMD?)");
  return { module: new WebAssembly.Module(bytes), relaxed: false };
}

/**
 * Loads the WebAssembly kernels and starts their thread pool.
 * @throws KERNEL_WASM_MISSING when build/kernels.wasm is absent or invalid; KERNEL_BAD_THREADS.
 */
export async function loadWasmKernels(opts: WasmKernelOptions = {}): Promise<WasmKernels> {
  const { module, relaxed } = compile(opts.relaxed ?? "auto");
  const memory = new WebAssembly.Memory({ initial: 4, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const arena = new Arena(memory);
  const ctrl = arena.alloc(CTRL.BYTES);
  (instance.exports.set_chunk_counter as (p: number) => void)(ctrl + 4 * CTRL.CHUNK);
  const threads = opts.threads ?? defaultThreads();
  const pool = await KernelPool.start(module, memory, instance, ctrl, threads, NAMES);
  return new WasmKernels(memory, instance, arena, pool, relaxed);
}

export class WasmKernels implements Kernels {
  readonly name: string;
  readonly threads: number;
  private readonly ex: Record<KernelName | "pack_a" | "pack_at" | "pack_b" | "pack_bt" | "round_f16" | "qgemm_scratch_bytes" | "attention_gemm_scratch_bytes" | "round_f16_scaled", Fn>;
  private readonly weights = new WeakMap<WeightMatrix, Prepared>();
  private geluTable = 0;
  private copyBack: [Float32Array, number, number][] = [];

  /** Use {@link loadWasmKernels}. */
  constructor(readonly memory: WebAssembly.Memory, instance: WebAssembly.Instance, readonly arena: Arena, private readonly pool: KernelPool, readonly relaxed: boolean) {
    this.name = relaxed ? "wasm-relaxed" : "wasm";
    this.threads = pool.threads;
    this.ex = instance.exports as unknown as WasmKernels["ex"];
  }

  alloc(n: number): Float32Array {
    checkSize("n", n);
    return this.arena.f32(n);
  }

  owns(a: ArrayBufferView): boolean {
    return this.arena.owns(a);
  }

  // ----- plumbing -----

  /** Runs a parallel kernel on the pool when the work is large enough, else on this thread. */
  private par(name: KernelName, args: number[], work: number): void {
    if (this.threads > 1 && work >= PAR_MIN_WORK) this.pool.run(NAMES.indexOf(name), args);
    else this.ex[name](...args, 0, 1);
  }

  /** Pointer to n floats of `a`: in place when `a` is in wasm memory, else a scratch copy. */
  private inp(a: Float32Array, n: number): number {
    if (this.arena.owns(a)) return a.byteOffset;
    const p = this.arena.alloc(n * 4, 16);
    new Float32Array(this.memory.buffer, p, n).set(a.subarray(0, n));
    return p;
  }

  /** Pointer for n output floats of `a`; a scratch buffer copied back by {@link done} when `a` is outside. */
  private outp(a: Float32Array, n: number, copyIn = false): number {
    if (this.arena.owns(a)) return a.byteOffset;
    const p = copyIn ? this.inp(a, n) : this.arena.alloc(n * 4, 16);
    this.copyBack.push([a, p, n]);
    return p;
  }

  private begin(): number {
    this.copyBack.length = 0;
    return this.arena.mark();
  }

  private done(mark: number): void {
    for (const [a, p, n] of this.copyBack) a.set(new Float32Array(this.memory.buffer, p, n));
    this.copyBack.length = 0;
    this.arena.release(mark);
  }

  /** Runs `f` between begin/done so scratch is always released. */
  private op(f: () => void): void {
    const m = this.begin();
    try {
      f();
      this.done(m);
    } finally {
      this.copyBack.length = 0;
      this.arena.release(m);
    }
  }

  // ----- weights -----

  prepare(w: WeightMatrix): Prepared {
    const have = this.weights.get(w);
    if (have) return have;
    let p: Prepared;
    const kinds: Record<number, number> = { [GgmlType.Q8_0]: 0, [GgmlType.Q4_0]: 1, [GgmlType.Q4_K]: 2, [GgmlType.Q6_K]: 3, [GgmlType.F16]: 4, [GgmlType.F32]: 5 };
    const kind = kinds[w.type];
    if (kind === undefined) throw new GlassboxError("KERNEL_UNSUPPORTED_TYPE", `matmul does not support ggml type ${w.type}`);
    // the ggml bytes are used as they are (one copy; F32/F16 GEMMs pack panels on the fly)
    const ptr = this.arena.owns(w.data) ? w.data.byteOffset : this.arena.alloc(w.data.byteLength, 64);
    if (!this.arena.owns(w.data)) new Uint8Array(this.memory.buffer, ptr, w.data.byteLength).set(w.data);
    p = { ptr, kind };
    this.weights.set(w, p);
    return p;
  }

  matmul(out: Float32Array, x: Float32Array, nTokens: number, w: WeightMatrix): void {
    checkSize("nTokens", nTokens);
    checkLen("x", x, nTokens * w.nIn);
    checkLen("out", out, nTokens * w.nOut);
    const pw = this.prepare(w);
    const n = w.nIn;
    const work = nTokens * n * w.nOut;
    this.op(() => {
      const xp = this.inp(x, nTokens * n);
      const op = this.outp(out, nTokens * w.nOut);
      if (pw.kind >= 4 && nTokens >= GEMM_MIN_TOKENS) {
        const f16 = pw.kind === 4;
        // f32 GEMM, weight panels packed (F16: widened) on the fly per thread (assembly/gemm.ts gemm_wt)
        let a = xp;
        if (f16) {
          a = this.arena.alloc(nTokens * n * 4, 16);
          this.ex.round_f16(xp, a, nTokens * n);
        }
        const sb = n * 32;
        const scratch = this.arena.alloc(sb * this.threads, 64);
        this.par("gemm_wt", [this.packA(a, nTokens, n), pw.ptr, op, nTokens, w.nOut, n, f16 ? 1 : 0, scratch, sb], work);
        return;
      }
      if (pw.kind <= 1 && nTokens >= QGEMM_MIN_TOKENS) {
        // integer GEMM (assembly/qgemm.ts): activations in layout 2 (i16; relaxed build, Q4_0:
        // layout 4, i8), padded to groups of 4 blocks
        const nbq = Math.ceil(n / 128) * 4;
        const i8 = this.relaxed && pw.kind === 1;
        const stride = Math.ceil(((i8 ? 32 : 64) * nbq + 8 * nbq) / 16) * 16;
        const act = this.arena.alloc(nTokens * stride, 16);
        this.par("quantize_q8_0", [xp, n, nTokens, act, stride, i8 ? 4 : 2], nTokens * n * 8);
        const sb = Math.ceil(this.ex.qgemm_scratch_bytes(n) / 64) * 64;
        const scratch = this.arena.alloc(sb * this.threads, 64);
        this.par("qgemm", [pw.kind, pw.ptr, w.rowBytes, n, w.nOut, act, stride, nTokens, op, scratch, sb], work);
        return;
      }
      const { act, stride } = this.rowActivations(pw.kind, xp, nTokens, n);
      this.par("matmul_q", [pw.kind, pw.ptr, w.rowBytes, n, w.nOut, act, stride, nTokens, op, this.arena.alloc(128 * this.threads, 64)], work);
    });
  }

  /**
   * The activations matmul_q reads for weights of `kind` (x at xp: nTokens rows of n f32), in
   * scratch: F32 as is; F16 rounded and scaled (act.ts round_f16_scaled); Q8_0/Q4_0 quantized to
   * Q8_0 (i16, layout 0 / 1; relaxed build, Q4_0: i8, layout 3) with f32 d and i32 sums per
   * block; K-quants to Q8_K (i16; relaxed build: i8), d and 16-element sums (assembly/act.ts).
   */
  private rowActivations(kind: number, xp: number, nTokens: number, n: number): { act: number; stride: number } {
    if (kind === 5) return { act: xp, stride: n * 4 };
    const work = nTokens >= 4 ? nTokens * n * 8 : 0; // a decode step quantizes on this thread alone
    if (kind === 4) {
      const stride = n * 4;
      const act = this.arena.alloc(nTokens * stride, 16);
      this.ex.round_f16_scaled(xp, act, nTokens, n);
      return { act, stride };
    }
    if (kind <= 1) {
      const i8 = this.relaxed && kind === 1;
      const stride = Math.ceil(((i8 ? 1 : 2) * n + 8 * (n / 32)) / 16) * 16;
      const act = this.arena.alloc(nTokens * stride, 16);
      this.par("quantize_q8_0", [xp, n, nTokens, act, stride, i8 ? 3 : kind], work);
      return { act, stride };
    }
    const stride = Math.ceil(((this.relaxed ? 1 : 2) * n + 4 * (n / 256) + 4 * (n / 16)) / 16) * 16;
    const act = this.arena.alloc(nTokens * stride, 16);
    this.par("quantize_q8_k", [xp, n, nTokens, act, stride, this.relaxed ? 1 : 0], work);
    return { act, stride };
  }

  /** Activation layout a weight kind's matmul_q reads (kinds with equal keys can share one). */
  private actLayout(kind: number): number {
    if (kind === 1 && this.relaxed) return 3;
    return kind === 3 ? 2 : kind;
  }

  /**
   * out_i = x · W_iᵀ for several weights with the same input size, as one parallel job when the
   * row kernels serve them all (few tokens, one activation layout: e.g. Q, K and V of a decode
   * step), else one matmul each. Results are bit for bit those of {@link matmul}.
   */
  matmulMulti(outs: readonly Float32Array[], x: Float32Array, nTokens: number, ws: readonly WeightMatrix[]): void {
    if (outs.length !== ws.length) return matmulEach(this, outs, x, nTokens, ws); // throws KERNEL_BAD_SHAPE
    const pws = ws.map((w) => this.prepare(w));
    const kind = pws[0]?.kind ?? 0;
    const fused = ws.length > 1 && nTokens < Math.min(QGEMM_MIN_TOKENS, GEMM_MIN_TOKENS) &&
      ws.every((w, i) => w.nIn === ws[0]!.nIn && this.actLayout(pws[i]!.kind) === this.actLayout(kind));
    if (!fused) return matmulEach(this, outs, x, nTokens, ws);
    checkSize("nTokens", nTokens);
    const n = ws[0]!.nIn;
    checkLen("x", x, nTokens * n);
    let work = 0;
    for (let i = 0; i < ws.length; i++) {
      checkLen(`outs[${i}]`, outs[i]!, nTokens * ws[i]!.nOut);
      work += nTokens * n * ws[i]!.nOut;
    }
    this.op(() => {
      const xp = this.inp(x, nTokens * n);
      const { act, stride } = this.rowActivations(kind, xp, nTokens, n);
      // descriptors: kind, weight pointer, row bytes, rows, output pointer (i32 each; assembly/quant.ts)
      const desc = this.arena.alloc(ws.length * MULTI_DESC_BYTES, 16);
      const d = new Int32Array(this.memory.buffer, desc, (ws.length * MULTI_DESC_BYTES) / 4);
      for (let i = 0; i < ws.length; i++) {
        const w = ws[i]!, o = (i * MULTI_DESC_BYTES) / 4;
        d.set([pws[i]!.kind, pws[i]!.ptr, w.rowBytes, w.nOut, this.outp(outs[i]!, nTokens * w.nOut)], o);
      }
      this.par("matmul_q_multi", [desc, ws.length, n, act, stride, nTokens, this.arena.alloc(128 * this.threads, 64)], work);
    });
  }

  gemmF32(c: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number, accumulate = false, transA = false, transB = false): void {
    checkSize("M", M); checkSize("N", N); checkSize("K", K);
    checkLen("A", a, M * K); checkLen("B", b, K * N); checkLen("C", c, M * N);
    this.op(() => {
      const ap = this.inp(a, M * K);
      const bp = this.inp(b, K * N);
      const cp = this.outp(c, M * N, accumulate);
      // the packed panels are the same whichever layout B came in (so are the results)
      const packed = this.arena.alloc(Math.ceil(N / 8) * K * 32, 64);
      if (transB) this.ex.pack_bt(bp, N, K, packed);
      else this.ex.pack_b(bp, K, N, packed);
      this.par("gemm_packed", [this.packA(ap, M, K, transA), packed, cp, M, N, K, accumulate ? 1 : 0], M * N * K);
    });
  }

  /**
   * A [M][K] at `ap` (given as Aᵀ [K][M] when `transA`) packed into 4-row tiles in scratch
   * (gemm_packed's layout); M == 1 stays as is (a row and a column of one row are the same floats).
   */
  private packA(ap: number, M: number, K: number, transA = false): number {
    if (M === 1) return ap;
    const dst = this.arena.alloc(Math.ceil(M / 4) * K * 16, 64);
    if (transA) this.ex.pack_at(ap, M, K, dst);
    else this.ex.pack_a(ap, M, K, dst);
    return dst;
  }

  getRows(out: Float32Array, w: WeightMatrix, ids: ArrayLike<number>): void {
    ref.getRows(out, w, ids);
  }

  // ----- row ops -----

  rmsNorm(out: Float32Array, x: Float32Array, nRows: number, n: number, eps: number, weight?: Float32Array): void {
    checkSize("nRows", nRows); checkSize("n", n); checkLen("x", x, nRows * n); checkLen("out", out, nRows * n);
    if (weight) checkLen("weight", weight, n);
    this.op(() => {
      const xp = this.inp(x, nRows * n);
      const wp = weight ? this.inp(weight, n) : 0;
      const op = this.outp(out, nRows * n);
      this.par("rms_norm", [xp, op, nRows, n, eps, wp], nRows * n * 4);
    });
  }

  layerNorm(out: Float32Array, x: Float32Array, nRows: number, n: number, eps: number, weight?: Float32Array, bias?: Float32Array): void {
    checkSize("nRows", nRows); checkSize("n", n); checkLen("x", x, nRows * n); checkLen("out", out, nRows * n);
    if (weight) checkLen("weight", weight, n);
    if (bias) checkLen("bias", bias, n);
    this.op(() => {
      const xp = this.inp(x, nRows * n);
      const wp = weight ? this.inp(weight, n) : 0;
      const bp = bias ? this.inp(bias, n) : 0;
      const op = this.outp(out, nRows * n);
      this.par("layer_norm", [xp, op, nRows, n, eps, wp, bp], nRows * n * 4);
    });
  }

  rope(x: Float32Array, nTokens: number, nHead: number, headDim: number, positions: ArrayLike<number>, o: RopeOptions): void {
    checkSize("nTokens", nTokens); checkSize("nHead", nHead); checkSize("headDim", headDim);
    if (o.nRot % 2 !== 0 || o.nRot > headDim || o.nRot <= 0) throw new GlassboxError("KERNEL_BAD_SHAPE", `rope nRot ${o.nRot} must be even and in (0, headDim=${headDim}]`);
    checkLen("x", x, nTokens * nHead * headDim);
    checkLen("positions", positions, nTokens);
    if (o.freqFactors) checkLen("freqFactors", o.freqFactors, o.nRot / 2);
    this.op(() => {
      const xp = this.outp(x, nTokens * nHead * headDim, true);
      const cs = this.arena.alloc(nTokens * o.nRot * 4, 16);
      const cache = new Float32Array(this.memory.buffer, cs, nTokens * o.nRot);
      for (let t = 0; t < nTokens; t++) ref.ropeCache(cache.subarray(t * o.nRot, (t + 1) * o.nRot), positions[t]!, o);
      this.par("rope", [xp, nTokens, nHead, headDim, o.nRot, o.mode === "neox" ? 1 : 0, cs], nTokens * nHead * o.nRot * 4);
    });
  }

  attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void {
    const { nTokens, nHead, nHeadKv, headDim, pos0 } = o;
    checkSize("nTokens", nTokens); checkSize("nHead", nHead); checkSize("nHeadKv", nHeadKv); checkSize("headDim", headDim); checkSize("pos0", pos0);
    if (nHeadKv === 0 || nHead % nHeadKv !== 0) throw new GlassboxError("KERNEL_BAD_SHAPE", `n_head_kv ${nHeadKv} must divide n_head ${nHead}`);
    const nKv = pos0 + nTokens;
    const qn = nTokens * nHead * headDim, kvn = nKv * nHeadKv * headDim;
    checkLen("q", q, qn); checkLen("out", out, qn); checkLen("k", k, kvn); checkLen("v", v, kvn);
    const scale = Math.fround(o.scale ?? 1 / Math.sqrt(headDim));
    this.op(() => {
      const qp = this.inp(q, qn), kp = this.inp(k, kvn), vp = this.inp(v, kvn);
      const op = this.outp(out, qn);
      let slopes = 0;
      if ((o.maxBias ?? 0) > 0) {
        slopes = this.arena.alloc(nHead * 4, 16);
        const s = new Float32Array(this.memory.buffer, slopes, nHead);
        for (let h = 0; h < nHead; h++) s[h] = ref.alibiSlope(h, nHead, o.maxBias!);
      }
      const work = nTokens * nHead * nKv * headDim * 2;
      if (nTokens >= ATTN_GEMM_MIN_TOKENS) {
        // prefill: per head, scores and outputs as f32 GEMM tiles (assembly/ops.ts attention_gemm)
        const stride = Math.ceil(this.ex.attention_gemm_scratch_bytes(nTokens, nKv, headDim) / 64) * 64;
        const scratch = this.arena.alloc(stride * this.threads, 64);
        this.par("attention_gemm", [qp, kp, vp, op, nTokens, nHead, nHeadKv, headDim, pos0, scale, slopes, scratch, stride], work);
        return;
      }
      const stride = Math.ceil((nKv * 4) / 64) * 64;
      const scratch = this.arena.alloc(stride * this.threads, 64);
      this.par("attention", [qp, kp, vp, op, nTokens, nHead, nHeadKv, headDim, pos0, scale, slopes, scratch, stride], work);
    });
  }

  softmax(out: Float32Array, x: Float32Array, nRows: number, n: number, scale = 1): void {
    checkSize("nRows", nRows); checkSize("n", n); checkLen("x", x, nRows * n); checkLen("out", out, nRows * n);
    this.op(() => {
      const xp = this.inp(x, nRows * n);
      const op = this.outp(out, nRows * n);
      this.par("softmax", [xp, op, nRows, n, scale], nRows * n * 8);
    });
  }

  // ----- element-wise -----

  private unary(name: "silu" | "gelu", out: Float32Array, x: Float32Array, n: number): void {
    checkSize("n", n); checkLen("x", x, n); checkLen("out", out, n);
    this.op(() => {
      const xp = this.inp(x, n);
      const op = this.outp(out, n);
      if (name === "silu") this.par("silu", [xp, op, n], n * 8);
      else this.par("gelu", [xp, op, n, this.geluTablePtr()], n * 4);
    });
  }

  private geluTablePtr(): number {
    if (this.geluTable === 0) {
      const t = ref.geluF16Table();
      const p = this.arena.alloc(t.byteLength, 64);
      new Uint16Array(this.memory.buffer, p, t.length).set(t);
      this.geluTable = p;
    }
    return this.geluTable;
  }

  silu(out: Float32Array, x: Float32Array, n: number): void {
    this.unary("silu", out, x, n);
  }

  gelu(out: Float32Array, x: Float32Array, n: number): void {
    if (this.geluTable === 0) this.geluTablePtr(); // outside op(): persistent allocation
    this.unary("gelu", out, x, n);
  }

  swiglu(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
    checkSize("n", n); checkLen("gate", gate, n); checkLen("up", up, n); checkLen("out", out, n);
    this.op(() => {
      const gp = this.inp(gate, n), upp = this.inp(up, n);
      const op = this.outp(out, n);
      this.par("swiglu", [gp, upp, op, n], n * 8);
    });
  }

  private binary(opc: number, out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    checkSize("n", n); checkLen("a", a, n); checkLen("b", b, n); checkLen("out", out, n);
    this.op(() => {
      const ap = this.inp(a, n), bp = this.inp(b, n);
      const op = this.outp(out, n);
      this.par("binary", [opc, ap, bp, op, n], n);
    });
  }

  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    this.binary(0, out, a, b, n);
  }

  mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    this.binary(1, out, a, b, n);
  }

  scale(out: Float32Array, a: Float32Array, s: number, n: number): void {
    checkSize("n", n); checkLen("a", a, n); checkLen("out", out, n);
    this.op(() => {
      const ap = this.inp(a, n);
      const op = this.outp(out, n);
      this.par("scale", [ap, s, op, n], n);
    });
  }

  private rowOp(opc: number, out: Float32Array, x: Float32Array, row: Float32Array, nRows: number, n: number): void {
    checkSize("nRows", nRows); checkSize("n", n); checkLen("x", x, nRows * n); checkLen("row", row, n); checkLen("out", out, nRows * n);
    this.op(() => {
      const xp = this.inp(x, nRows * n), rp = this.inp(row, n);
      const op = this.outp(out, nRows * n);
      this.par("binary_row", [opc, xp, rp, op, nRows, n], nRows * n);
    });
  }

  addRow(out: Float32Array, x: Float32Array, row: Float32Array, nRows: number, n: number): void {
    this.rowOp(0, out, x, row, nRows, n);
  }

  mulRow(out: Float32Array, x: Float32Array, row: Float32Array, nRows: number, n: number): void {
    this.rowOp(1, out, x, row, nRows, n);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
