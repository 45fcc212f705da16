// Regression: `glassbox run model "..." | head -c 10` went on generating to the end after the
// reader had gone (the EPIPE that ends the program was only seen once generation finished),
// which on a real model means minutes of wasted work. It must stop soon after the pipe closes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { cliPath } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

for (const mode of [[], ["--probs", "2"]]) {
  test(`run stops when its standard output is closed ${mode.join(" ")}`, async () => {
    // 4000 tokens: seconds of work on the example model; the figures line is printed only if it finishes.
    const child = spawn(process.execPath, [cliPath, "run", EXAMPLE, "hi", "-c", "4096", "-n", "4000", "--ignore-eos", "-t", "1", ...mode], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += String(d)));
    child.stdout.once("data", () => child.stdout.destroy());
    const status = await new Promise<number | null>((res) => child.on("close", (code) => res(code)));
    assert.equal(status, 0, stderr);
    assert.doesNotMatch(stderr, /generated: 4000 tokens/, "it generated everything after the pipe was closed");
  });
}
