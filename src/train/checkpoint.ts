/**
 * Training checkpoints: everything needed to continue a run exactly where it stopped, in one GGUF
 * file written atomically (temp file + fsync + rename, util/atomic-file.ts), so a crash or a
 * `kill -9` at any moment leaves either the previous checkpoint or the new one, never half a file.
 *
 * Format (GGUF v3, readable by any GGUF tool, e.g. `glassbox inspect`):
 *   tensors (all F32, ggml order ne = reversed row-major shape):
 *     <name>          each trainable parameter under its own name (e.g. "blk.0.attn_q.weight")
 *     opt.m.<name>    AdamW first moment of that parameter
 *     opt.v.<name>    AdamW second moment
 *   KVs:
 *     glassbox.checkpoint.version     u32  1
 *     glassbox.checkpoint.step        u32  optimizer steps done
 *     glassbox.checkpoint.tokens      f64  target tokens trained on so far (exact below 2^53)
 *     glassbox.checkpoint.elapsed     f64  seconds of training wall time so far
 *     glassbox.checkpoint.optimizer   str  JSON {"name":"adamw","step","lr","beta1","beta2","eps","weight_decay"}
 *     glassbox.checkpoint.data        str  JSON of the batch source's state (BatchIterator.state(): cursor, seed, fingerprint)
 *     glassbox.checkpoint.state       str  JSON of the caller's state (training config, RNG states, tokenizer source...)
 *     ...then the caller's own KVs, e.g. the model's llama.* keys and the tokenizer.* keys, so a
 *     checkpoint alone is enough to resume (no tokenizer file needed) and to export the model.
 * Weights and moments are stored as exact f32 bits and every number in the JSON is a shortest
 * round-trip decimal, so a resumed run continues bit for bit.
 */
