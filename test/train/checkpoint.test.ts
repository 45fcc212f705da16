/**
 * Checkpoint files (train/checkpoint.ts): a write/read round trip restores weights, AdamW moments
 * and step, position and JSON state exactly; what is not a checkpoint is refused with a clear code.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { kv } from "../../src/formats/gguf/kv.js";
import { refKernels } from "../../src/kernels/index.js";
import { readCheckpoint, restoreCheckpoint, writeCheckpoint } from "../../src/train/checkpoint.js";
import { LlamaTrainable, type LlamaConfig } from "../../src/train/llama.js";
import { AdamW } from "../../src/train/optim.js";
import { vectorPath } from "../helpers/vectors.js";

const CFG: LlamaConfig = { nVocab: 11, nEmbd: 8, nLayer: 1, nHead: 2, nHeadKv: 1, nFf: 12, nCtx: 8, ropeFreqBase: 10000, rmsEps: 1e-5, tied: false };

function trained(seed: number): { model: LlamaTrainable; opt: AdamW } {
  const model = new LlamaTrainable(CFG, refKernels, { seed });
  const opt = new AdamW(model.params, { weightDecay: 0.1, beta2: 0.95, lr: 0.01 });
  for (let s = 0; s < 3; s++) { // fake gradients: some steps so moments and step count are non-trivial
    for (const p of model.params) for (let i = 0; i < p.size; i++) p.grad![i] = Math.sin(i * 0.37 + s + seed);
    opt.step(0.01);
  }
  return { model, opt };
}

test("checkpoint round trip: weights, moments, step, position and state exactly", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-ckpt-"));
  try {
    const { model, opt } = trained(1);
    const path = join(dir, "run.ckpt.gguf");
    const data = { epoch: 2, index: 5, seed: 7, fingerprint: "ab" };
    const state = { config: { lr: 0.001 }, rng: [1, 2, 3], nested: { x: 0.1 + 0.2 } };
    await writeCheckpoint(path, {
      step: 3, tokens: 123456789012, elapsed: 3.25, params: model.params, optimizer: opt, data, state,
      kv: [kv.string("general.name", "ck-test"), kv.string("tokenizer.ggml.model", "gpt2")],
    });
    const ck = readCheckpoint(path);
    assert.equal(ck.step, 3);
    assert.equal(ck.tokens, 123456789012);
    assert.equal(ck.elapsed, 3.25);
    assert.deepEqual(ck.data, data);
    assert.deepEqual(ck.state, state);
    assert.deepEqual(ck.optimizer, { name: "adamw", step: 3, lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1 });
    assert.deepEqual(ck.kv.map((k) => k.key), ["general.name", "tokenizer.ggml.model"]);
    assert.equal(ck.file.get("general.name"), "ck-test");
    ck.file.close();

    const other = trained(2);
    restoreCheckpoint(ck, other.model.params, other.opt);
    const a = opt.state(), b = other.opt.state();
    assert.equal(b.step, a.step);
    for (let i = 0; i < model.params.length; i++) {
      const n = model.params[i]!.name!;
      assert.deepEqual(other.model.params[i]!.data, model.params[i]!.data, `${n} weights`);
      assert.deepEqual(b.m[n], a.m[n], `${n} m`);
      assert.deepEqual(b.v[n], a.v[n], `${n} v`);
    }
    console.log(`${model.params.length} parameters + 2 moments each restored bit for bit (${readFileSync(path).length} bytes)`);

    // a model with another shape does not take it
    const wider = new LlamaTrainable({ ...CFG, nFf: 16 }, refKernels, { seed: 1 });
    assert.throws(() => restoreCheckpoint(ck, wider.params, new AdamW(wider.params)), { code: "TRAIN_BAD_CHECKPOINT" });
    const tied = new LlamaTrainable({ ...CFG, tied: true }, refKernels, { seed: 1 });
    assert.throws(() => restoreCheckpoint(ck, tied.params, new AdamW(tied.params)), /holds a parameter output.weight/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("not a checkpoint: a model GGUF, a cut file, a reserved key", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-ckpt-bad-"));
  try {
    assert.throws(() => readCheckpoint(vectorPath("llamacpp", "llama-gqa-f32.gguf")), { code: "TRAIN_BAD_CHECKPOINT" });
    const { model, opt } = trained(1);
    const path = join(dir, "c.gguf");
    await writeCheckpoint(path, { step: 1, tokens: 1, elapsed: 1, params: model.params, optimizer: opt, data: {} });
    const bytes = readFileSync(path);
    writeFileSync(join(dir, "cut.gguf"), bytes.subarray(0, bytes.length - 100));
    assert.throws(() => readCheckpoint(join(dir, "cut.gguf")), (e: { code?: string }) => /^GGUF_/.test(e.code ?? ""));
    await assert.rejects(
      writeCheckpoint(path, { step: 1, tokens: 1, elapsed: 1, params: model.params, optimizer: opt, data: {}, kv: [kv.u32("glassbox.checkpoint.step", 5)] }),
      { code: "TRAIN_BAD_STATE" },
    );
    assert.throws(() => readCheckpoint(join(dir, "missing.gguf")), { code: "FILE_NOT_FOUND" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
