/**
 * GGUF import/export of the trainable llama (llama.ts): the metadata keys llama.cpp's
 * llama-model.cpp reads for LLM_ARCH_LLAMA and the tensor names of llama-arch.cpp, weights in
 * ggml layout (a [n_out][n_in] row-major Tensor is the ggml tensor ne = [n_in, n_out]).
 * A tied model writes no output.weight; llama.cpp then uses token_embd for the head.
 */
import { GlassboxError } from "../errors.js";
import { GgmlType } from "../formats/gguf/ggml-types.js";
import { kv } from "../formats/gguf/kv.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import type { GgufKV, GgufValue } from "../formats/gguf/types.js";
import type { GgufTensorToWrite, GgufToWrite } from "../formats/gguf/writer.js";
import type { Kernels } from "../kernels/api.js";
import { dequantizeTensor, quantizeTensor } from "../quant/traits.js";
import { LlamaTrainable, type LlamaConfig } from "./llama.js";

/** Options of {@link llamaToGguf}. */
export interface LlamaExportOptions {
  /** general.name (default "glassbox-llama"). */
  name?: string;
  /**
   * Tokenizer KVs (tokenizer.ggml.model, .tokens, .scores, .token_type, .merges, bos/eos ids…),
   * written after the llama.* keys. llama.cpp refuses a model without them.
   */
  tokenizer?: readonly GgufKV[];
  /** More KVs (e.g. general.description), written after general.name. */
  extra?: readonly GgufKV[];
  /** Storage type of the 2-D matrices: "f32" (default) or "f16"; norms always stay F32. */
  type?: "f32" | "f16";
}

/** llama.cpp's general.file_type values (llama_ftype) for the two storage types. */
const FILE_TYPE = { f32: 0, f16: 1 } as const;

/**
 * The GGUF (KVs + tensors) of a trainable llama, ready for serializeGguf / writeGgufFile.
 * Tensor bytes are copied when this is called, so later training steps do not change them.
 * Keys: general.architecture = "llama", general.name, general.file_type, llama.vocab_size,
 * llama.context_length, llama.embedding_length, llama.block_count, llama.feed_forward_length,
 * llama.attention.head_count, llama.attention.head_count_kv, llama.rope.freq_base,
 * llama.attention.layer_norm_rms_epsilon, llama.rope.dimension_count, then the tokenizer KVs.
 */
export function llamaToGguf(m: LlamaTrainable, o: LlamaExportOptions = {}): GgufToWrite {
  const c = m.config;
  const type = o.type ?? "f32";
  const kvs: GgufKV[] = [
    kv.string("general.architecture", "llama"),
    kv.string("general.name", o.name ?? "glassbox-llama"),
    ...(o.extra ?? []),
    kv.u32("general.file_type", FILE_TYPE[type]),
    kv.u32("llama.vocab_size", c.nVocab),
    kv.u32("llama.context_length", c.nCtx),
    kv.u32("llama.embedding_length", c.nEmbd),
    kv.u32("llama.block_count", c.nLayer),
    kv.u32("llama.feed_forward_length", c.nFf),
    kv.u32("llama.attention.head_count", c.nHead),
    kv.u32("llama.attention.head_count_kv", c.nHeadKv),
    kv.f32("llama.rope.freq_base", c.ropeFreqBase),
    kv.f32("llama.attention.layer_norm_rms_epsilon", c.rmsEps),
    kv.u32("llama.rope.dimension_count", c.nRot ?? m.headDim),
    ...(o.tokenizer ?? []),
  ];
  const tensors: GgufTensorToWrite[] = m.params.map((t) => {
    const ne = [...t.shape].reverse();
    if (type === "f16" && t.shape.length === 2) {
      return { name: t.name!, ne, type: GgmlType.F16, data: quantizeTensor(GgmlType.F16, t.data.slice()) };
    }
    const copy = t.data.slice();
    return { name: t.name!, ne, type: GgmlType.F32, data: new Uint8Array(copy.buffer, 0, copy.byteLength) };
  });
  return { kv: kvs, tensors };
}

