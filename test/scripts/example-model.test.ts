// models/example.gguf is exactly what scripts/make-example-model.ts builds (no hand-edited binary).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildExampleModel } from "../../scripts/make-example-model.js";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { repoRoot } from "../helpers/vectors.js";

test("models/example.gguf is reproducible from its generator", () => {
  const committed = new Uint8Array(readFileSync(join(repoRoot, "models", "example.gguf")));
  const built = buildExampleModel();
  assert.equal(built.byteLength, committed.byteLength);
  assert.ok(Buffer.from(built).equals(Buffer.from(committed)), "bytes differ: rerun node dist/scripts/make-example-model.js");
  const f = GgufFile.fromBytes(committed);
  assert.equal(f.get("general.architecture"), "llama");
  assert.equal(f.tensors.length, 20);
});
