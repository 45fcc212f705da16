/**
 * The `llamacpp` backend: llama.cpp through node-llama-cpp (optional dependency, 3.21.1) for
 * native speed, on the CPU by default or a GPU with `gpu: "auto"`.
 *
 * One context with one sequence holds the KV cache. eval() feeds tokens with
 * LlamaContextSequence.controlledEvaluate and asks for the next-token probabilities of the last
 * one, from which the logits are read back (logits-from-probs.ts): the raw logits shifted so the
 * largest is 0. Sampling is not llama.cpp's: src/generate samples from these logits, so options
 * and seeds behave as on the wasm backend.
 *
 * KV cache type: F32 on the CPU (what the shared llama.cpp vectors were made with, and what the
 * wasm backend keeps), F16 (llama.cpp's default) with a GPU. node-llama-cpp marks the option
 * experimental; on this CPU it works and brings the logits from ~2e-2 to ~3e-5 of the vectors.
 * Flash attention is off (as in the vectors). The tokenizer is llama.cpp's own
 * (llamacpp-tokenizer.ts).
 */
import { GlassboxError } from "../errors.js";
import { GgufFile } from "../formats/gguf/index.js";
import type { Backend, OpenBackendOptions } from "./backend.js";
import { checkEvalInput, checkOpen, checkThreads, resolveNCtx } from "./check.js";
import { LlamaCppTokenizer } from "./llamacpp-tokenizer.js";
import { LOGIT_RECOVERY_TEMPERATURE, logitsFromProbabilities } from "./logits-from-probs.js";
import { readGgufModelInfo } from "./model-info.js";
import { loadLlama, type NlcContext, type NlcControlledInput, type NlcModel, type NlcSequence } from "./node-llama-cpp.js";

/**
 * Sampler settings that make node-llama-cpp's chain a plain softmax at temperature T over the
 * `topK` most likely tokens (0 = the whole vocabulary).
 */
function probe(topK: number) {
  return {
    generateNext: {
      probabilities: true,
      options: { temperature: LOGIT_RECOVERY_TEMPERATURE, topK, topP: 1, minP: 0, seed: 0 },
    },
  };
}

/** The llamacpp Backend; create it with openLlamaCppBackend. */
export class LlamaCppBackend implements Backend {
  readonly name = "llamacpp" as const;
  readonly tokenizer: LlamaCppTokenizer;
  private past = 0;
  private closed = false;
  private readonly logits: Float32Array;
  private readonly probe: ReturnType<typeof probe>;

  constructor(
    private readonly model: NlcModel,
    private readonly context: NlcContext,
    private readonly sequence: NlcSequence,
    readonly nVocab: number,
    readonly nCtx: number,
    readonly nCtxTrain: number | undefined,
    readonly chatTemplate: string | undefined,
    /** Logits read back per eval: the K largest (0 = all n_vocab); see OpenBackendOptions.logitsTopK. */
    readonly logitsTopK = 0,
  ) {
    this.probe = probe(logitsTopK);
    this.tokenizer = new LlamaCppTokenizer(model);
    this.logits = new Float32Array(nVocab);
  }

  get threads(): number {
    return this.context.currentThreads;
  }

  /** Positions currently valid in the KV cache. */
  get nPast(): number {
    return this.past;
  }

  async eval(tokens: Int32Array, startPos: number): Promise<Float32Array> {
    checkOpen(this.closed, this.name);
    checkEvalInput(tokens, startPos, this.past, this.nCtx, this.nVocab);
    const next = this.sequence.nextTokenIndex;
    if (startPos < next) await this.sequence.eraseContextTokenRanges([{ start: startPos, end: next }]);
    this.past = startPos;
    const n = tokens.length;
    const input: NlcControlledInput[] = new Array(n);
    for (let i = 0; i < n - 1; i++) input[i] = tokens[i]!;
    input[n - 1] = [tokens[n - 1]!, this.probe];
    let out;
    try {
      out = await this.sequence.controlledEvaluate(input);
    } finally {
      this.past = Math.min(this.sequence.nextTokenIndex, startPos + n);
    }
    const probs = out[n - 1]?.next.probabilities;
    if (probs === undefined || probs.size === 0) {
      throw new GlassboxError("BACKEND_NO_LOGITS", "llama.cpp returned no next-token probabilities (is this a generative model?)");
    }
    return logitsFromProbabilities(probs, LOGIT_RECOVERY_TEMPERATURE, this.logits);
  }

