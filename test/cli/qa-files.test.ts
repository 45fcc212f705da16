// QA regressions: a missing file, a directory or an unreadable path gives the same codes in every command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isGlassboxError } from "../../src/errors.js";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { SafetensorsFile } from "../../src/formats/safetensors/index.js";
import { runCli } from "../helpers/cli.js";

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
