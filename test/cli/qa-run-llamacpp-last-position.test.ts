// Regression: on the llamacpp backend the last position of the context (n_ctx - 1) gave wrong
// logits, because node-llama-cpp keeps a sequence's last cell free and silently erased the
// oldest tokens ("context shift") before evaluating into it. The logits at every position,
// the last included, must match the wasm backend's.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

interface Tok { id: number; logprob: number; top: Array<{ id: number; logprob: number }> }

function run(backend: string, ctx: number): Tok[] {
  const r = runCli(["run", EXAMPLE, "Hello world", "-c", String(ctx), "--temperature", "0", "--json", "--probs", "3", "--backend", backend, "-t", "1"]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { tokens: Tok[] }).tokens;
}

// "Hello world" is 6 tokens: -c 6 fills the context with the prompt, -c 9 ends 3 tokens later.
for (const ctx of [6, 9]) {
  test(`llamacpp matches wasm up to the last context position (-c ${ctx})`, () => {
    const w = run("wasm", ctx);
    const l = run("llamacpp", ctx);
    assert.equal(w.length, ctx - 6 + 1);
    assert.deepEqual(l.map((t) => t.id), w.map((t) => t.id));
    let maxDiff = 0;
    for (let i = 0; i < w.length; i++) {
      for (let k = 0; k < 3; k++) {
        assert.equal(l[i]!.top[k]!.id, w[i]!.top[k]!.id, `token ${i} alternative ${k}`);
        maxDiff = Math.max(maxDiff, Math.abs(l[i]!.top[k]!.logprob - w[i]!.top[k]!.logprob));
      }
    }
    console.log(`-c ${ctx}: max |logprob llamacpp - wasm| over the top 3 = ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff < 1e-3, `max logprob difference ${maxDiff}`);
  });
}