import { kv } from "../formats/gguf/kv.js";
import { GgmlType } from "../formats/gguf/ggml-types.js";
import { GgufFile } from "../formats/gguf/reader.js";
import type { GgufKV } from "../formats/gguf/types.js";
import { writeGgufFile, type GgufTensorToWrite } from "../formats/gguf/writer.js";
import { GlassboxError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import type { AdamW, AdamWState } from "./optim.js";

/** Current format version (glassbox.checkpoint.version). */
export const CHECKPOINT_VERSION = 1;
const P = "glassbox.checkpoint.";

/** AdamW hyperparameters as saved (snake_case, as the config file). */
export interface OptimizerInfo {
  name: "adamw";
  step: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
}

/** What a checkpoint records about the run's position. */
export interface CheckpointProgress {
  /** Optimizer steps done. */
  step: number;
  /** Target tokens trained on so far. */
  tokens: number;
  /** Seconds of training wall time so far. */
  elapsed: number;
}

/** What writeCheckpoint saves. */
export interface CheckpointToWrite extends CheckpointProgress {
  /** The trainable parameters (unique names). */
  params: readonly Tensor[];
  optimizer: AdamW;
  /** JSON-serializable state of the batch source (BatchIterator.state()). */
  data: unknown;
  /** JSON-serializable state of the caller (config, RNG states...). */
  state?: unknown;
  /** More KVs (model and tokenizer metadata); keys must not start with glassbox.checkpoint. */
  kv?: readonly GgufKV[];
}

/** A checkpoint read back. Tensors are fresh copies; `file` stays open for the caller's KVs until close(). */
export interface Checkpoint extends CheckpointProgress {
  /** Parameter values by name. */
  readonly weights: Map<string, Float32Array>;
  /** AdamW moments and step count (for AdamW.loadState). */
  readonly optimizerState: AdamWState;
  readonly optimizer: OptimizerInfo;
  readonly data: unknown;
  readonly state: unknown;
  /** The KVs the caller passed to writeCheckpoint (model, tokenizer...), in file order. */
  readonly kv: GgufKV[];
  /** The parsed file (for kv lookups); close() it when done. */
  readonly file: GgufFile;
}

function f32Bytes(a: Float32Array): Uint8Array {
  const copy = a.slice();
  return new Uint8Array(copy.buffer, 0, copy.byteLength);
}

function tensorEntry(name: string, shape: readonly number[], data: Float32Array): GgufTensorToWrite {
  return { name, ne: [...shape].reverse(), type: GgmlType.F32, data: f32Bytes(data) };
}

/**
 * Writes a checkpoint to `path` atomically (see the module comment for the layout). The tensors
 * are copied when this is called, so training may go on while the file is written.
 * Errors: TRAIN_BAD_STATE for an unnamed parameter, a reserved caller key or state that is not
 * JSON-serializable; FILE_IO / FILE_NOT_FOUND from the write.
 */
export async function writeCheckpoint(path: string, c: CheckpointToWrite): Promise<void> {
  const opt = c.optimizer.state();
  const info: OptimizerInfo = {
    name: "adamw", step: opt.step, lr: c.optimizer.lr, beta1: c.optimizer.beta1, beta2: c.optimizer.beta2,
    eps: c.optimizer.eps, weight_decay: c.optimizer.weightDecay,
  };
  const json = (what: string, v: unknown): string => {
    const s = JSON.stringify(v ?? null);
    if (s === undefined) throw new GlassboxError("TRAIN_BAD_STATE", `checkpoint ${what} is not JSON-serializable`);
    return s;
  };
  for (const k of c.kv ?? []) {
    if (k.key.startsWith(P)) throw new GlassboxError("TRAIN_BAD_STATE", `checkpoint KV ${k.key} uses the reserved prefix ${P}`);
  }
  const kvs: GgufKV[] = [
    kv.u32(P + "version", CHECKPOINT_VERSION),
    kv.u32(P + "step", c.step),
    kv.f64(P + "tokens", c.tokens),
    kv.f64(P + "elapsed", c.elapsed),
    kv.string(P + "optimizer", json("optimizer", info)),
    kv.string(P + "data", json("data state", c.data)),
    kv.string(P + "state", json("state", c.state)),
    ...(c.kv ?? []),
  ];
  const tensors: GgufTensorToWrite[] = [];
  for (const p of c.params) {
    if (!p.name) throw new GlassboxError("TRAIN_BAD_STATE", "every checkpointed parameter needs a name");
    tensors.push(tensorEntry(p.name, p.shape, p.data));
  }
  for (const p of c.params) tensors.push(tensorEntry("opt.m." + p.name, p.shape, opt.m[p.name!]!));
  for (const p of c.params) tensors.push(tensorEntry("opt.v." + p.name, p.shape, opt.v[p.name!]!));
  await writeGgufFile(path, { kv: kvs, tensors });
}

function bad(path: string, m: string): never {
  throw new GlassboxError("TRAIN_BAD_CHECKPOINT", `${path}: ${m}`);
}

/**
 * Reads a checkpoint written by writeCheckpoint.
 * Errors: FILE_NOT_FOUND / FILE_IO, the GGUF reader's GGUF_* errors for a damaged file,
 * TRAIN_BAD_CHECKPOINT for a GGUF that is not a checkpoint (missing keys, unknown version, a
 * tensor that is not F32, a parameter without both moments).
 */
export function readCheckpoint(path: string): Checkpoint {
  const file = GgufFile.open(path);
  try {
    const num = (k: string): number => {
      const v = file.get(P + k);
      if (typeof v === "number") return v;
      if (typeof v === "bigint") return Number(v);
      return bad(path, `${P + k} is missing or not a number (not a glassbox checkpoint?)`);
    };
    const parse = (k: string): unknown => {
      const v = file.get(P + k);
      if (typeof v !== "string") bad(path, `${P + k} is missing or not a string`);
      try {
        return JSON.parse(v as string);
      } catch (e) {
        return bad(path, `${P + k} is not valid JSON: ${(e as Error).message}`);
      }
    };
    const version = num("version");
    if (version !== CHECKPOINT_VERSION) bad(path, `checkpoint version ${version} is not supported (this build reads ${CHECKPOINT_VERSION})`);
    const optimizer = parse("optimizer") as OptimizerInfo;
    if (!optimizer || optimizer.name !== "adamw" || !Number.isSafeInteger(optimizer.step)) bad(path, "the optimizer record is not AdamW's");
    const all = new Map<string, Float32Array>();
    for (const t of file.tensors) {
      if (t.type !== GgmlType.F32) bad(path, `tensor ${t.name} is not F32`);
      const bytes = file.tensorBytes(t).slice();
      all.set(t.name, new Float32Array(bytes.buffer, 0, bytes.byteLength / 4));
    }
    const weights = new Map<string, Float32Array>();
    const st: AdamWState = { step: optimizer.step, m: {}, v: {} };
    for (const [name, data] of all) {
      if (name.startsWith("opt.m.") || name.startsWith("opt.v.")) continue;
      const m = all.get("opt.m." + name), v = all.get("opt.v." + name);
      if (!m || !v) bad(path, `parameter ${name} has no optimizer moments`);
      weights.set(name, data);
      st.m[name] = m!;
      st.v[name] = v!;
    }
    return {
      step: num("step"), tokens: num("tokens"), elapsed: num("elapsed"),
      weights, optimizerState: st, optimizer, data: parse("data"), state: parse("state"),
      kv: [...file.kv.values()].filter((k) => !k.key.startsWith(P) && k.key !== "general.alignment"),
      file,
    };
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * Copies a checkpoint's weights into `params` (by name) and its moments into `optimizer`.
 * @throws TRAIN_BAD_CHECKPOINT when a parameter is missing or has another size, or the
 *   checkpoint holds a parameter that `params` has not.
 */
export function restoreCheckpoint(ck: Checkpoint, params: readonly Tensor[], optimizer: AdamW): void {
  const names = new Set<string>();
  for (const p of params) {
    const w = ck.weights.get(p.name!);
    if (!w) throw new GlassboxError("TRAIN_BAD_CHECKPOINT", `the checkpoint has no parameter ${p.name}`);
    if (w.length !== p.size) throw new GlassboxError("TRAIN_BAD_CHECKPOINT", `parameter ${p.name} has ${w.length} values in the checkpoint, the model ${p.size}`);
    p.data.set(w);
    names.add(p.name!);
  }
  for (const n of ck.weights.keys()) {
    if (!names.has(n)) throw new GlassboxError("TRAIN_BAD_CHECKPOINT", `the checkpoint holds a parameter ${n} that the model has not`);
  }
  try {
    optimizer.loadState(ck.optimizerState);
  } catch (e) {
    throw new GlassboxError("TRAIN_BAD_CHECKPOINT", `optimizer state: ${(e as Error).message}`, { cause: e });
  }
}
