// Worker pool lifecycle: an idle pool never keeps the process alive, close() stops it, and a
// closed pool refuses work with a clear error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { isGlassboxError } from "../../src/errors.js";
import { loadWasmKernels } from "../../src/kernels/index.js";

const kernelsIndex = fileURLToPath(new URL("../../src/kernels/index.js", import.meta.url));

test("an idle pool does not keep the process alive", () => {
  const script = `
    const { loadWasmKernels } = await import(${JSON.stringify("file://" + kernelsIndex)});
    const k = await loadWasmKernels({ threads: 2 });
    const x = k.alloc(1 << 16), y = k.alloc(1 << 16);
    x.fill(1.5);
    k.add(y, x, x, 1 << 16);
    console.log(k.threads, y[12345]);
    // no close(): the process must still exit on its own
  `;
  const t0 = Date.now();
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 20000, encoding: "utf8" });
  const ms = Date.now() - t0;
  console.log(`child printed "${out.trim()}" and exited after ${ms} ms`);
  assert.equal(out.trim(), "2 3");
});

test("close() stops the workers; later calls throw KERNEL_POOL_CLOSED", async () => {
  const k = await loadWasmKernels({ threads: 2 });
  assert.equal(k.threads, 2);
  const a = k.alloc(1 << 16);
  k.scale(a, a, 2, 1 << 16);
  await k.close();
  await k.close(); // idempotent
  assert.throws(() => k.scale(a, a, 2, 1 << 16), (e: unknown) => isGlassboxError(e, "KERNEL_POOL_CLOSED"));
});

test("thread count defaults to os.availableParallelism() and is validated", async () => {
  const k = await loadWasmKernels();
  assert.equal(k.threads, availableParallelism());
  await k.close();
  await assert.rejects(loadWasmKernels({ threads: 0 }), (e: unknown) => isGlassboxError(e, "KERNEL_BAD_THREADS"));
});

test("plain SIMD build can be forced; memory grows for large buffers and workers see the growth", async () => {
  const k = await loadWasmKernels({ threads: 2, relaxed: false });
  assert.equal(k.name, "wasm");
  const before = k.memory.buffer.byteLength;
  const big = k.alloc(8 << 20); // 32 MiB
  big[big.length - 1] = 7;
  k.scale(big, big, 2, big.length);
  assert.equal(big[big.length - 1], 14);
  assert.equal(big[0], 0);
  assert.ok(k.memory.buffer.byteLength > before);
  await k.close();
});

test("a kernel that traps on every thread reports an error and leaves the pool usable", async () => {
  const k = await loadWasmKernels({ threads: 2 });
  const pool = (k as unknown as { pool: import("../../src/kernels/pool.js").KernelPool }).pool;
  // binary(add) on an address past the end of memory traps in every thread
  const far = 0xfff00000;
  assert.throws(() => pool.run(12, [0, far, far, far, 1 << 20]), (e: unknown) => isGlassboxError(e, "KERNEL_FAILED") || isGlassboxError(e, "KERNEL_WORKER_FAILED"));
  const a = k.alloc(1 << 16).fill(1);
  k.add(a, a, a, 1 << 16);
  assert.equal(a[100], 2);
  await k.close();
});

test("alloc() returns zeroed memory even where scratch space was used before", async () => {
  const k = await loadWasmKernels({ threads: 1 });
  const x = new Float32Array(4096).fill(3); // outside wasm memory: copied into scratch and released
  const y = new Float32Array(4096);
  k.scale(y, x, 2, 4096);
  assert.equal(y[4095], 6);
  const z = k.alloc(8192);
  assert.ok(z.every((v) => v === 0));
  await k.close();
});
