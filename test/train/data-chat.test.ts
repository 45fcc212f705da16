/**
 * Chat loss masks: targets on the assistant turns only (their content plus the end-of-turn text
 * the template writes after it), for every built-in template, for a model's Jinja template in
 * the sandbox (same result as the built-in it imitates), for a template that rewrites earlier
 * turns (one example per turn), across a BPE merge at the header/content boundary, and with
 * padding (one example per row, too-long examples reported by line).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { applyBuiltinChatTemplate, closeSharedChatTemplateSandbox, listBuiltinTemplates } from "../../src/tokenizer/chat/index.js";
import type { ChatMessage } from "../../src/tokenizer/chat/types.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { BadRecordLog } from "../../src/train/data/bad-records.js";
import { chatExamples } from "../../src/train/data/chat-mask.js";
import { loadTrainingData } from "../../src/train/data/dataset.js";
import { tokenizeRecords } from "../../src/train/data/documents.js";
import type { ChatRecord, TokenizedDocument } from "../../src/train/data/types.js";
import { repoRoot } from "../helpers/vectors.js";
import { tempDataDir, tinyTokenizer } from "./data-fixtures.js";

after(() => closeSharedChatTemplateSandbox());

const MESSAGES: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "What is the answer?" },
  { role: "assistant", content: "It is four." },
  { role: "user", content: "And then?" },
  { role: "assistant", content: "Then five." },
];

/** Token runs where labels are targets, decoded (special tokens as text). */
function targetRuns(tok: Tokenizer, ids: Int32Array, labels: Int32Array): string[] {
  const runs: string[] = [];
  let cur: number[] | undefined;
  for (let i = 0; i <= ids.length; i++) {
    if (i < ids.length && labels[i]! >= 0) {
      assert.equal(labels[i], ids[i], "a target label is the token itself");
      (cur ??= []).push(ids[i]!);
    } else if (cur) {
      runs.push(tok.decode(cur, { unparseSpecial: true }));
      cur = undefined;
    } else if (i < ids.length) assert.equal(labels[i], -1);
  }
  return runs;
}

function chatRecord(messages: ChatMessage[], line = 1): ChatRecord {
  return { kind: "chat", messages, file: "mem.jsonl", line, fileIndex: 0 };
}

test("every built-in template: targets are exactly the assistant turns and their end-of-turn text", async () => {
  const tok = tinyTokenizer();
  const enc = (t: string): Int32Array => tok.encode(t, { addSpecial: false, parseSpecial: true });
  const names = listBuiltinTemplates();
  assert.ok(names.length >= 10);
  for (const name of names) {
    const render = (m: ChatMessage[], g: boolean): string =>
      applyBuiltinChatTemplate(name, { messages: m, addGenerationPrompt: g, bosToken: "<|endoftext|>", eosToken: "<|endoftext|>" });
    const r = await chatExamples(MESSAGES, render, enc);
    assert.ok(typeof r !== "string", name);
    assert.equal(r.perTurn, false, name);
    assert.equal(r.examples.length, 1);
    const ex = r.examples[0]!;
    assert.equal(tok.decode(ex.ids, { unparseSpecial: true }), render(MESSAGES, false), `${name}: ids are the whole conversation`);
    // Expected target text per turn: what rendering the turn adds after the generation prompt.
    const expected = [2, 4].map((k) => render(MESSAGES.slice(0, k + 1), false).slice(render(MESSAGES.slice(0, k), true).length));
    assert.deepEqual(targetRuns(tok, ex.ids, ex.labels), expected, name);
    if (name === "chatml") assert.deepEqual(expected, ["It is four.<|im_end|>\n", "Then five.<|im_end|>\n"]);
  }
});

test("a model's Jinja template (sandboxed) gives the same tokens and mask as the built-in it matches", async () => {
  const tok = tinyTokenizer();
  const model = GgufFile.open(join(repoRoot, "models", "example.gguf")).get("tokenizer.chat_template") as string;
  assert.match(model, /<\|im_start\|>/);
  const bad = new BadRecordLog("error");
  const viaModel = await tokenizeRecords([chatRecord(MESSAGES)], tok, bad, { chatTemplate: model });
  const viaBuiltin = await tokenizeRecords([chatRecord(MESSAGES)], tok, bad, { chatTemplateName: "chatml" });
  assert.equal(viaModel.chatTemplate, "model");
  assert.equal(viaBuiltin.chatTemplate, "builtin:chatml");
  const a = viaModel.documents[0]!;
  const b = viaBuiltin.documents[0]!;
  assert.deepEqual(a.ids, b.ids);
  assert.deepEqual(a.labels, b.labels);
  assert.deepEqual(targetRuns(tok, a.ids, a.labels!), ["It is four.<|im_end|>\n", "Then five.<|im_end|>\n"]);
  // bytes: the UTF-8 bytes the targets stand for.
  assert.equal(a.bytes, Buffer.byteLength("It is four.<|im_end|>\nThen five.<|im_end|>\n"));
});

