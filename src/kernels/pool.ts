/**
 * A pool of worker_threads running WebAssembly kernels on one shared WebAssembly.Memory.
 * Every parallel kernel has the signature `fn(...args, ith, nth)`; its work comes in chunks that
 * the threads claim from a counter in shared memory (assembly/common.ts), so the split follows
 * whoever actually runs: on a busy machine a worker the OS has not scheduled yet does not hold
 * the job up. The main thread is thread 0 and works on every job; the `nth-1` workers join when
 * they see it. When the main thread runs out of chunks it closes the job and waits only for the
 * workers that joined before that (a late worker sees the job closed and skips it). Sync: a
 * generation counter, a join/closed word and a done counter in shared memory, polled for a
 * bounded number of iterations and then slept on with Atomics.wait / Atomics.notify; no thread
 * ever spins without bound. Idle workers are unref'd, so they never keep the process alive;
 * `close()` stops them.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { GlassboxError } from "../errors.js";
import { CTRL, SPIN_ITERATIONS } from "./wasm/protocol.js";

/** Default thread count: os.availableParallelism(). */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

export class KernelPool {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly workers: Worker[] = [];
  private closed = false;
  private busy = false;

  private constructor(
    memory: WebAssembly.Memory,
    ctrlPtr: number,
    /** Total threads including the main thread. */
    readonly threads: number,
    private readonly names: readonly string[],
    private readonly local: ((...a: number[]) => unknown)[],
  ) {
    this.ctrl = new Int32Array(memory.buffer, ctrlPtr, CTRL.INTS);
    this.args = new Float64Array(memory.buffer, ctrlPtr + CTRL.ARGS_BYTE, CTRL.MAX_ARGS);
  }

  /**
   * Starts `threads - 1` workers, each instantiating `module` on `memory`.
   * @param ctrlPtr CTRL.BYTES of zeroed shared memory reserved for the pool.
   * @param instance the main thread's instance of the same module.
   * @param names the kernel exports the pool may run.
   */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, instance: WebAssembly.Instance, ctrlPtr: number, threads: number, names: readonly string[]): Promise<KernelPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new GlassboxError("KERNEL_BAD_THREADS", `threads must be a positive integer, got ${threads}`);
    const local = names.map((n) => {
      const f = instance.exports[n];
      if (typeof f !== "function") throw new GlassboxError("KERNEL_WASM_MISSING", `kernel module has no export ${n}`);
      return f as (...a: number[]) => unknown;
    });
    const pool = new KernelPool(memory, ctrlPtr, threads, names, local);
    const url = new URL("./wasm/worker.js", import.meta.url);
    const ready: Promise<void>[] = [];
    for (let ith = 1; ith < threads; ith++) {
      // execArgv: [] so that the parent's flags (e.g. --input-type, --eval) are not re-applied to the worker;
      // V8 flags such as relaxed SIMD are process-wide and still apply.
      const w = new Worker(url, { execArgv: [], workerData: { module, memory, ctrl: ctrlPtr, ith, nth: threads, names: [...names] } });
      pool.workers.push(w);
      ready.push(new Promise<void>((res, rej) => {
        w.once("message", () => res());
        w.once("error", (e) => rej(new GlassboxError("KERNEL_WORKER_FAILED", `kernel worker ${ith} failed to start: ${String(e)}`, { cause: e })));
      }));
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    for (const w of pool.workers) w.unref();
    return pool;
  }

  /**
   * Runs kernel `names[fn]` with `args` on all threads (share 0 here) and returns when all are done.
   * @throws KERNEL_POOL_CLOSED after close(); KERNEL_WORKER_FAILED when a worker's kernel threw.
   */
  run(fn: number, args: readonly number[]): void {
    if (this.closed) throw new GlassboxError("KERNEL_POOL_CLOSED", "kernel pool is closed");
    const nth = this.threads;
    if (nth === 1) {
      this.local[fn]!(...args, 0, 1);
      return;
    }
    if (this.busy) throw new GlassboxError("KERNEL_POOL_BUSY", "kernel pool is already running a job (re-entrant call)");
    if (args.length > CTRL.MAX_ARGS) throw new GlassboxError("KERNEL_BAD_SHAPE", `too many kernel arguments (${args.length})`);
    this.busy = true;
    const c = this.ctrl;
    try {
      for (let i = 0; i < args.length; i++) this.args[i] = args[i]!;
      Atomics.store(c, CTRL.FN, fn);
      Atomics.store(c, CTRL.NARGS, args.length);
      Atomics.store(c, CTRL.CHUNK, 0);
      Atomics.store(c, CTRL.DONE, 0);
      Atomics.store(c, CTRL.STATE, 0);
      Atomics.add(c, CTRL.GEN, 1);
      Atomics.notify(c, CTRL.GEN);
      let localError: unknown;
      try {
        this.local[fn]!(...args, 0, nth);
      } catch (e) {
        localError = e; // still wait for the workers, so no job overlaps the next one
      }
      // close the job; wait for the workers that joined it before (they may hold a chunk)
      const want = Atomics.or(c, CTRL.STATE, CTRL.CLOSED) & (CTRL.CLOSED - 1);
      let d = Atomics.load(c, CTRL.DONE);
      for (let i = 0; d !== want && i < SPIN_ITERATIONS; i++) d = Atomics.load(c, CTRL.DONE);
      while (d !== want) {
        Atomics.wait(c, CTRL.DONE, d, 1000);
        d = Atomics.load(c, CTRL.DONE);
      }
      if (localError !== undefined) {
        Atomics.store(c, CTRL.ERROR, 0);
        throw new GlassboxError("KERNEL_FAILED", `kernel ${this.names[fn]} failed: ${String(localError)}`, { cause: localError });
      }
      if (Atomics.load(c, CTRL.ERROR) !== 0) {
        Atomics.store(c, CTRL.ERROR, 0);
        throw new GlassboxError("KERNEL_WORKER_FAILED", `kernel ${this.names[fn]} failed in a worker`);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Stops the workers (idempotent). Jobs after close() throw KERNEL_POOL_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL.SHUTDOWN, 1);
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
    await Promise.all(this.workers.map((w) => new Promise<void>((res) => {
      const timer = setTimeout(() => { void w.terminate(); }, 2000);
      w.once("exit", () => { clearTimeout(timer); res(); });
      if (w.threadId === -1) { clearTimeout(timer); res(); }
    })));
    this.workers.length = 0;
  }
}
