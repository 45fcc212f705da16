/**
 * The spam demo's pipeline (scripts/spam-demo.ts) on the example model with a handful of e-mails:
 * excerpts, a balanced disjoint split, chat JSONL the data pipeline accepts, accuracy before and
 * after a few LoRA steps. The example model has random weights, so the figures themselves mean
 * nothing here; the real ones come from models/glassbox-tiny.gguf (see the script's header).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openBackend } from "../../src/backends/index.js";
import { chatLine, checkSpamDemoOptions, emailExcerpt, fitEmail, loadSpamAssassin, runSpamDemo, splitEmails, type Email } from "../../scripts/spam-demo.js";
import { repoRoot } from "../helpers/vectors.js";

const dir = mkdtempSync(join(tmpdir(), "gb-spam-demo-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("e-mail excerpts: subject, body without headers, MIME boundaries or tags", () => {
  const raw = "From: a@b\nSubject: Cheap  pills\nX-Spam: yes\n\nThis is a multi-part message in MIME format.\n------=_Part1\nContent-Type: text/html\n\n<p>Buy&nbsp;now</p>\n  today!\n";
  assert.equal(emailExcerpt(raw, 100), "Subject: Cheap  pills\nBuy now\ntoday!");
  assert.equal(emailExcerpt(raw, 3), "Subject: Cheap  pills\nBuy");
});

test("long subjects are cut; an excerpt is shortened to the longest prefix whose question fits the token budget", async () => {
  const long = "=?utf-8?B?" + "QUJD".repeat(100) + "?=";
  assert.equal(emailExcerpt(`Subject: ${long}\n\nhi`, 10), `Subject: ${long.slice(0, 80)}\nhi`);
  const be = await openBackend(join(repoRoot, "models", "example.gguf"), { backend: "wasm", threads: 1, nCtx: 64 });
  try {
    const e: Email = { text: "Subject: offer\n" + "win money now ".repeat(40), label: "spam", source: "t/1" };
    const count = async (x: Email): Promise<number> => (await fitEmail(be, x, 1000)) === x ? 1 : 0;
    assert.equal(await count(e), 1, "fits a large budget unchanged");
    const f = await fitEmail(be, e, 40);
    assert.ok(f.text.length < e.text.length && e.text.startsWith(f.text));
    // one more character would not fit: the cut is the longest that does
    const longer = { ...e, text: e.text.slice(0, f.text.length + 1) };
    assert.notEqual((await fitEmail(be, longer, 40)).text, longer.text);
    await assert.rejects(fitEmail(be, e, 3), { code: "PROMPT_TOO_LONG" });
    console.log(`excerpt cut from ${e.text.length} to ${f.text.length} characters for a 40-token question`);
  } finally {
    await be.close();
  }
});

test("balanced, disjoint, seeded split of the SpamAssassin corpus", () => {
  const all = loadSpamAssassin(120);
  assert.equal(all.length, 6046);
  assert.equal(all.filter((e) => e.label === "spam").length, 1896);
  const a = splitEmails(all, 40, 20, 7), b = splitEmails(all, 40, 20, 7);
  assert.deepEqual(a.test.map((e) => e.source), b.test.map((e) => e.source));
  for (const part of [a.train, a.test]) assert.equal(part.filter((e) => e.label === "spam").length, part.length / 2);
  const trainText = new Set(a.train.map((e) => e.text));
  assert.ok(a.test.every((e) => !trainText.has(e.text)), "a held-out excerpt is also in the training set");
  const line = JSON.parse(chatLine(a.train[0]!)) as { messages: Array<{ role: string; content: string }> };
  assert.deepEqual(line.messages.map((m) => m.role), ["user", "assistant"]);
  assert.ok(["spam", "ham"].includes(line.messages[1]!.content));
});

test("spam demo pipeline on the example model: accuracy before and after LoRA", { timeout: 120_000 }, async () => {
  const r = await runSpamDemo({ model: join(repoRoot, "models", "example.gguf"), outDir: dir, train: 12, test: 6, steps: 3, chars: 60, threads: 1, seed: 3 });
  console.log(`example model (random weights): before ${r.before.fewShot.correct}/6 few-shot, ${r.before.zeroShot.correct}/6 zero-shot; after ${r.after.zeroShot.correct}/6`);
  for (const a of [r.before.fewShot, r.before.zeroShot, r.after.zeroShot]) {
    assert.equal(a.total, 6);
    assert.ok(a.accuracy >= 0 && a.accuracy <= 1 && a.correct === Math.round(a.accuracy * 6));
  }
  assert.equal(r.finetune.steps, 3);
  assert.ok(existsSync(r.adapter));
  assert.equal(readFileSync(join(dir, "train.jsonl"), "utf8").trim().split("\n").length, 12);
  assert.equal(readFileSync(join(dir, "heldout.jsonl"), "utf8").trim().split("\n").length, 6);
});

test("spam demo options are checked before any work", () => {
  for (const [o, msg] of [
    [{ train: 0 }, /--train must be an integer >= 2, got 0/], [{ test: 1 }, /--test must be an integer >= 2/],
    [{ train: 1.5 }, /--train must be an integer/], [{ rank: 0 }, /--rank/], [{ epochs: 0 }, /--epochs/], [{ steps: 0 }, /--steps/],
    [{ lr: 0 }, /--lr must be > 0/], [{ shots: 5, train: 4 }, /--shots 5 needs more training e-mails/],
  ] as const) {
    assert.throws(() => checkSpamDemoOptions(o), (e: unknown) => (e as { code?: string }).code === "INVALID_OPTION" && msg.test((e as Error).message), JSON.stringify(o));
  }
  assert.doesNotThrow(() => checkSpamDemoOptions({ train: 2, test: 2, shots: 1 }));
});