function num(g: GgufFile, key: string, dflt?: number): number {
  const v: GgufValue | undefined = g.get(key);
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (dflt !== undefined) return dflt;
  throw new GlassboxError("TRAIN_BAD_MODEL", `GGUF has no numeric ${key}`);
}

/** The LlamaConfig of a llama GGUF (n_vocab from token_embd's shape). @throws TRAIN_BAD_MODEL. */
export function llamaConfigFromGguf(g: GgufFile): LlamaConfig {
  const arch = g.get("general.architecture");
  if (arch !== "llama") throw new GlassboxError("TRAIN_BAD_MODEL", `general.architecture is ${String(arch)}, expected llama`);
  const emb = g.tensor("token_embd.weight");
  if (!emb || emb.ne.length !== 2) throw new GlassboxError("TRAIN_BAD_MODEL", "token_embd.weight missing or not 2-D");
  const nHead = num(g, "llama.attention.head_count");
  const nEmbd = num(g, "llama.embedding_length");
  for (const k of ["llama.rope.scaling.type", "llama.rope.scaling.factor"]) {
    const v = g.get(k);
    if (v !== undefined && v !== "none" && v !== 1) throw new GlassboxError("TRAIN_UNSUPPORTED", `${k} = ${String(v)}: RoPE scaling is not supported for training`);
  }
  if (g.tensor("rope_freqs.weight")) throw new GlassboxError("TRAIN_UNSUPPORTED", "rope_freqs.weight (Llama 3 RoPE scaling) is not supported for training");
  const keyLen = g.get("llama.attention.key_length");
  if (keyLen !== undefined && Number(keyLen) !== nEmbd / nHead) throw new GlassboxError("TRAIN_UNSUPPORTED", `attention.key_length ${String(keyLen)} != n_embd / n_head`);
  return {
    nVocab: emb.ne[1]!,
    nEmbd,
    nLayer: num(g, "llama.block_count"),
    nHead,
    nHeadKv: num(g, "llama.attention.head_count_kv", nHead),
    nFf: num(g, "llama.feed_forward_length"),
    nCtx: num(g, "llama.context_length"),
    ropeFreqBase: num(g, "llama.rope.freq_base", 10000),
    rmsEps: num(g, "llama.attention.layer_norm_rms_epsilon"),
    tied: !g.tensor("output.weight"),
    nRot: num(g, "llama.rope.dimension_count", nEmbd / nHead),
  };
}

/**
 * A trainable llama holding the (dequantized, f32) weights of a llama GGUF, for fine-tuning.
 * Any tensor type the quant traits table can dequantize is accepted.
 * @throws TRAIN_BAD_MODEL for a missing tensor or a shape that does not fit the metadata;
 *   TRAIN_UNSUPPORTED for RoPE scaling, biases or mixture-of-experts tensors.
 */
export function llamaFromGguf(g: GgufFile, kernels: Kernels): LlamaTrainable {
  const m = new LlamaTrainable(llamaConfigFromGguf(g), kernels, false);
  for (const info of g.tensors) {
    if (!m.param(info.name)) throw new GlassboxError("TRAIN_UNSUPPORTED", `tensor ${info.name} has no place in the trainable llama`);
  }
  for (const t of m.params) {
    const info = g.tensor(t.name!);
    if (!info) throw new GlassboxError("TRAIN_BAD_MODEL", `tensor ${t.name} is missing`);
    const want = [...t.shape].reverse();
    if (info.ne.length !== want.length || info.ne.some((d, i) => d !== want[i])) {
      throw new GlassboxError("TRAIN_BAD_MODEL", `tensor ${t.name} has ne [${info.ne.join(", ")}], expected [${want.join(", ")}]`);
    }
    t.data.set(dequantizeTensor(info.type, g.tensorBytes(info), t.size));
  }
  return m;
}
