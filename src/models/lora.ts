/**
 * LoRA adapter GGUF files, read the way llama.cpp reads them (src/llama-adapter.cpp,
 * llama_adapter_lora_init_impl) and as llama.cpp's convert_lora_to_gguf.py writes them:
 *
 *   general.architecture  = the base model's architecture ("llama", ...)
 *   general.type          = "adapter"
 *   adapter.type          = "lora"
 *   adapter.lora.alpha    = alpha (f32; absent reads as 0 = "no alpha/rank scaling")
 *   tensors "<base tensor name>.lora_a"  ne = [n_in, r]      (row-major [r][n_in])
 *           "<base tensor name>.lora_b"  ne = [r, n_out]     (row-major [n_out][r])
 *
 * for a base weight "<base tensor name>" with ne = [n_in, n_out]. llama.cpp checks
 * base.ne[0] == a.ne[0], base.ne[1] == b.ne[1] and a.ne[1] == b.ne[0] (otherwise "lora_a tensor is
 * not transposed"), and skips tensors ending in "_norm.weight". The adapted matmul is
 * (llama-graph.cpp build_lora_mm)
 *
 *   y = W·x + scale · B·(A·x),   scale = user_scale · alpha / r   (user_scale when alpha = 0)
 *
 * Token-embedding adapters (applied to get_rows, with A and B swapped) are not supported here.
 */
import { GlassboxError } from "../errors.js";
import { ggmlTypeInfo } from "../formats/gguf/ggml-types.js";
import { GgufFile } from "../formats/gguf/reader.js";
import { weightMatrix, type WeightMatrix } from "../kernels/ref/weights.js";

/** Suffix of the A tensor's name (appended to the base tensor's name). */
export const LORA_A_SUFFIX = ".lora_a";
/** Suffix of the B tensor's name. */
export const LORA_B_SUFFIX = ".lora_b";

/** One adapted base weight. */
export interface LoraWeight {
  /** The base tensor's name, e.g. "blk.0.attn_q.weight". */
  readonly name: string;
  /** r = a.ne[1] = b.ne[0]. */
  readonly rank: number;
  /** a.ne[0]: the base weight's input size. */
  readonly nIn: number;
  /** b.ne[1]: the base weight's output size. */
  readonly nOut: number;
  /** A as a weight matrix: nIn inputs, rank outputs (ne = [n_in, r]), in its stored type. */
  readonly a: WeightMatrix;
  /** B as a weight matrix: rank inputs, nOut outputs (ne = [r, n_out]), in its stored type. */
  readonly b: WeightMatrix;
}

/** A LoRA adapter read from GGUF. */
export interface LoraAdapter {
  /** general.architecture: must equal the base model's. */
  readonly arch: string;
  /** adapter.lora.alpha (0 when absent). */
  readonly alpha: number;
  /** Adapted weights by base tensor name, in file order. */
  readonly weights: ReadonlyMap<string, LoraWeight>;
}

/** An adapter to apply, with its user scale (llama.cpp's `--lora-scaled FILE SCALE`; default 1). */
export interface AppliedLora {
  readonly adapter: LoraAdapter;
  readonly scale?: number;
}

/** The factor on B·A: userScale · alpha / rank, or userScale when alpha is 0 (llama.cpp get_scale). */
export function loraWeightScale(alpha: number, rank: number, userScale = 1): number {
  return alpha ? (userScale * alpha) / rank : userScale;
}

const bad = (m: string): never => {
  throw new GlassboxError("LORA_BAD_ADAPTER", m);
};

function str(g: GgufFile, key: string): string | undefined {
  const v = g.get(key);
  return typeof v === "string" ? v : undefined;
}

/**
 * Reads a LoRA adapter from an open GGUF (tensor bytes are copied; `g` may be closed after).
 * @throws LORA_BAD_ADAPTER when general.type is not "adapter", adapter.type not "lora",
 *   general.architecture is missing, a tensor name has another suffix (except "*_norm.weight",
 *   skipped as llama.cpp does), a pair lacks its A or B, A and B disagree on the rank (llama.cpp:
 *   "lora_a tensor is not transposed"), a tensor is not 2-D, or its type cannot be multiplied.
 */
