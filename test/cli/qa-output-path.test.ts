// QA regressions: outputs never replace a directory, a device or the training text, and fail before the work.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isGlassboxError } from "../../src/errors.js";
import { checkOutputPath } from "../../src/util/output-path.js";
import { vectorPath } from "../helpers/vectors.js";
import { runCli } from "../helpers/cli.js";

test("checkOutputPath: empty, directory and device are FILE_IO; a new or regular file passes", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const bad = (p: string, re: RegExp) => assert.throws(() => checkOutputPath(p), (e) => isGlassboxError(e, "FILE_IO") && re.test(e.message), p);
  bad("", /empty/);
  bad(dir, /is a directory/);
  bad("/dev/null", /not a regular file/); // checked, never written: root could replace the device
  checkOutputPath(join(dir, "new.gguf"));
  assert.throws(() => checkOutputPath(join(dir, "no-such-folder", "new.gguf")),
    (e) => isGlassboxError(e, "FILE_NOT_FOUND") && /the folder .*no-such-folder does not exist/.test(e.message));
  writeFileSync(join(dir, "old.gguf"), "x");
  checkOutputPath(join(dir, "old.gguf"));
  assert.throws(() => checkOutputPath(join(dir, "old.gguf"), [join(dir, "old.gguf")]), (e) => isGlassboxError(e, "OUTPUT_IS_INPUT"));
});

test("quantize onto a directory fails up front and leaves the directory as it was", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const target = join(dir, "out.gguf");
  mkdirSync(target);
  writeFileSync(join(target, "keep.txt"), "keep");
  const r = runCli(["quantize", vectorPath("llamacpp", "llama-gqa-f32.gguf"), target, "--type", "q8_0"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^glassbox: error \[FILE_IO\]: cannot write .*out\.gguf: it is a directory/);
  assert.deepEqual(readdirSync(dir), ["out.gguf"], "no temporary file left");
  assert.deepEqual(readdirSync(target), ["keep.txt"]);
  const empty = runCli(["quantize", vectorPath("llamacpp", "llama-gqa-f32.gguf"), "", "--type", "q8_0"]);
  assert.match(empty.stderr, /^glassbox: error \[FILE_IO\]: the output path is empty/);
});

test("tokenizer train refuses to write over its own training text, also through a symlink", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const text = join(dir, "corpus.txt");
  const content = "the cat sat on the mat\nthe dog sat on the log\n".repeat(50);
  writeFileSync(text, content);
  symlinkSync(text, join(dir, "link.gguf"));
  for (const out of [text, join(dir, "link.gguf")]) {
    const r = runCli(["tokenizer", "train", text, "--vocab-size", "300", "--out", out]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^glassbox: error \[OUTPUT_IS_INPUT\]: /);
    assert.equal(readFileSync(text, "utf8"), content, "the training text is untouched");
  }
});
