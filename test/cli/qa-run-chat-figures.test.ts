// Regression: `chat --verbose` reported each later turn's prompt speed over the whole
// conversation, though the KV cache made it evaluate only the new tokens (e.g. "prompt: 44
// tokens, 18022.5 tokens/s"). The rate now counts the evaluated tokens (timings.prompt_n, as
// llama.cpp's server), and the line says how many were reused.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { openBackend } from "../../src/backends/index.js";
import { ChatSession } from "../../src/backends/index.js";
import type { DoneEvent } from "../../src/generate/index.js";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

test("ChatSession: a later turn's timings.prompt_n counts only the tokens evaluated", async () => {
  const be = await openBackend(EXAMPLE, { backend: "wasm", threads: 1 });
  try {
    const chat = new ChatSession(be, { options: { temperature: 0, max_tokens: 4, ignore_eos: true } });
    const done: DoneEvent[] = [];
    for (const msg of ["Call me Ishmael.", "Some years ago."]) {
      for await (const ev of chat.send(msg)) if (ev.type === "done") done.push(ev);
    }
    const [a, b] = done as [DoneEvent, DoneEvent];
    assert.equal(a.timings.prompt_n, a.usage.prompt_tokens, "first turn: everything evaluated");
    assert.ok(b.timings.prompt_n < b.usage.prompt_tokens - a.usage.prompt_tokens, `second turn evaluated ${b.timings.prompt_n} of ${b.usage.prompt_tokens}`);
    assert.ok(b.timings.prompt_n >= 1);
    assert.ok(Math.abs(b.timings.prompt_per_second - (b.timings.prompt_n * 1000) / b.timings.prompt_ms) < 1e-6);
  } finally {
    await be.close();
  }
});

test("chat --verbose: the second figures line says how many prompt tokens were reused", () => {
  const r = runCli(["chat", EXAMPLE, "--temp", "0", "-n", "4", "--ignore-eos", "-t", "1", "--verbose"], { input: "Call me Ishmael.\nSome years ago.\n" });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("prompt: "));
  assert.equal(lines.length, 2, r.stderr);
  assert.doesNotMatch(lines[0]!, /reused/);
  const m = /^prompt: (\d+) tokens, .* \| prompt tokens reused from the cache: (\d+)$/.exec(lines[1]!);
  assert.ok(m, lines[1]);
  assert.ok(Number(m[2]) > 0 && Number(m[2]) < Number(m[1]), lines[1]);
});
