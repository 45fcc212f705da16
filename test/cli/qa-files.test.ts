// QA regressions: a missing file, a directory or an unreadable path gives the same codes in every command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isGlassboxError } from "../../src/errors.js";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { SafetensorsFile } from "../../src/formats/safetensors/index.js";
import { repoRoot } from "../helpers/vectors.js";
import { cliPath, runCli } from "../helpers/cli.js";

function oneLine(args: string[], code: string, text: RegExp): void {
  const r = runCli(args);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^glassbox: error \\[${code}\\]: `), args.join(" "));
  assert.match(r.stderr, text, args.join(" "));
}

test("a directory given as a model file is FILE_IO 'it is a directory' everywhere", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  oneLine(["inspect", dir], "FILE_IO", /is a directory/);
  oneLine(["tokenize", dir, "hi"], "FILE_IO", /is a directory/);
  oneLine(["quantize", dir, join(dir, "o.gguf"), "--type", "q8_0"], "FILE_IO", /is a directory/);
  for (const open of [() => GgufFile.open(dir), () => SafetensorsFile.open(dir)]) {
    assert.throws(open, (e) => isGlassboxError(e, "FILE_IO") && /is a directory/.test(e.message));
  }
});

test("a missing model file is FILE_NOT_FOUND in inspect as in the other commands", () => {
  const missing = join(mkdtempSync(join(tmpdir(), "gb-qa-")), "missing.gguf");
  oneLine(["inspect", missing], "FILE_NOT_FOUND", /missing\.gguf/);
  oneLine(["tokenize", missing, "hi"], "FILE_NOT_FOUND", /missing\.gguf/);
});

test("a model read from a pipe or device is FILE_IO 'not a regular file', not GGUF_TRUNCATED; text from a pipe works", () => {
  const model = join(repoRoot, "models", "example.gguf");
  const sh = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8", timeout: 60_000 });
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const node = `${q(process.execPath)} ${q(cliPath)}`;
  for (const r of [
    sh(`cat ${q(model)} | ${node} inspect /dev/stdin`), // a real pipe (its size reads as 0)
    sh(`cat ${q(model)} | ${node} tokenize /dev/stdin hi`),
    runCli(["inspect", "/dev/zero"]),
  ]) {
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^glassbox: error \[FILE_IO\]: cannot open \/dev\/(stdin|zero): it is not a regular file/);
  }
  const text = sh(`echo hello | ${node} tokenize ${q(model)} --file /dev/stdin --count`);
  assert.equal(text.status, 0, text.stderr);
  assert.ok(Number(text.stdout) > 0);
});
