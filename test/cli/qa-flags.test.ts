// QA regression: numeric flags of tokenizer train take plain decimals only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";

test("--vocab-size, --min-frequency and --holdout reject hex, exponents, blanks and out-of-range values", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const text = join(dir, "t.txt");
  writeFileSync(text, "some words here\n".repeat(20));
  const out = join(dir, "o.gguf");
  const bad: string[][] = [
    ["--vocab-size", "0x200"], ["--vocab-size", "1e3"], ["--vocab-size", " "], ["--vocab-size", "0"], ["--vocab-size", "-5"],
    ["--vocab-size", "12.5"], ["--vocab-size", "99999999999999999999"],
    ["--vocab-size", "300", "--min-frequency", "0x2"], ["--vocab-size", "300", "--holdout", " "],
    ["--vocab-size", "300", "--holdout", "0x0"], ["--vocab-size", "300", "--holdout", "1"],
  ];
  for (const flags of bad) {
    const r = runCli(["tokenizer", "train", text, "--out", out, ...flags]);
    assert.equal(r.status, 2, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /^glassbox: error \[USAGE\]: option '--[a-z-]+ <[a-z]+>' argument .* is invalid/, flags.join(" "));
    assert.equal(existsSync(out), false);
  }
  const ok = runCli(["tokenizer", "train", text, "--out", out, "--vocab-size", "300", "--holdout", ".25", "--min-frequency", "1"]);
  assert.equal(ok.status, 0, ok.stderr);
});
