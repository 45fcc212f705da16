// QA regression: a small hostile vocabulary cannot make tokenize run for long or allocate gigabytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kv, serializeGguf } from "../../src/formats/gguf/index.js";
import { byteToUnicodeChar } from "../../src/tokenizer/train-bytes.js";
import { runCli } from "../helpers/cli.js";

test("a 90 KB byte-level BPE token outside GPT-2's byte table is a clear error within seconds", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const p = join(dir, "hostile.gguf");
  // Token 0 (BOS, always printed) is 30 000 characters none of which is in GPT-2's byte table:
  // llama.cpp's piece format repeats the whole token for each such character (2.7 GB here).
  const tokens = ["\u4e2d".repeat(30_000), ...Array.from({ length: 256 }, (_, b) => byteToUnicodeChar(b))];
  writeFileSync(p, serializeGguf({
    kv: [
      kv.string("general.architecture", "gpt2"), kv.string("tokenizer.ggml.model", "gpt2"),
      kv.arrayString("tokenizer.ggml.tokens", tokens), kv.arrayString("tokenizer.ggml.merges", []),
      kv.u32("tokenizer.ggml.bos_token_id", 0), kv.bool("tokenizer.ggml.add_bos_token", true),
    ],
    tensors: [],
  }));
  const t0 = performance.now();
  const r = runCli(["tokenize", p, "hi"], { timeoutMs: 20_000 });
  console.log(`tokenize on the hostile vocabulary took ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^glassbox: error \[TOKENIZER_BAD_VOCAB\]: .*30000 characters/);
  // The same vocabulary still tokenizes when that token is not needed in the output.
  const ok = runCli(["tokenize", p, "hi", "--no-special", "--json"]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).tokens.map((t: { id: number }) => t.id), [1 + 0x68, 1 + 0x69]);
});
