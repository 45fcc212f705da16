/**
 * The engine benchmark's model: PEER-BENCH.md's llama shape (n_embd 768, n_layer 12, n_head 12 =
 * n_head_kv, n_ff 2048, vocab 32000 from the llama-spm tokenizer, output tied to token_embd;
 * 109.5 M parameters) with seeded random weights, written as F32 and then quantized by our
 * quantizer to the other types. Files are cached in `dir` by name and rebuilt only when missing.
 *
 * Types: "f32", "f16", "q8_0", "q4_0" (llama-quantize's policy, as quantizeGgufFile applies it:
 * the tied token_embd becomes Q6_K), "q4_0_pure" (every matrix Q4_0, like llama-quantize --pure).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { GgmlType, GgufFile, kv, writeGgufFile, type GgufKV, type GgufTensorToWrite } from "../../src/formats/gguf/index.js";
import { quantizeTensor } from "../../src/quant/index.js";
import { quantizeGgufFile } from "../../src/quant/quantize-file.js";

export const SHAPE = { nEmbd: 768, nLayer: 12, nHead: 12, nHeadKv: 12, nFf: 2048, nVocab: 32000, nCtxTrain: 2048 } as const;
export const MODEL_TYPES = ["f32", "f16", "q8_0", "q4_0", "q4_0_pure"] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** Where the llama-spm vocabulary (tokenizer.* KVs) comes from. */
const VOCAB = "/work/shared/vectors/tokenizer/ggml-vocab-llama-spm.gguf";
const SEED = 20261129;

/** xorshift32 stream of uniform values in [-a, a] (fast: 110 M values in about a second). */
function uniform(n: number, a: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const k = (2 * a) / 4294967296;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s * k - a;
  }
  return out;
}

/** The tensor list (ggml order: ne[0] = row length), data made on demand. */
function tensors(matrixType: number): GgufTensorToWrite[] {
  const { nEmbd: E, nLayer, nFf: F, nVocab: V } = SHAPE;
  const std = 0.02, a = std * Math.sqrt(3);
  let n = 0;
  const mat = (name: string, ne: [number, number]): GgufTensorToWrite => {
    const seed = SEED + 7919 * ++n;
    return {
      name, ne, type: matrixType,
      data: () => {
        const f = uniform(ne[0] * ne[1], a, seed);
        return matrixType === GgmlType.F32 ? new Uint8Array(f.buffer) : quantizeTensor(matrixType, f);
      },
    };
  };
  const ones = (name: string): GgufTensorToWrite => ({ name, ne: [E], type: GgmlType.F32, data: new Uint8Array(new Float32Array(E).fill(1).buffer) });
  const out: GgufTensorToWrite[] = [mat("token_embd.weight", [E, V]), ones("output_norm.weight")];
  for (let l = 0; l < nLayer; l++) {
    const p = `blk.${l}.`;
    out.push(
      ones(p + "attn_norm.weight"),
      mat(p + "attn_q.weight", [E, E]), mat(p + "attn_k.weight", [E, E]), mat(p + "attn_v.weight", [E, E]),
      mat(p + "attn_output.weight", [E, E]),
      ones(p + "ffn_norm.weight"),
      mat(p + "ffn_gate.weight", [E, F]), mat(p + "ffn_up.weight", [E, F]), mat(p + "ffn_down.weight", [F, E]),
    );
  }
  return out;
}

function metadata(fileType: number): GgufKV[] {
  const voc = GgufFile.open(VOCAB);
  const tok = [...voc.kv.values()].filter((k) => k.key.startsWith("tokenizer."));
  voc.close();
  const { nEmbd, nLayer, nHead, nHeadKv, nFf, nVocab, nCtxTrain } = SHAPE;
  return [
    kv.string("general.architecture", "llama"),
    kv.string("general.name", "glassbox-bench-110m"),
    kv.u32("llama.context_length", nCtxTrain),
    kv.u32("llama.embedding_length", nEmbd),
    kv.u32("llama.block_count", nLayer),
    kv.u32("llama.feed_forward_length", nFf),
    kv.u32("llama.attention.head_count", nHead),
    kv.u32("llama.attention.head_count_kv", nHeadKv),
    kv.u32("llama.rope.dimension_count", nEmbd / nHead),
    kv.f32("llama.rope.freq_base", 10000),
    kv.f32("llama.attention.layer_norm_rms_epsilon", 1e-5),
    kv.u32("llama.vocab_size", nVocab),
    kv.u32("general.file_type", fileType),
    ...(fileType !== 0 ? [kv.u32("general.quantization_version", 2)] : []),
    ...tok,
  ];
}

/**
 * Makes sure `dir/bench-110m-<type>.gguf` exists for each type (F32 first, the others quantized
 * from it) and returns the paths. Logs what it builds.
 */
export async function ensureModels(dir: string, types: readonly ModelType[]): Promise<Map<ModelType, string>> {
  mkdirSync(dir, { recursive: true });
  const path = (t: ModelType): string => join(dir, `bench-110m-${t}.gguf`);
  const f32 = path("f32");
  const need = (t: ModelType): boolean => !existsSync(path(t));
  if (need("f32") && types.some((t) => t === "f32" || (t !== "q4_0_pure" && need(t)))) {
    const t0 = performance.now();
    await writeGgufFile(f32, { kv: metadata(0), tensors: tensors(GgmlType.F32) });
    console.error(`  made ${f32} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  for (const t of types) {
    if (!need(t)) continue;
    const t0 = performance.now();
    if (t === "q4_0_pure") await writeGgufFile(path(t), { kv: metadata(2), tensors: tensors(GgmlType.Q4_0) });
    else if (t !== "f32") await quantizeGgufFile(f32, path(t), t);
    console.error(`  made ${path(t)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return new Map(types.map((t) => [t, path(t)]));
}

/** Total tensor bytes of a GGUF file and the bytes per ggml type name (what a decode step reads). */
export function tensorBytes(file: string): { total: number; fileBytes: number; mix: string } {
  const g = GgufFile.open(file);
  try {
    const by = new Map<number, number>();
    for (const t of g.tensors) by.set(t.type, (by.get(t.type) ?? 0) + t.nbytes);
    const names: Record<number, string> = { [GgmlType.F32]: "F32", [GgmlType.F16]: "F16", [GgmlType.Q8_0]: "Q8_0", [GgmlType.Q4_0]: "Q4_0", [GgmlType.Q6_K]: "Q6_K", [GgmlType.Q4_K]: "Q4_K" };
    const total = [...by.values()].reduce((a, b) => a + b, 0);
    const mix = [...by.entries()].sort((a, b) => b[1] - a[1]).map(([t, b]) => `${names[t] ?? t} ${(b / 1e6).toFixed(1)}M`).join(", ");
    return { total, fileBytes: g.header.fileSize, mix };
  } finally {
    g.close();
  }
}
