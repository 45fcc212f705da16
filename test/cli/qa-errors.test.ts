// QA regressions: every CLI failure is one `glassbox: error [CODE]: ...` line, whatever the input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorLine } from "../../src/cli/main.js";
import { GlassboxError } from "../../src/errors.js";
import { repoRoot } from "../helpers/vectors.js";
import { runCli } from "../helpers/cli.js";

const enc = new TextEncoder();

/** A GGUF v3 header with no tensors and the given u32 KVs (keys as raw strings, duplicates allowed). */
function ggufWithU32Keys(keys: string[]): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u64 = (v: number) => { u32(v); u32(0); };
  parts.push(...enc.encode("GGUF"));
  u32(3); u64(0); u64(keys.length);
  for (const k of keys) {
    const b = enc.encode(k);
    u64(b.length); parts.push(...b);
    u32(4); u32(1); // type UINT32, value 1
  }
  return Uint8Array.from(parts);
}

/** Asserts a failed run printed exactly one error line with `code` and nothing on stdout. */
function assertOneLine(r: { status: number | null; stdout: string; stderr: string }, code: string, status?: number): void {
  if (status === undefined) assert.notEqual(r.status, 0);
  else assert.equal(r.status, status, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^glassbox: error \\[${code}\\]: `));
}

test("bad command lines give one USAGE line and exit code 2", () => {
  const cases: string[][] = [
    ["inspec", "x.gguf"],
    ["inspect"],
    ["inspect", "a", "b"],
    ["inspect", "--bogus", "x.gguf"],
    ["--bogus"],
    ["quantize", "a", "b", "--type"],
    ["quantize", "a", "b"],
    ["tokenize"],
    ["tokenizer", "trian"],
    ["tokenizer", "train", "x.txt", "--vocab-size", "abc", "--out", "y.gguf"],
  ];
  for (const args of cases) {
    const r = runCli(args);
    assertOneLine(r, "USAGE", 2);
  }
  // The suggestion stays on the same line.
  assert.match(runCli(["inspec", "x"]).stderr, /unknown command 'inspec'.*Did you mean inspect\?/);
  // Help and version still print normally and exit 0.
  assert.equal(runCli(["--version"]).status, 0);
  assert.equal(runCli(["inspect", "--help"]).status, 0);
});

test("text from a file cannot add lines or escape sequences to an error line", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const p = join(dir, "dup.gguf");
  const key = "evil\nglassbox: all good\x1b[31m\u202e";
  writeFileSync(p, ggufWithU32Keys([key, key]));
  const r = runCli(["inspect", p]);
  assertOneLine(r, "GGUF_DUPLICATE_KEY", 1);
  assert.ok(!r.stderr.includes("\x1b") && !r.stderr.includes("\u202e"), r.stderr);
  assert.match(r.stderr, /evil\\nglassbox: all good\\x1B\[31m\\u202E/);
});

test("errorLine: errno codes are not repeated, code-less errors are INTERNAL", () => {
  const errno = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: "ENOENT" });
  assert.equal(errorLine(errno), "glassbox: error [ENOENT]: no such file or directory, open 'x'");
  assert.equal(errorLine(new RangeError("Maximum call stack size exceeded")), "glassbox: error [INTERNAL]: Maximum call stack size exceeded");
  assert.equal(errorLine(new GlassboxError("GGUF_TRUNCATED", "a\r\nb", { offset: 3 })), "glassbox: error [GGUF_TRUNCATED]: a\\r\\nb (at byte 3)");
  assert.equal(errorLine("plain"), "glassbox: error [INTERNAL]: plain");
});

test("--version prints package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  const r = runCli(["--version"]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});
