// Worker side of the kernel pool (see ../pool.ts): instantiates the shared kernels module on the
// shared memory, then loops: wait for a new job generation, run its share, count itself done.
import { parentPort, workerData } from "node:worker_threads";
import { CTRL, SPIN_ITERATIONS } from "./protocol.js";

interface Init {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: number;
  ith: number;
  nth: number;
  names: string[];
}

const init = workerData as Init;
const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
(instance.exports.set_chunk_counter as (p: number) => void)(init.ctrl + 4 * CTRL.CHUNK);
const fns = init.names.map((n) => instance.exports[n] as (...a: number[]) => unknown);
const ctrl = new Int32Array(init.memory.buffer, init.ctrl, CTRL.INTS);
const args = new Float64Array(init.memory.buffer, init.ctrl + CTRL.ARGS_BYTE, CTRL.MAX_ARGS);
const { ith, nth } = init;

let seen = Atomics.load(ctrl, CTRL.GEN);
parentPort!.postMessage("ready");

for (;;) {
  let g = Atomics.load(ctrl, CTRL.GEN);
  for (let i = 0; g === seen && i < SPIN_ITERATIONS; i++) g = Atomics.load(ctrl, CTRL.GEN);
  while (g === seen) {
    Atomics.wait(ctrl, CTRL.GEN, seen);
    g = Atomics.load(ctrl, CTRL.GEN);
  }
  seen = g;
  if (Atomics.load(ctrl, CTRL.SHUTDOWN) !== 0) break;
  // join the job unless the main thread has already closed it (then all its chunks are taken)
  if ((Atomics.add(ctrl, CTRL.STATE, 1) & CTRL.CLOSED) !== 0) continue;
  const fn = fns[Atomics.load(ctrl, CTRL.FN)];
  const n = Atomics.load(ctrl, CTRL.NARGS);
  try {
    switch (n) {
      // spelled out so the call does not allocate an array per job
      case 4: fn!(args[0]!, args[1]!, args[2]!, args[3]!, ith, nth); break;
      case 5: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, ith, nth); break;
      case 6: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, ith, nth); break;
      case 7: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, ith, nth); break;
      case 8: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, ith, nth); break;
      case 9: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, ith, nth); break;
      case 10: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, args[9]!, ith, nth); break;
      case 11: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, args[9]!, args[10]!, ith, nth); break;
      case 13: fn!(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, args[9]!, args[10]!, args[11]!, args[12]!, ith, nth); break;
      default: fn!(...Array.from(args.subarray(0, n)), ith, nth);
    }
  } catch {
    Atomics.store(ctrl, CTRL.ERROR, 1);
  }
  Atomics.add(ctrl, CTRL.DONE, 1);
  Atomics.notify(ctrl, CTRL.DONE);
}