test("a template that rewrites earlier turns gives one example per assistant turn", async () => {
  const tok = tinyTokenizer();
  // Writes the number of messages first, so a shorter conversation is not a prefix of the whole.
  const rewriting = "{{ messages | length }} turns\n{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}" +
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
  const out = await tokenizeRecords([chatRecord(MESSAGES, 7)], tok, new BadRecordLog("error"), { chatTemplate: rewriting });
  assert.equal(out.perTurnChats, 1);
  assert.equal(out.used, 1);
  assert.equal(out.documents.length, 2);
  const [d1, d2] = out.documents as [TokenizedDocument, TokenizedDocument];
  assert.deepEqual(targetRuns(tok, d1.ids, d1.labels!), ["It is four.<|im_end|>\n"]);
  assert.deepEqual(targetRuns(tok, d2.ids, d2.labels!), ["Then five.<|im_end|>\n"]);
  assert.match(tok.decode(d2.ids, { unparseSpecial: true }), /^5 turns\n.*It is four\.<\|im_end\|>/s, "earlier turns are prompt");
  assert.equal(d1.unit, d2.unit, "both examples belong to the same record (same side of the held-out split)");
  assert.equal(d2.line, 7);
});

test("a token merged across the header/content boundary is a target; prompt tokens never are", async () => {
  // Fake tokenizer: one token per character, except "ab" which is one token (id 1000).
  const enc = (t: string): Int32Array => {
    const out: number[] = [];
    for (let i = 0; i < t.length; i++) {
      if (t.startsWith("ab", i)) { out.push(1000); i++; } else out.push(t.charCodeAt(i));
    }
    return Int32Array.from(out);
  };
  const render = (m: ChatMessage[], gen: boolean): string =>
    m.map((x) => (x.role === "user" ? `U:${x.content as string};` : `a${x.content as string}.`)).join("") + (gen ? "a" : "");
  // "U:q;" + "a" (header) + "bc" (content) + "." -> the header "a" and the content "b" merge.
  const r = await chatExamples([{ role: "user", content: "q" }, { role: "assistant", content: "bc" }], render, enc);
  assert.ok(typeof r !== "string");
  const ex = r.examples[0]!;
  assert.deepEqual(Array.from(ex.ids), [85, 58, 113, 59, 1000, 99, 46]);
  assert.deepEqual(Array.from(ex.labels), [-1, -1, -1, -1, 1000, 99, 46]);
  // No assistant text at all: reported, not silently trained on nothing.
  const none = await chatExamples([{ role: "user", content: "q" }, { role: "assistant", content: "x" }], () => "P", enc);
  assert.equal(none, "the chat template leaves no assistant tokens to learn");
});

test("the example model's own tokenizer (no special chat tokens): targets hold the answers, not the prompts", async () => {
  const tok = Tokenizer.fromGguf(GgufFile.open(join(repoRoot, "models", "example.gguf")));
  const out = await tokenizeRecords([chatRecord(MESSAGES)], tok, new BadRecordLog("error"), { chatTemplateName: "chatml" });
  const d = out.documents[0]!;
  const runs = targetRuns(tok, d.ids, d.labels!);
  assert.equal(runs.length, 2);
  assert.match(runs[0]!, /It is four\.<\|im_end\|>\n$/);
  assert.match(runs[1]!, /Then five\.<\|im_end\|>\n$/);
  for (const r of runs) assert.doesNotMatch(r, /What is|And then|Be brief|user/);
});

test('chatPacking "pad": one example per row, padded with -1 targets; too-long examples are bad records', async () => {
  const tok = tinyTokenizer();
  const line = (q: string, a: string): string => JSON.stringify({ messages: [{ role: "user", content: q }, { role: "assistant", content: a }] });
  const long = "the whale swam in the sea and the ship sailed on the water and the captain watched the whale";
  const dir = tempDataDir({ "c.jsonl": [line("Hi", "Hello."), line("What?", long), line("Q", "It is four.")].join("\n") });
  const nCtx = 32;
  const data = await loadTrainingData([dir], { tokenizer: tok, nCtx, chatPacking: "pad", chatTemplateName: "chatml" });
  assert.equal(data.summary.recordsSkipped, 1);
  assert.equal(data.summary.badRecords[0]!.line, 2);
  assert.match(data.summary.badRecords[0]!.reason, /do not fit in one sequence of n_ctx \+ 1 = 33 tokens/);
  const t = data.train;
  assert.equal(t.nSeq, 2);
  assert.equal(t.seqLen, nCtx + 1);
  assert.equal(t.tokens.length, 2 * (nCtx + 1));
  for (let r = 0; r < t.nSeq; r++) {
    const ids = t.tokens.subarray(r * t.seqLen, (r + 1) * t.seqLen);
    const labels = t.labels.subarray(r * t.seqLen, (r + 1) * t.seqLen);
    const text = tok.decode(ids, { unparseSpecial: true });
    assert.match(text, /^<\|im_start\|>user\n/, "each row starts with its own example");
    assert.equal(labels[t.seqLen - 1], -1, "padding is not a target");
    assert.equal(ids[t.seqLen - 1], tok.eos, "padding uses EOS when there is no pad token");
    assert.deepEqual(targetRuns(tok, ids, labels), [r === 0 ? "Hello.<|im_end|>\n" : "It is four.<|im_end|>\n"]);
  }
  assert.equal(t.targetTokens, tok.encode("Hello.<|im_end|>\nIt is four.<|im_end|>\n", { addSpecial: false, parseSpecial: true }).length);
  // Sanity: the fixture file really is what the test thinks.
  assert.equal(readFileSync(join(dir, "c.jsonl"), "utf8").split("\n").length, 3);
});
