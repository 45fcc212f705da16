// `glassbox inspect` as a user runs it: human output, --json, --tensors, --sha256, safetensors, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serializeSafetensors } from "../../src/formats/safetensors/index.js";
import { vectorPath } from "../helpers/vectors.js";
import { runCli } from "../helpers/cli.js";

test("inspect prints the model's shape and quantization mix", () => {
  const r = runCli(["inspect", vectorPath("llamacpp", "llama-gqa-q4_0.gguf")]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /architecture\s+llama/);
  assert.match(r.stdout, /heads \/ kv heads\s+4 \/ 2/);
  assert.match(r.stdout, /vocabulary\s+32000/);
  assert.match(r.stdout, /q4_0\s+15\s/);
  assert.match(r.stdout, /q8_0\s+1\s/);
  assert.match(r.stdout, /file type\s+2 \(MOSTLY_Q4_0\)/);
});

test("inspect --json --tensors --sha256 gives machine-readable facts", () => {
  const file = vectorPath("llamacpp", "qwen2-f32.gguf");
  const r = runCli(["inspect", file, "--json", "--tensors", "--sha256"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const ref = JSON.parse(readFileSync(vectorPath("llamacpp", "qwen2-f32.json"), "utf8"));
  assert.equal(j.architecture, "qwen2");
  assert.equal(j.sha256, createHash("sha256").update(readFileSync(file)).digest("hex"));
  assert.equal(j.sha256, ref.model_sha256);
  assert.equal(j.tensors.length, ref.tensors.length);
  assert.equal(j.parameters, ref.tensors.reduce((s: number, t: { ne: number[] }) => s + t.ne.reduce((a, b) => a * b, 1), 0));
  assert.equal(j.headCountKv, 2);
  assert.equal(j.tokenizerPre, "qwen2");
});

test("inspect reads safetensors headers", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-inspect-"));
  const p = join(dir, "m.safetensors");
  writeFileSync(p, serializeSafetensors({ "w": { dtype: "F32", shape: [2, 3], data: new Uint8Array(24) } }, { license: "apache-2.0" }));
  const r = runCli(["inspect", p, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.format, "safetensors");
  assert.equal(j.parameters, 6);
  assert.equal(j.metadata.license, "apache-2.0");
});

test("a bad file prints one clear line and exits non-zero", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-inspect-"));
  const bad = join(dir, "bad.gguf");
  const good = readFileSync(vectorPath("gguf", "alignment-64.gguf"));
  writeFileSync(bad, good.subarray(0, 100));
  for (const [args, code] of [[[bad], "GGUF_[A-Z_]+"], [[join(dir, "missing.gguf")], "ENOENT|FILE_NOT_FOUND"], [[vectorPath("README.md")], "UNKNOWN_FORMAT"]] as const) {
    const r = runCli(["inspect", ...args]);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`error \\[(${code})\\]`));
  }
});
