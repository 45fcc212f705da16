// QA regressions: long inputs give long outputs, not "Maximum call stack size exceeded".
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { printTable } from "../../src/cli/format.js";
import { repoRoot } from "../helpers/vectors.js";
import { cliPath } from "../helpers/cli.js";

test("tokenize prints a table for a text of 300 000 tokens", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const p = join(dir, "long.txt");
  writeFileSync(p, "x ".repeat(150_000)); // 300 000 tokens ("x" and " ") with the example vocabulary
  // runCli's 1 MB output buffer is too small for this table.
  const r = spawnSync(process.execPath, [cliPath, "tokenize", join(repoRoot, "models", "example.gguf"), "--file", p], {
    encoding: "utf8", maxBuffer: 64 << 20, timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const last = r.stdout.trimEnd().split("\n").at(-1)!;
  const n = Number(/^(\d+) tokens$/.exec(last)?.[1]);
  console.log(`tokens printed: ${n}`);
  assert.equal(n, 300_000, last);
});

test("printTable handles 300 000 rows", () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => [`t${i}`, "f32"]);
  let lines = 0;
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => { lines += chunk.split("\n").length - 1; return true; }) as typeof process.stdout.write;
  try {
    printTable(["name", "type"], rows);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(lines, 300_001);
});
