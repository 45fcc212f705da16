// Regressions of how `glassbox run` reads its prompt:
// - a --file or standard input that is not UTF-8 silently became U+FFFD (other tokens than
//   llama.cpp, which sees the bytes); now TEXT_NOT_UTF8 naming the first bad byte, as tokenize does.
// - a --file that is a directory said only "illegal operation on a directory, read".
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { cliPath, runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");
const BAD = Uint8Array.from([0x61, 0x62, 0xff, 0xfe, 0x63]); // "ab", two invalid bytes, "c"

test("a prompt that is not UTF-8 is a one-line TEXT_NOT_UTF8 error, from --file or stdin", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-run-"));
  const p = join(dir, "bad.txt");
  writeFileSync(p, BAD);
  const viaFile = runCli(["run", EXAMPLE, "--file", p, "-n", "1"]);
  const viaStdin = spawnSync(process.execPath, [cliPath, "run", EXAMPLE, "-n", "1"], { input: BAD, encoding: "utf8", timeout: 60_000 });
  for (const [r, what] of [[viaFile, `'${p}'`], [viaStdin, "standard input"]] as const) {
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `glassbox: error [TEXT_NOT_UTF8]: ${what} is not UTF-8 text: byte 0xFF starts no valid UTF-8 sequence (convert it to UTF-8 first) (at byte 2)\n`);
  }
});

test("NUL is text: a prompt holding one runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-run-"));
  const p = join(dir, "nul.txt");
  writeFileSync(p, Uint8Array.from([0x61, 0x00, 0x62]));
  const r = runCli(["run", EXAMPLE, "--file", p, "-n", "1", "--json", "-t", "1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { usage: { prompt_tokens: number } }).usage.prompt_tokens, 3);
});

test("--file errors name the file: missing, a directory", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-run-"));
  const missing = runCli(["run", EXAMPLE, "--file", join(dir, "nope.txt")]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^glassbox: error \[FILE_NOT_FOUND\]: cannot read '.*nope\.txt': /);
  const isDir = runCli(["run", EXAMPLE, "--file", dir]);
  assert.equal(isDir.status, 1);
  assert.equal(isDir.stderr, `glassbox: error [FILE_IO]: cannot read '${dir}': it is a directory, not a file\n`);
});

test("a prompt argument and --file together are a USAGE error (the argument was silently ignored)", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-run-"));
  const p = join(dir, "p.txt");
  writeFileSync(p, "from the file");
  const r = runCli(["run", EXAMPLE, "from the argument", "--file", p, "-n", "1"]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "glassbox: error [USAGE]: give the prompt as an argument or with --file, not both (see --help)\n");
});

test("with no prompt and a terminal on stdin, run says it is waiting for the prompt (it seemed to hang)", () => {
  // A preload makes isatty(0) say "terminal"; the prompt itself still comes through the pipe.
  const preload = 'import tty from "node:tty"; import { syncBuiltinESMExports } from "node:module"; const real = tty.isatty; tty.isatty = (fd) => fd === 0 || real(fd); syncBuiltinESMExports();';
  const asTerminal = ["--import", `data:text/javascript,${encodeURIComponent(preload)}`];
  const r = spawnSync(process.execPath, [...asTerminal, cliPath, "run", EXAMPLE, "-n", "1", "--json", "-t", "1"], { input: "Hello", encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^glassbox run: reading the prompt from the terminal; end it with Ctrl-D on an empty line/);
  const piped = runCli(["run", EXAMPLE, "-n", "1", "-t", "1", "--json"], { input: "Hello" });
  assert.equal(piped.status, 0, piped.stderr);
  const tokens = (out: string) => (JSON.parse(out) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
  assert.equal(tokens(r.stdout), tokens(piped.stdout), "the same prompt was read");
  assert.doesNotMatch(piped.stderr, /reading the prompt/, "no hint when the prompt is piped in");
});
