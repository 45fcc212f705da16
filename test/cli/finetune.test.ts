/**
 * `glassbox finetune` end to end on the example model (Q8_0, random weights, ChatML template):
 * chat JSONL with two bad records (listed and skipped), the adapter, log, loss SVG, checkpoint
 * and merged model appear; the adapter is llama.cpp's format and `run --lora` gives the same
 * greedy tokens on our wasm backend and on llama.cpp; the command's errors.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { writeGgufFile } from "../../src/formats/gguf/writer.js";
import { loraAdapterToGguf } from "../../src/train/lora-gguf.js";
import { readTrainLog } from "../../src/train/log.js";
import { runCli } from "../helpers/cli.js";
import { repoRoot, vectorPath } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");
const PROMPT = "<|im_start|>user\nIs this spam? Cheap pills online<|im_end|>\n<|im_start|>assistant\n";
let dir = "", data = "";

before(() => {
  dir = mkdtempSync(join(tmpdir(), "gb-finetune-cli-"));
  data = join(dir, "chat.jsonl");
  const rec = (q: string, a: string) => JSON.stringify({ messages: [{ role: "user", content: `Is this spam? ${q}` }, { role: "assistant", content: a }] });
  writeFileSync(data, [
    rec("WIN A FREE PRIZE NOW", "spam"), rec("Meeting moved to 3pm", "ham"), rec("Cheap pills online", "spam"), rec("Lunch tomorrow?", "ham"),
    "not json at all", JSON.stringify({ messages: [{ role: "user", content: "no answer" }] }),
  ].join("\n") + "\n");
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Result { status: string; steps: number; loss: number; merged: string; data: { recordsSkipped: number; badRecords: Array<{ line: number }> } }

test("finetune a LoRA on chat data, then run it on both backends", { timeout: 120_000 }, () => {
  const out = join(dir, "spam.gguf"), merged = join(dir, "merged.gguf");
  const r = runCli(["finetune", EXAMPLE, data, "--out", out, "--steps", "20", "--lr", "1e-2", "--batch-size", "2", "-c", "64",
    "--rank", "4", "--alpha", "8", "--targets", "attn_q,attn_v,ffn_up", "--merge", merged, "-t", "1", "--json"], { timeoutMs: 90_000 });
  assert.equal(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Result;
  assert.equal(res.status, "done");
  assert.equal(res.steps, 20);
  assert.equal(res.data.recordsSkipped, 2);
  assert.deepEqual(res.data.badRecords.map((b) => b.line).sort(), [5, 6]);
  for (const f of ["spam.gguf", "spam.log.jsonl", "spam.loss.svg", "spam.ckpt.gguf", "merged.gguf"]) assert.ok(existsSync(join(dir, f)), `${f} exists`);
  assert.match(readFileSync(join(dir, "spam.loss.svg"), "utf8"), /<svg/);
  const log = readTrainLog(join(dir, "spam.log.jsonl")).entries.filter((e) => e.kind === "train");
  assert.equal(log.length, 20);
  console.log(`finetune on the example model: loss ${log[0]!.loss.toFixed(3)} -> ${log.at(-1)!.loss.toFixed(3)}`);
  assert.ok(log.at(-1)!.loss < log[0]!.loss / 2, "the loss did not fall");

  const g = GgufFile.open(out);
  try {
    assert.equal(g.get("general.type"), "adapter");
    assert.equal(g.get("adapter.type"), "lora");
    assert.equal(g.get("adapter.lora.alpha"), 8);
    assert.equal(g.get("general.architecture"), "llama");
    assert.deepEqual(g.tensor("blk.1.ffn_up.weight.lora_a")!.ne, [64, 4]);
    assert.deepEqual(g.tensor("blk.1.ffn_up.weight.lora_b")!.ne, [4, 192]);
    assert.equal(g.tensors.length, 2 * 2 * 3);
  } finally {
    g.close();
  }

  const greedy = (args: string[]) => {
    const x = runCli(["run", ...args, PROMPT, "--temp", "0", "-n", "4", "--ignore-eos", "-t", "1", "--json"]);
    assert.equal(x.status, 0, x.stderr);
    return (JSON.parse(x.stdout) as { tokens: Array<{ id: number }> }).tokens.map((t) => t.id);
  };
  const wasm = greedy([EXAMPLE, "--lora", out]);
  const cpp = greedy([EXAMPLE, "--lora", out, "--backend", "llamacpp"]);
  const base = greedy([EXAMPLE]);
  console.log(`greedy with the adapter: wasm ${wasm.join(" ")}, llama.cpp ${cpp.join(" ")}; base ${base.join(" ")}`);
  assert.deepEqual(cpp, wasm);
  assert.notDeepEqual(wasm, base);
  assert.deepEqual(greedy([merged, "--backend", "llamacpp"]).length, 4);
});

test("finetune: bad flags and bases give one-line errors", () => {
  const out = join(dir, "x.gguf");
  const cases: Array<[string[], RegExp]> = [
    [[EXAMPLE, data, "--out", out, "--resume", "--restart"], /INVALID_OPTION.*contradict/],
    [[EXAMPLE, data, "--out", out, "--targets", "attn_x"], /TRAIN_BAD_CONFIG.*attn_x/],
    [[EXAMPLE, data, "--out", out, "--rank", "0"], /TRAIN_BAD_CONFIG.*rank/],
    [[EXAMPLE, data, "--out", out, "--dropout", "1"], /TRAIN_BAD_CONFIG.*dropout/],
    [[EXAMPLE, data, "--out", out, "--steps", "2", "--epochs", "1"], /INVALID_OPTION.*--steps/],
    [[EXAMPLE, data, "--out", out, "--resume"], /TRAIN_NO_CHECKPOINT/],
    [[EXAMPLE, data, "--out", out, "-c", "100000"], /TRAIN_BAD_CONFIG.*context_length/],
    [[vectorPath("llamacpp", "gpt2-f32.gguf"), data, "--out", out], /TRAIN_BAD_MODEL.*architecture/],
    [[EXAMPLE, join(dir, "missing.jsonl"), "--out", out], /FILE_NOT_FOUND/],
    [[EXAMPLE, data], /USAGE.*--out/],
  ];
  for (const [args, pattern] of cases) {
    const r = runCli(["finetune", ...args]);
    assert.notEqual(r.status, 0, args.join(" "));
    const lines = r.stderr.split("\n").filter((l) => /error/i.test(l));
    assert.equal(lines.length, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(lines[0]!, pattern);
  }
  assert.equal(existsSync(out), false);
});

test("run --lora refuses an adapter made for another model", async () => {
  const adapter = join(dir, "example-adapter.gguf"); // fits the example model (n_embd 64), not llama-gqa (n_embd 32)
  await writeGgufFile(adapter, loraAdapterToGguf("llama", 8, [{ name: "blk.0.attn_q.weight", rank: 2, nIn: 64, nOut: 64, a: new Float32Array(128), b: new Float32Array(128) }]));
  const r = runCli(["run", vectorPath("llamacpp", "llama-gqa-f32.gguf"), "hi", "-n", "1", "--lora", adapter]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /LORA_MISMATCH/);
  const notAdapter = runCli(["run", EXAMPLE, "hi", "-n", "1", "--lora", EXAMPLE]);
  assert.match(notAdapter.stderr, /LORA_BAD_ADAPTER.*general\.type/);
  // the other way round: an adapter given as the model
  const asModel = runCli(["run", adapter, "hi", "-n", "1"]);
  assert.equal(asModel.status, 1);
  assert.match(asModel.stderr, /^glassbox: error \[BACKEND_BAD_MODEL\]: the GGUF file is a LoRA adapter \(general\.type = adapter\), not a model: give the base model and pass the adapter with --lora/);
});
