// Regressions found by QA: `--gpu` with the (default) wasm backend was silently ignored; a
// --ctx-size too large for WebAssembly memory failed with a bare "cannot grow WebAssembly memory
// to N bytes" that did not say which flag to change; and in chat, `/set temperature` alone
// answered "(temperature = default)" without saying what the default is.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { ChatSession, openBackend } from "../../src/backends/index.js";
import { runChatCommand } from "../../src/cli/chat-commands.js";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

test("--gpu on the wasm backend warns that it is ignored, and the run still works", () => {
  const r = runCli(["run", EXAMPLE, "hi", "-n", "1", "-t", "1", "--gpu"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^glassbox: warning: --gpu applies to --backend llamacpp only/m);
  const plain = runCli(["run", EXAMPLE, "hi", "-n", "1", "-t", "1"]);
  assert.doesNotMatch(plain.stderr, /--gpu/);
});

test("a context too large for WebAssembly memory is one KERNEL_OUT_OF_MEMORY line naming --ctx-size", () => {
  for (const cmd of [["run", EXAMPLE, "hi"], ["chat", EXAMPLE]]) {
    const r = runCli([...cmd, "-t", "1", "-c", "100000000"], { input: "hi\n" });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("glassbox: error"));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /^glassbox: error \[KERNEL_OUT_OF_MEMORY\]: .*a context of 100000000 tokens \(--ctx-size\).*smaller --ctx-size/);
  }
});

test("/set <name> alone says the default value it went back to", async () => {
  const backend = await openBackend(EXAMPLE, { threads: 1 });
  try {
    const session = new ChatSession(backend, { options: { top_k: 7 } });
    assert.deepEqual(runChatCommand(session, "/set temperature 0.3"), { kind: "message", text: "(temperature = 0.3)" });
    assert.deepEqual(runChatCommand(session, "/set temperature"), { kind: "message", text: "(temperature = 0.8, the default)" });
    assert.deepEqual(runChatCommand(session, "/set seed"), { kind: "message", text: "(seed = none, the default)" });
    // a value given at start-up is what /set <name> restores
    runChatCommand(session, "/set top-k 3");
    assert.deepEqual(runChatCommand(session, "/set top-k"), { kind: "message", text: "(top_k = 7)" });
  } finally {
    await backend.close();
  }
});
