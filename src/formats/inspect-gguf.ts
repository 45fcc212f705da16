/**
 * A summary of a GGUF model file for `glassbox inspect`: architecture and hyperparameters
 * (read from the `<arch>.*` keys of llama.cpp's naming, src/llama-arch.cpp), tokenizer, chat
 * template, provenance fields (`general.*`, gguf-py's constants.py) and the quantization mix.
 * Reads the header only; the tensor data is never touched.
 */
import type { GgufFile } from "./gguf/reader.js";
import { ggmlTypeInfo } from "./gguf/ggml-types.js";
import { fileTypeName } from "./gguf/file-types.js";
import type { GgufArray, GgufValue } from "./gguf/types.js";

/** Tensors and bytes of one ggml type. */
export interface TypeMix {
  type: string;
  tensors: number;
  bytes: number;
  parameters: number;
}

/** One row of the per-tensor table (`--tensors`). `ne` is in ggml order (ne[0] = row length). */
export interface TensorRow {
  name: string;
  type: string;
  ne: number[];
  parameters: number;
  bytes: number;
  /** Absolute byte offset of the data in the file. */
  offset: number;
}

export interface ModelSummary {
  format: "gguf";
  ggufVersion: number;
  architecture: string | null;
  name: string | null;
  parameters: number;
  contextLength: number | null;
  embeddingLength: number | null;
  blockCount: number | null;
  headCount: number | null;
  headCountKv: number | null;
  feedForwardLength: number | null;
  vocabSize: number | null;
  tokenizerModel: string | null;
  tokenizerPre: string | null;
  /** The first lines of `tokenizer.chat_template` (at most 5), or null when absent. */
  chatTemplateHead: string[] | null;
  /** `general.file_type` (llama_ftype) when present. */
  fileType: number | null;
  /** Its llama_ftype name (`MOSTLY_Q4_0`), when known. */
  fileTypeName: string | null;
  quantizationMix: TypeMix[];
  /** Provenance and licence fields present in the file (`general.license`, `general.author`, ...). */
  provenance: Record<string, string>;
  tensorCount: number;
  kvCount: number;
  fileSize: number;
  tensors?: TensorRow[];
}

const PROVENANCE_KEYS = [
  "general.license", "general.license.name", "general.license.link", "general.author", "general.organization",
  "general.url", "general.source.url", "general.source.huggingface.repository", "general.repo_url",
  "general.quantized_by", "general.finetune", "general.basename", "general.size_label", "general.version",
  "general.description",
];

function num(v: GgufValue | undefined): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v && typeof v === "object" && v.items.length > 0) {
    // Per-layer arrays (e.g. head_count_kv in some models): report the first layer.
    const first = (v.items as ArrayLike<unknown>)[0];
    return typeof first === "number" ? first : typeof first === "bigint" ? Number(first) : null;
  }
  return null;
}

function str(v: GgufValue | undefined): string | null {
  return typeof v === "string" ? v : null;
}

function text(v: GgufValue): string {
  if (typeof v === "object") return `[${(v as GgufArray).items.length} items]`;
  return String(v);
}

/** Summarizes an open GGUF file (header only). `withTensors` adds the per-tensor table. */
export function summarizeGguf(f: GgufFile, withTensors = false): ModelSummary {
  const arch = str(f.get("general.architecture"));
  const a = (k: string) => (arch ? f.get(`${arch}.${k}`) : undefined);
  const mix = new Map<string, TypeMix>();
  let parameters = 0;
  const rows: TensorRow[] = [];
  for (const t of f.tensors) {
    const type = ggmlTypeInfo(t.type)?.name ?? `type${t.type}`;
    const m = mix.get(type) ?? { type, tensors: 0, bytes: 0, parameters: 0 };
    m.tensors++;
    m.bytes += t.nbytes;
    m.parameters += t.nelements;
    mix.set(type, m);
    parameters += t.nelements;
    if (withTensors) rows.push({ name: t.name, type, ne: [...t.ne], parameters: t.nelements, bytes: t.nbytes, offset: f.header.dataOffset + t.offset });
  }
  const tokens = f.get("tokenizer.ggml.tokens");
  const vocabSize = tokens && typeof tokens === "object" ? tokens.items.length : num(a("vocab_size"));
  const tmpl = str(f.get("tokenizer.chat_template"));
  const provenance: Record<string, string> = {};
  for (const k of PROVENANCE_KEYS) {
    const v = f.get(k);
    if (v !== undefined) provenance[k.slice("general.".length)] = text(v);
  }
  // Base models are recorded as general.base_model.count + general.base_model.{i}.name/organization/repo_url.
  const nBase = num(f.get("general.base_model.count")) ?? 0;
  for (let i = 0; i < Math.min(nBase, 16); i++) {
    const parts = ["name", "organization", "repo_url"].map((p) => str(f.get(`general.base_model.${i}.${p}`))).filter((x): x is string => !!x);
    if (parts.length) provenance[`base_model.${i}`] = parts.join(", ");
  }
  // Training data sets the same way (general.dataset.count + general.dataset.{i}.name/url), and
  // the training facts Glassbox records (glassbox.training.*; the whole config is left to --json of the KVs)
  const nData = num(f.get("general.dataset.count")) ?? 0;
  for (let i = 0; i < Math.min(nData, 16); i++) {
    const parts = ["name", "url"].map((p) => str(f.get(`general.dataset.${i}.${p}`))).filter((x): x is string => !!x);
    if (parts.length) provenance[`dataset.${i}`] = parts.join(", ");
  }
  let nFacts = 0;
  for (const k of f.header.kv.keys()) {
    if (!k.startsWith("glassbox.training.") || k === "glassbox.training.config") continue;
    if (++nFacts > 16) break; // a hostile file could carry any number
    provenance[k.slice("glassbox.".length)] = text(f.get(k)!);
  }
  const headCount = num(a("attention.head_count"));
  return {
    format: "gguf",
    ggufVersion: f.header.version,
    architecture: arch,
    name: str(f.get("general.name")),
    parameters,
    contextLength: num(a("context_length")),
    embeddingLength: num(a("embedding_length")),
    blockCount: num(a("block_count")),
    headCount,
    headCountKv: num(a("attention.head_count_kv")) ?? headCount,
    feedForwardLength: num(a("feed_forward_length")),
    vocabSize,
    tokenizerModel: str(f.get("tokenizer.ggml.model")),
    tokenizerPre: str(f.get("tokenizer.ggml.pre")),
    chatTemplateHead: tmpl === null ? null : tmpl.split("\n").slice(0, 5),
    fileType: num(f.get("general.file_type")),
    fileTypeName: fileTypeName(num(f.get("general.file_type")) ?? -1) ?? null,
    quantizationMix: [...mix.values()].sort((x, y) => y.bytes - x.bytes),
    provenance,
    tensorCount: f.tensors.length,
    kvCount: f.kv.size,
    fileSize: f.header.fileSize,
    ...(withTensors ? { tensors: rows } : {}),
  };
}
