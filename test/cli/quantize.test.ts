// `glassbox quantize` reproduces llama-quantize's output files byte for byte, and fails cleanly on bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { vectorPath } from "../helpers/vectors.js";
import { runCli } from "../helpers/cli.js";

for (const [type, ref] of [["q8_0", "llama-gqa-q8_0.gguf"], ["q4_0", "llama-gqa-q4_0.gguf"], ["f16", "llama-gqa-f16.gguf"]] as const) {
  test(`quantize --type ${type} of llama-gqa-f32 is byte-identical to llama-quantize's ${ref}`, () => {
    const dir = mkdtempSync(join(tmpdir(), "gb-quant-"));
    const out = join(dir, "out.gguf");
    const r = runCli(["quantize", vectorPath("llamacpp", "llama-gqa-f32.gguf"), out, "--type", type, "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const got = readFileSync(out);
    const want = readFileSync(vectorPath("llamacpp", ref));
    let diff = 0;
    for (let i = 0; i < Math.min(got.length, want.length); i++) if (got[i] !== want[i]) diff++;
    console.log(`${type}: ${got.length} bytes written, ${want.length} expected, ${diff} differing bytes`);
    assert.equal(got.length, want.length);
    assert.equal(diff, 0);
    assert.deepEqual(readdirSync(dir), ["out.gguf"], "no temp file left behind");
  });
}

test("quantize to q4_k and q6_k records the file type and keeps metadata", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-quant-"));
  for (const [type, ftype] of [["q4_k", 15], ["q6_k", 18]] as const) {
    const out = join(dir, `${type}.gguf`);
    const r = runCli(["quantize", vectorPath("llamacpp", "qwen2-f32.gguf"), out, "--type", type]);
    assert.equal(r.status, 0, r.stderr);
    const f = GgufFile.open(out);
    const src = GgufFile.open(vectorPath("llamacpp", "qwen2-f32.gguf"));
    try {
      assert.equal(f.get("general.file_type"), ftype);
      assert.equal(f.get("general.quantization_version"), 2);
      assert.equal(f.get("qwen2.context_length"), src.get("qwen2.context_length"));
      assert.equal(f.tensors.length, src.tensors.length);
      assert.ok(f.header.fileSize < src.header.fileSize / 2, `${type} output is smaller`);
    } finally {
      f.close();
      src.close();
    }
  }
});

test("quantize rejects a bad type or a bad file with one line and leaves no output", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-quant-"));
  const out = join(dir, "out.gguf");
  let r = runCli(["quantize", vectorPath("llamacpp", "llama-gqa-f32.gguf"), out, "--type", "q3_xx"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /QUANT_BAD_TARGET/);
  const bad = join(dir, "bad.gguf");
  writeFileSync(bad, readFileSync(vectorPath("llamacpp", "llama-gqa-f32.gguf")).subarray(0, 5000));
  r = runCli(["quantize", bad, out, "--type", "q8_0"]);
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.equal(existsSync(out), false);
  r = runCli(["quantize", bad, out]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--type/);
});

test("quantize refuses a file without tensors", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-quant-"));
  const r = runCli(["quantize", vectorPath("tokenizer", "ggml-vocab-gpt-2.gguf"), join(dir, "o.gguf"), "--type", "q8_0"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /QUANT_NO_TENSORS/);
  assert.deepEqual(readdirSync(dir), []);
});
