// Regression: `chat` and `run --chat` on a model without a chat template silently wrapped the
// messages in the built-in chatml template; they now say so (one note on standard error), and
// stay quiet when the model has a template or one is chosen with --chat-template.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { repoRoot, vectorPath } from "../helpers/vectors.js";

const NO_TEMPLATE = vectorPath("llamacpp", "gpt2-f32.gguf");
const WITH_TEMPLATE = join(repoRoot, "models", "example.gguf");
const NOTE = "glassbox: note: the model has no chat template; using the built-in 'chatml' (choose another with --chat-template)";
const FLAGS = ["--temp", "0", "-n", "2", "-t", "1"];

test("a model without a chat template: run --chat and chat print the note once", () => {
  const run = runCli(["run", NO_TEMPLATE, "hi", "--chat", ...FLAGS]);
  const chat = runCli(["chat", NO_TEMPLATE, ...FLAGS], { input: "hi\nagain\n" });
  for (const r of [run, chat]) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.split("\n").filter((l) => l === NOTE).length, 1, r.stderr);
  }
});

test("no note with the model's own template, a chosen one, or without --chat", () => {
  const cases = [
    runCli(["run", WITH_TEMPLATE, "hi", "--chat", ...FLAGS]),
    runCli(["run", NO_TEMPLATE, "hi", "--chat-template", "chatml", ...FLAGS]),
    runCli(["run", NO_TEMPLATE, "hi", ...FLAGS]),
    runCli(["chat", WITH_TEMPLATE, ...FLAGS], { input: "hi\n" }),
    runCli(["chat", NO_TEMPLATE, "--chat-template", "zephyr", ...FLAGS], { input: "hi\n" }),
  ];
  for (const r of cases) {
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /note:/);
  }
});
