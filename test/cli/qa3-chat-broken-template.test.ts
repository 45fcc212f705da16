// Regression found by QA: `glassbox chat` on a model whose chat template does not parse started
// anyway and printed the same CHAT_TEMPLATE_ERROR line for every message (a user at a terminal
// could type on, getting nothing but errors). It now fails at start with one line, exit 1.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { ggufToWrite, serializeGguf } from "../../src/formats/gguf/writer.js";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/vectors.js";

/** example.gguf with its tokenizer.chat_template replaced by `template`, written under `dir`. */
async function withTemplate(dir: string, template: string): Promise<string> {
  const f = GgufFile.open(join(repoRoot, "models", "example.gguf"));
  try {
    const g = ggufToWrite(f);
    const i = g.kv.findIndex((kv) => kv.key === "tokenizer.chat_template");
    assert.ok(i >= 0, "example.gguf has a chat template");
    g.kv[i] = { ...g.kv[i]!, value: template };
    const tensors = [];
    for (const t of g.tensors) tensors.push({ ...t, data: typeof t.data === "function" ? await t.data() : t.data });
    const path = join(dir, "broken-template.gguf");
    writeFileSync(path, serializeGguf({ ...g, tensors }));
    return path;
  } finally {
    f.close();
  }
}

test("chat with a chat template that does not parse fails once, at start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "qa3-chat-tmpl-"));
  try {
    const model = await withTemplate(dir, "{% for m in messages %}{{ m.content ");
    const r = runCli(["chat", model, "-t", "1", "-n", "2"], { input: "one\ntwo\nthree\n" });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("glassbox: error"));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /^glassbox: error \[CHAT_TEMPLATE_ERROR\]: /);
    // --chat-template replaces the broken one: the chat works
    const ok = runCli(["chat", model, "-t", "1", "-n", "2", "--chat-template", "chatml"], { input: "one\n" });
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
