// Regressions of `glassbox chat` in terminal mode, driven in-process through chatLoop with a
// PassThrough standing in for the terminal (readline in terminal mode reads the same key bytes):
// - Ctrl-D while an answer was being written: the answer ended, then the "> " prompt resumed
//   the closed input and the process hung forever instead of leaving.
// - a real SIGINT (kill -INT) while answering killed the chat; it must stop only the answer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ChatSession, openBackend, type Backend } from "../../src/backends/index.js";
import { chatLoop } from "../../src/cli/chat.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

let be: Backend;
before(async () => {
  be = await openBackend(EXAMPLE, { backend: "wasm", threads: 1, nCtx: 4096 });
});
after(async () => {
  await be?.close();
});

/** A fake terminal: `keys` is what the user types, `text()` what was written to the screen. */
function terminal() {
  const keys = new PassThrough();
  let screen = "";
  const sink = () => new Writable({ write(chunk, _enc, cb) { screen += String(chunk); cb(); } });
  return { keys, io: { input: keys, output: sink(), errors: sink(), tty: true }, text: () => screen };
}

/** Waits until `cond()` holds (polling), failing after `ms`. */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves to true when `p` settles within `ms`, false otherwise. */
async function settles(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((res) => {
    timer = setTimeout(() => res(false), ms);
  });
  const r = await Promise.race([p.then(() => true), late]);
  clearTimeout(timer);
  return r;
}

test("Ctrl-D while an answer is written: the answer finishes, then the chat ends and stops reading", async () => {
  const session = new ChatSession(be, { options: { temperature: 0, ignore_eos: true, max_tokens: 400 } });
  const t = terminal();
  const loop = chatLoop(session, be, false, t.io);
  t.keys.write("Tell me a story\r");
  const start = t.text().length;
  await until(() => t.text().length > start + 40, "the answer to start");
  t.keys.write("\x04"); // Ctrl-D
  assert.ok(await settles(loop, 30_000), "chatLoop did not return after Ctrl-D");
  assert.equal(session.messages.length, 2, "the answer was kept");
  assert.ok(!t.text().endsWith("> "), "no prompt after leaving");
  assert.equal(t.keys.isPaused(), true, "the input must not be left flowing (it keeps the process alive)");
});

test("a SIGINT signal during an answer stops the answer only; Ctrl-C at the empty prompt leaves", async () => {
  const session = new ChatSession(be, { options: { temperature: 0, ignore_eos: true, max_tokens: 3000 } });
  const t = terminal();
  const loop = chatLoop(session, be, false, t.io);
  t.keys.write("Tell me a story\r");
  const start = t.text().length;
  await until(() => t.text().length > start + 40, "the answer to start");
  process.emit("SIGINT", "SIGINT");
  await until(() => t.text().includes(" [stopped]\n"), "the answer to stop");
  assert.equal(await settles(loop, 200), false, "the chat goes on");
  t.keys.write("\x03"); // Ctrl-C at the empty prompt
  assert.ok(await settles(loop, 10_000), "chatLoop did not return after Ctrl-C at the prompt");
  assert.equal(session.messages.length, 2);
  assert.equal(process.listenerCount("SIGINT"), 0, "the SIGINT handler is removed");
});
