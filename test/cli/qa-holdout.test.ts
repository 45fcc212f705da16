// QA regression: the default 5 % hold-out also happens for one file with a paragraph per line (blank lines between).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitHoldOut } from "../../src/tokenizer/train-files.js";
import { runCli } from "../helpers/cli.js";

const paragraph = (i: number) => `Paragraph ${i} is one long line of words, as many books are stored, with no line breaks inside.`;

test("splitHoldOut cuts a paragraph-per-line text at a line start, and a one-line text at a word start", () => {
  const text = Array.from({ length: 100 }, (_, i) => paragraph(i)).join("\n\n") + "\n";
  const { train, heldOut } = splitHoldOut([text], 0.05);
  assert.equal(train.join("") + heldOut, text);
  const share = heldOut.length / text.length;
  console.log(`held out ${(share * 100).toFixed(2)} % of a paragraph-per-line text`);
  assert.ok(share > 0.03 && share <= 0.05, String(share));
  assert.match(heldOut, /^Paragraph \d+ /);
  const line = "word ".repeat(1000);
  const one = splitHoldOut([line], 0.05);
  assert.equal(one.train.join("") + one.heldOut, line);
  assert.ok(one.heldOut.startsWith("word") && one.heldOut.length > 200, one.heldOut.length.toString());
});

test("tokenizer train reports a held-out measurement for a single paragraph-per-line file", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const p = join(dir, "book.txt");
  writeFileSync(p, Array.from({ length: 200 }, (_, i) => paragraph(i)).join("\n\n"));
  const r = runCli(["tokenizer", "train", p, "--vocab-size", "300", "--out", join(dir, "t.gguf"), "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.heldOutBytes > 0 && j.heldOutTokens > 0, JSON.stringify(j));
});
