// QA regressions: text that is not UTF-8 is an error (never silently U+FFFD), and tokenize's flags do not contradict.
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isGlassboxError } from "../../src/errors.js";
import { decodeUtf8Text } from "../../src/tokenizer/text-input.js";
import { repoRoot } from "../helpers/vectors.js";
import { cliPath, runCli } from "../helpers/cli.js";

const MODEL = join(repoRoot, "models", "example.gguf");
const BAD = Uint8Array.from([0x61, 0x00, 0x62, 0xff, 0xfe, 0x63]); // "a\0b", two invalid bytes, "c"

test("decodeUtf8Text names the first byte that is not UTF-8", () => {
  const at = (b: number[]) => {
    try {
      decodeUtf8Text(Uint8Array.from(b), "x");
    } catch (e) {
      assert.ok(isGlassboxError(e, "TEXT_NOT_UTF8"));
      return e.offset;
    }
    return -1;
  };
  assert.equal(at([...BAD]), 3);
  assert.equal(at([0x41, 0xed, 0xa0, 0x80]), 1, "an encoded surrogate");
  assert.equal(at([0x41, 0x42, 0xe2, 0x82]), 2, "a sequence cut at the end");
  assert.equal(at([0xc0, 0x80]), 0, "an overlong NUL");
  assert.equal(decodeUtf8Text(Uint8Array.from([0xef, 0xbb, 0xbf, 0x68, 0x00]), "x"), "\ufeffh\0", "BOM and NUL are text");
});

test("tokenize refuses text that is not UTF-8, from a file or standard input", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const p = join(dir, "bad.txt");
  writeFileSync(p, BAD);
  // runCli takes the input as a string (sent as UTF-8), so the raw bytes go through spawnSync.
  const stdin = spawnSync(process.execPath, [cliPath, "tokenize", MODEL], { input: BAD, encoding: "utf8", timeout: 60_000 });
  for (const r of [runCli(["tokenize", MODEL, "--file", p]), stdin]) {
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^glassbox: error \[TEXT_NOT_UTF8\]: .* \(at byte 3\)\n$/);
  }
  // NUL bytes are valid UTF-8 and are tokenized.
  writeFileSync(p, "a\0b");
  const ok = runCli(["tokenize", MODEL, "--file", p, "--json"]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).tokens.flatMap((t: { bytes: number[] }) => t.bytes), [0x61, 0, 0x62]);
});

test("tokenize: a text argument and --file together is a usage error; --count --json prints JSON", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const p = join(dir, "t.txt");
  writeFileSync(p, "from the file");
  const both = runCli(["tokenize", MODEL, "from the argument", "--file", p]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /^glassbox: error \[USAGE\]: .*not both/);
  const count = runCli(["tokenize", MODEL, "hello world", "--count", "--json"]);
  assert.equal(count.status, 0, count.stderr);
  const plain = runCli(["tokenize", MODEL, "hello world", "--count"]);
  assert.deepEqual(JSON.parse(count.stdout), { count: Number(plain.stdout) });
});

test("tokenizer train refuses a binary file and writes nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const bin = join(dir, "model.bin");
  writeFileSync(bin, Uint8Array.from({ length: 4096 }, (_, i) => (i * 151) & 0xff));
  const out = join(dir, "tok.gguf");
  const r = runCli(["tokenizer", "train", bin, "--vocab-size", "300", "--out", out]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^glassbox: error \[TEXT_NOT_UTF8\]: '.*model\.bin' is not UTF-8 text/);
  assert.equal(existsSync(out), false);
});
