// `glassbox tokenizer train` end to end: files in, a loadable vocab-only GGUF and a summary out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { readByteLevelBpeVocab } from "../../src/tokenizer/train-gguf.js";
import { generateCorpus } from "./train-corpus.js";

const CLI = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

test("tokenizer train --json writes the GGUF and reports speed and held-out bytes per token", () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-train-cli-"));
  try {
    const a = join(dir, "a.txt"), b = join(dir, "b.txt"), out = join(dir, "tok.gguf");
    writeFileSync(a, generateCorpus(40000, 21));
    writeFileSync(b, generateCorpus(20000, 22));
    const stdout = execFileSync(process.execPath, [
      CLI, "tokenizer", "train", a, b, "--vocab-size", "700", "--out", out, "--special", "<|im_start|>,<|im_end|>", "--json",
    ], { encoding: "utf8" });
    const s = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(s.vocabSize, 700);
    assert.equal(s.stoppedBecause, "vocab-size");
    assert.deepEqual(s.specialTokens, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
    assert.ok((s.heldOutBytes as number) > 2000 && (s.heldOutBytes as number) < 4000, String(s.heldOutBytes));
    const bpt = s.heldOutBytesPerToken as number;
    assert.ok(bpt > 2 && bpt < 8, `bytes/token ${bpt}`);
    assert.ok((s.trainMBPerSecond as number) > 0);
    console.log(`CLI: ${s.trainBytes} training bytes at ${(s.trainMBPerSecond as number).toFixed(2)} MB/s, held-out ${bpt.toFixed(3)} bytes/token`);
    const f = GgufFile.open(out);
    const v = readByteLevelBpeVocab(f);
    f.close();
    assert.equal(v.tokens.length, 700);
    assert.equal(v.merges.length, s.merges);
    assert.deepEqual(v.specialTokens, s.specialTokens);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tokenizer train errors are one line with a code and a non-zero exit", () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-train-cli-"));
  try {
    const a = join(dir, "a.txt");
    writeFileSync(a, "some text\n");
    const missing = spawnSync(process.execPath, [CLI, "tokenizer", "train", join(dir, "nope.txt"), "--vocab-size", "300", "--out", join(dir, "o.gguf")], { encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^glassbox: error \[FILE_NOT_FOUND\]/);
    const small = spawnSync(process.execPath, [CLI, "tokenizer", "train", a, "--vocab-size", "100", "--out", join(dir, "o.gguf")], { encoding: "utf8" });
    assert.equal(small.status, 1);
    assert.match(small.stderr, /\[TOKENIZER_TRAIN_BAD_VOCAB_SIZE\]/);
    const noOut = spawnSync(process.execPath, [CLI, "tokenizer", "train", a, "--vocab-size", "300"], { encoding: "utf8" });
    assert.notEqual(noOut.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
