// Regression: in `glassbox chat`, a first message longer than the whole context was answered
// with "type /reset to start over", which cannot help (there is nothing to forget). A
// conversation that outgrows the context now drops its oldest exchanges by itself (with a note),
// so a message that still does not fit is too long alone, with or without history (and then the
// history is kept: test/backends/chat.test.ts).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

test("too long alone: shorten it, with or without history; the chat goes on after both and exits 1", () => {
  const long = "whale ".repeat(60); // well over the 64-token context below
  const r = runCli(["chat", EXAMPLE, "-c", "64", "--temp", "0", "-n", "4", "-t", "1"], { input: `${long}\nhi\n${long}\nhi\n` });
  assert.equal(r.status, 1, "piped input: some messages got no answer, so the exit status says so");
  assert.equal(r.stdout.trim().split("\n").length, 2, "both 'hi' were answered, and no empty line for the failed ones");
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("glassbox: error"));
  assert.equal(errors.length, 2, r.stderr);
  for (const e of errors) assert.match(e, /^glassbox: error \[PROMPT_TOO_LONG\]: .* \(the message is too long even without the earlier conversation: shorten it, or start the chat with a larger --ctx-size\)$/);
  assert.doesNotMatch(r.stderr, /dropped/, "a message that fails drops nothing");
});
