/**
 * The `wasm` backend (the default): our own models (src/models, one readable file per family)
 * on our WebAssembly SIMD kernels (src/kernels), with our tokenizer (src/tokenizer). Runs
 * anywhere Node runs; its `model` is exposed for inspection (activation hooks).
 */
import { GlassboxError } from "../errors.js";
import { GgufFile } from "../formats/gguf/index.js";
import type { StreamDecoderLike } from "../generate/index.js";
import { loadWasmKernels, refKernels, type Kernels } from "../kernels/index.js";
import { loadModel, loadModelFile, openLoraAdapter, supportedArchitectures, type Model } from "../models/index.js";
import { Tokenizer } from "../tokenizer/index.js";
import type { Backend, BackendEncodeOptions, BackendTokenizer, OpenBackendOptions } from "./backend.js";
import { checkEvalInput, checkOpen, checkThreads, resolveNCtx } from "./check.js";
import { readGgufModelInfo } from "./model-info.js";

/** Our Tokenizer as a BackendTokenizer (adds the BOS/EOS texts for chat templates). */
export class WasmTokenizer implements BackendTokenizer {
  readonly bosText: string;
  readonly eosText: string;
  readonly addBos: boolean;

  constructor(readonly tokenizer: Tokenizer) {
    this.bosText = tokenizer.bos >= 0 ? tokenizer.tokenText(tokenizer.bos) : "";
    this.eosText = tokenizer.eos >= 0 ? tokenizer.tokenText(tokenizer.eos) : "";
    this.addBos = tokenizer.addBos && tokenizer.bos >= 0;
  }

  encode(text: string, opts: BackendEncodeOptions = {}): Int32Array {
    return this.tokenizer.encode(text, { addSpecial: opts.addSpecial ?? true, parseSpecial: opts.parseSpecial ?? false });
  }

  decode(ids: ArrayLike<number>): string {
    return this.tokenizer.decode(ids);
  }

  createStreamDecoder(): StreamDecoderLike {
    return this.tokenizer.createStreamDecoder();
  }

  isEog(id: number): boolean {
    return this.tokenizer.isEog(id);
  }

  /** llama_token_to_piece: the token's own bytes (an SPM piece keeps its leading space). */
  tokenToPiece(id: number): Uint8Array {
    return this.tokenizer.tokenToPiece(id);
  }
}

/** The wasm Backend; create it with openWasmBackend. */
export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  readonly nVocab: number;
  readonly nCtx: number;
  private closed = false;

  constructor(
    /** The loaded model: set `model.onActivation` to watch activations. */
    readonly model: Model,
    readonly kernels: Kernels,
    readonly tokenizer: WasmTokenizer,
    readonly chatTemplate: string | undefined,
    readonly threads: number,
    /** The model's training context (GGUF `<arch>.context_length`), when the file says. */
    readonly nCtxTrain: number | undefined = undefined,
  ) {
    this.nVocab = model.nVocab;
    this.nCtx = model.nCtx;
  }

  /** Positions currently valid in the KV cache. */
  get nPast(): number {
    return this.model.nPast;
  }

  async eval(tokens: Int32Array, startPos: number): Promise<Float32Array> {
    checkOpen(this.closed, this.name);
    checkEvalInput(tokens, startPos, this.model.nPast, this.nCtx, this.nVocab);
    return this.model.eval(tokens, startPos);
  }

  async reset(): Promise<void> {
    checkOpen(this.closed, this.name);
    this.model.reset();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.kernels.close();
  }
}

/** Options of openWasmBackend: OpenBackendOptions plus a choice of kernels. */
export interface OpenWasmBackendOptions extends OpenBackendOptions {
  /** "wasm" (default: the SIMD kernels on `threads` threads) or "ref" (the plain TypeScript reference kernels, one thread, slow). */
  kernels?: "wasm" | "ref";
}

/**
 * Fails first on an architecture src/models has no family for, so that is what the error says
 * (rather than a missing tensor or tokenizer key of a file it could never run).
 * @throws GlassboxError MODEL_UNSUPPORTED_ARCH naming the supported ones and the llamacpp backend.
 */
function checkWasmArchitecture(file: GgufFile): void {
  const arch = file.get("general.architecture");
  if (typeof arch === "string" && !supportedArchitectures().includes(arch)) {
    throw new GlassboxError(
      "MODEL_UNSUPPORTED_ARCH",
      `architecture '${arch}' is not supported by the wasm backend; supported: ${supportedArchitectures().join(", ")} (--backend llamacpp runs more)`,
    );
  }
}

/**
 * Opens a GGUF model on our own engine: reads the header and tokenizer, loads the WebAssembly
 * kernels with `threads` threads, then reads the whole file once into kernel memory, where the
 * weights are used in place (models/load-file.ts; the file is closed afterwards).
 * LoRA adapters (`lora`: adapter GGUF paths, scale 1 each) are applied as llama.cpp applies them
 * (src/models/lora-kernels.ts): the base stays as stored, adapted matmuls add scale·B·(A·x).
 * @throws GlassboxError INVALID_OPTION (bad threads / nCtx), the GGUF reader's errors,
 *   TOKENIZER_* from the tokenizer, MODEL_* from loadModel (e.g. MODEL_UNSUPPORTED_ARCH), and
 *   LORA_BAD_ADAPTER / LORA_MISMATCH / LORA_UNSUPPORTED for an adapter that is not one or does
 *   not fit the model.
 */
export async function openWasmBackend(modelPath: string, opts: OpenWasmBackendOptions = {}): Promise<WasmBackend> {
  checkThreads(opts.threads);
  const lora = (opts.lora ?? []).map((path) => ({ adapter: openLoraAdapter(path) }));
  const file = GgufFile.open(modelPath);
  let kernels: Kernels | undefined;
  try {
    checkWasmArchitecture(file);
    const info = readGgufModelInfo(file);
    const nCtx = resolveNCtx(opts.nCtx, info.nCtxTrain);
    const tokenizer = new WasmTokenizer(Tokenizer.fromGguf(file));
    kernels = opts.kernels === "ref" ? refKernels : await loadWasmKernels(opts.threads !== undefined ? { threads: opts.threads } : {});
    // The wasm kernels read the weights in place from one copy of the file in their memory
    // (peak RSS about file + KV cache); the reference kernels take per-tensor copies.
    const model = opts.kernels === "ref" ? loadModel(file, kernels, { nCtx, lora }) : loadModelFile(modelPath, kernels, { nCtx, lora }, file);
    return new WasmBackend(model, kernels, tokenizer, info.chatTemplate, kernels.threads, info.nCtxTrain);
  } catch (e) {
    await kernels?.close();
    throw e;
  } finally {
    file.close();
  }
}