  async reset(): Promise<void> {
    checkOpen(this.closed, this.name);
    await this.sequence.clearHistory();
    this.past = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sequence.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }
}

/**
 * Opens a GGUF model with llama.cpp (see the module comment).
 * @throws GlassboxError BACKEND_UNAVAILABLE (node-llama-cpp missing or without a binary here),
 *   BACKEND_LOAD_FAILED (llama.cpp could not load the model or create the context: unsupported
 *   architecture, out of memory, bad LoRA file), INVALID_OPTION (bad threads / nCtx /
 *   logitsTopK), MODEL_BAD_OPTION (nCtx beyond a model's learned positions), and the
 *   GGUF reader's errors for a file that is not a valid GGUF.
 */
export async function openLlamaCppBackend(modelPath: string, opts: OpenBackendOptions = {}): Promise<LlamaCppBackend> {
  checkThreads(opts.threads);
  const topK = opts.logitsTopK ?? 0;
  if (!Number.isSafeInteger(topK) || topK < 0) throw new GlassboxError("INVALID_OPTION", `logitsTopK must be an integer >= 0, got ${topK}`);
  const file = GgufFile.open(modelPath);
  let info;
  try {
    info = readGgufModelInfo(file);
  } finally {
    file.close();
  }
  const nCtx = resolveNCtx(opts.nCtx, info.nCtxTrain);
  if (info.nPositions !== undefined && nCtx > info.nPositions) {
    // llama.cpp does not check this: a position past the table aborts the process (GGML_ASSERT in get_rows).
    throw new GlassboxError("MODEL_BAD_OPTION", `nCtx ${nCtx} exceeds the ${info.nPositions} learned positions of this model`);
  }
  const gpu = opts.gpu ?? false;
  const llama = await loadLlama(gpu);
  let model: NlcModel;
  try {
    model = await llama.loadModel({ modelPath, gpuLayers: gpu === false ? 0 : "auto" });
  } catch (e) {
    throw new GlassboxError("BACKEND_LOAD_FAILED", `llama.cpp could not load ${modelPath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const kvType = gpu === false ? "F32" : "F16";
  let context: NlcContext;
  try {
    const threads = opts.threads ?? llama.cpuMathCores;
    context = await model.createContext({
      // One cell more than asked: node-llama-cpp keeps the last cell of a sequence free and
      // "context-shifts" (erases the oldest tokens) before evaluating into it, which would give
      // wrong logits at position nCtx-1. With nCtx+1 cells, positions 0..nCtx-1 never shift.
      contextSize: nCtx + 1,
      batchSize: Math.min(512, nCtx),
      sequences: 1,
      threads,
      flashAttention: false,
      experimentalKvCacheKeyType: kvType,
      experimentalKvCacheValueType: kvType,
      ...(opts.lora !== undefined && opts.lora.length > 0 ? { lora: { adapters: opts.lora.map((filePath) => ({ filePath })) } } : {}),
    });
  } catch (e) {
    await model.dispose();
    throw new GlassboxError("BACKEND_LOAD_FAILED", `llama.cpp could not create a context of ${nCtx} tokens: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (context.contextSize < nCtx + 1) {
    await context.dispose();
    await model.dispose();
    throw new GlassboxError("BACKEND_LOAD_FAILED", `llama.cpp made a context of ${context.contextSize} cells, fewer than the ${nCtx + 1} needed for ${nCtx} tokens`);
  }
  return new LlamaCppBackend(model, context, context.getSequence(), info.nVocab, nCtx, info.nCtxTrain, info.chatTemplate, Math.min(topK, info.nVocab));
}
