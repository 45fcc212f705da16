// Regression: `run -t 1000` started 999 wasm workers (~8 MB and ~0.1 s each) and seemed to hang
// for minutes; on llamacpp it hung too. A thread count beyond 4 per core is now a one-line
// INVALID_OPTION error, before the model is loaded, on both backends.
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");
const MAX = Math.max(8, 4 * availableParallelism());

for (const backend of ["wasm", "llamacpp"] as const) {
  test(`-t 1000 and -t 0 are one-line INVALID_OPTION errors, fast (${backend})`, () => {
    for (const t of ["1000", "0", String(MAX + 1)]) {
      const t0 = Date.now();
      const r = runCli(["run", EXAMPLE, "hi", "-n", "2", "-t", t, "--backend", backend], { timeoutMs: 20_000 });
      const ms = Date.now() - t0;
      assert.equal(r.status, 1, `-t ${t}: status ${r.status}, stderr ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `glassbox: error [INVALID_OPTION]: threads must be an integer in [1, ${MAX}] (at most 4 per core, ${availableParallelism()} cores here), got ${t}\n`);
      assert.ok(ms < 10_000, `-t ${t} took ${ms} ms`);
    }
  });
}

test("-t at the limit still runs", () => {
  const r = runCli(["run", EXAMPLE, "hi", "-n", "2", "-t", "8", "--temperature", "0"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /backend: wasm, 8 threads/);
});
