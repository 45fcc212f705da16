// QA regression: metadata from a file cannot send escape sequences or extra lines to the terminal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kv, serializeGguf } from "../../src/formats/gguf/index.js";
import { runCli } from "../helpers/cli.js";

const EVIL = "x\x1b[2J\x1b]0;pwned\x07\rfake   line\nnext\u202eevil\u0085";
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test("inspect escapes control characters in names, metadata, chat template and tensor names", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const p = join(dir, "evil.gguf");
  writeFileSync(p, serializeGguf({
    kv: [
      kv.string("general.architecture", "llama"), kv.string("general.name", EVIL), kv.string("general.license", EVIL),
      kv.string("tokenizer.chat_template", `{{ a }}\n${EVIL}`),
    ],
    tensors: [{ name: `w${EVIL}`, ne: [4], type: 0, data: new Uint8Array(16) }],
  }));
  const r = runCli(["inspect", p, "--tensors"]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!UNSAFE.test(r.stdout), JSON.stringify(r.stdout));
  const lines = r.stdout.split("\n");
  assert.equal(lines.filter((l) => /^name\s+x/.test(l)).length, 1);
  assert.ok(lines.some((l) => /^name\s+x\\x1B\[2J\\x1B\]0;pwned\\x07\\rfake   line\\nnext\\u202Eevil\\x85$/.test(l)), r.stdout);
  assert.ok(!lines.some((l) => l.startsWith("next")), "no line made by the file");
  // --json keeps the exact text.
  const j = JSON.parse(runCli(["inspect", p, "--json"]).stdout);
  assert.equal(j.name, EVIL);
});