export function readLoraAdapter(g: GgufFile): LoraAdapter {
  const type = str(g, "general.type");
  if (type !== "adapter") bad(`general.type is ${type === undefined ? "missing" : `'${type}'`}, expected 'adapter' (is this a LoRA adapter file?)`);
  const at = str(g, "adapter.type");
  if (at !== "lora") bad(`adapter.type is ${at === undefined ? "missing" : `'${at}'`}, expected 'lora'`);
  const arch = str(g, "general.architecture");
  if (arch === undefined) bad("general.architecture is missing");
  const alphaV = g.get("adapter.lora.alpha");
  const alpha = typeof alphaV === "number" ? alphaV : 0;
  const pairs = new Map<string, { a?: (typeof g.tensors)[number]; b?: (typeof g.tensors)[number] }>();
  for (const t of g.tensors) {
    const isA = t.name.endsWith(LORA_A_SUFFIX), isB = t.name.endsWith(LORA_B_SUFFIX);
    if (!isA && !isB) {
      if (t.name.endsWith("_norm.weight")) continue;
      bad(`LoRA tensor '${t.name}' has unexpected suffix (expected ${LORA_A_SUFFIX} or ${LORA_B_SUFFIX})`);
    }
    const base = t.name.slice(0, -LORA_A_SUFFIX.length);
    const p = pairs.get(base) ?? {};
    if (isA) p.a = t; else p.b = t;
    pairs.set(base, p);
  }
  const weights = new Map<string, LoraWeight>();
  for (const [name, p] of pairs) {
    if (!p.a || !p.b) bad(`LoRA tensor pair for '${name}' is missing its ${p.a ? "lora_b" : "lora_a"}`);
    const a = p.a!, b = p.b!;
    for (const t of [a, b]) {
      if (t.ne.length < 2 || t.ne.slice(2).some((d) => d !== 1)) bad(`LoRA tensor '${t.name}' must be 2-D, has ne [${t.ne.join(", ")}]`);
    }
    const rank = a.ne[1]!;
    if (b.ne[0] !== rank) bad(`'${a.name}' has ne [${a.ne.join(", ")}] and '${b.name}' ne [${b.ne.join(", ")}]: lora_a must be [n_in, r] and lora_b [r, n_out] (lora_a tensor is not transposed)`);
    const wm = (t: typeof a): WeightMatrix => {
      try {
        return weightMatrix(t.type, t.ne.slice(0, 2), g.tensorBytes(t));
      } catch (e) {
        if (e instanceof GlassboxError) bad(`LoRA tensor '${t.name}' (${ggmlTypeInfo(t.type)?.name ?? t.type}): ${e.message}`);
        throw e;
      }
    };
    weights.set(name, { name, rank, nIn: a.ne[0]!, nOut: b.ne[1]!, a: wm(a), b: wm(b) });
  }
  return { arch: arch!, alpha, weights };
}

/** Opens, reads and closes a LoRA adapter GGUF file. @throws as GgufFile.open and readLoraAdapter. */
export function openLoraAdapter(path: string): LoraAdapter {
  const g = GgufFile.open(path);
  try {
    return readLoraAdapter(g);
  } catch (e) {
    if (e instanceof GlassboxError && e.code === "LORA_BAD_ADAPTER") throw new GlassboxError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  } finally {
    g.close();
  }
}

/**
 * Checks an adapter against its base model as llama.cpp does when loading it: same
 * general.architecture, every adapted tensor present in the base with ne[0] = n_in and
 * ne[1] = n_out.
 * @throws LORA_MISMATCH (wrong architecture, a missing tensor or a wrong shape: "wrong base
 *   model?"), LORA_UNSUPPORTED for a token_embd adapter.
 */
export function checkLoraAgainstBase(adapter: LoraAdapter, base: GgufFile): void {
  const arch = base.get("general.architecture");
  if (adapter.arch !== arch) {
    throw new GlassboxError("LORA_MISMATCH", `the adapter is for architecture '${adapter.arch}', the model is '${String(arch)}'`);
  }
  for (const w of adapter.weights.values()) {
    if (w.name.endsWith("token_embd.weight")) throw new GlassboxError("LORA_UNSUPPORTED", `adapters on the token embedding ('${w.name}') are not supported`);
    const t = base.tensor(w.name);
    if (!t) throw new GlassboxError("LORA_MISMATCH", `LoRA tensor '${w.name}' does not exist in the base model (wrong base model?)`);
    if (t.ne[0] !== w.nIn || t.ne[1] !== w.nOut) {
      throw new GlassboxError("LORA_MISMATCH", `LoRA for '${w.name}' is [${w.nIn} -> ${w.nOut}], the base tensor has ne [${t.ne.join(", ")}] (wrong base model?)`);
    }
  }
}

const NAMES = new WeakMap<WeightMatrix, string>();

/** Remembers the GGUF tensor name of a loaded weight (models/weights.ts calls this), so adapters can find it. */
export function nameWeight(w: WeightMatrix, name: string): void {
  NAMES.set(w, name);
}

/** The GGUF tensor name a weight was loaded from, or undefined. */
export function weightName(w: WeightMatrix): string | undefined {
  return NAMES.get(w);
}
