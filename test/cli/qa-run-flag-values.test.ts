// Regression: an integer flag too large for a double to hold exactly (-n 99999999999999999999)
// was reported as "max_tokens must be an integer (got 100000000000000000000)", which it is.
// Bad numeric flag values are one-line USAGE errors that say what is wrong; like tokenizer train's
// flags they are plain decimals (Number() also took "0x10" as 16 and " 0" as 0).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

test("integer flags: too large, fractional, not a number", () => {
  const cases: Array<[string[], RegExp]> = [
    [["-n", "99999999999999999999"], /^glassbox: error \[USAGE\]: option '-n, --max-tokens <n>' argument '99999999999999999999' is invalid\. too large/],
    [["--seed", "-99999999999999999999"], /^glassbox: error \[USAGE\]: option '--seed <n>' argument '-99999999999999999999' is invalid\. too large/],
    [["--top-k", "2.5"], /^glassbox: error \[USAGE\]: option '--top-k <k>' argument '2.5' is invalid\. not an integer/],
    [["-n", "NaN"], /^glassbox: error \[USAGE\]: option '-n, --max-tokens <n>' argument 'NaN' is invalid\. not a number/],
    [["-n", "0x10"], /^glassbox: error \[USAGE\]: option '-n, --max-tokens <n>' argument '0x10' is invalid\. not a number/],
    [["-n", "1e3"], /^glassbox: error \[USAGE\]: option '-n, --max-tokens <n>' argument '1e3' is invalid\. not an integer/],
    [["--temperature", " 0"], /^glassbox: error \[USAGE\]: option '--temperature <t>' argument ' 0' is invalid\. not a number/],
    [["--top-p", "Infinity"], /^glassbox: error \[USAGE\]: option '--top-p <p>' argument 'Infinity' is invalid\. not a number/],
  ];
  for (const [flags, pattern] of cases) {
    const r = runCli(["run", EXAMPLE, "hi", ...flags]);
    assert.equal(r.status, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.split("\n").length, 2, r.stderr); // one line and its newline
    assert.match(r.stderr, pattern);
  }
});

test("the largest exact integer is still accepted (--seed 9007199254740991)", () => {
  const r = runCli(["run", EXAMPLE, "hi", "-n", "2", "--seed", "9007199254740991", "-t", "1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /seed: 9007199254740991$/m);
});

test("decimal forms still accepted: .5, 1e-3, +3, -1", () => {
  const r = runCli(["run", EXAMPLE, "hi", "-n", "+2", "--temperature", ".5", "--min-p", "1e-3", "--repeat-last-n", "-1", "-t", "1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /generated: 2 tokens/);
});
