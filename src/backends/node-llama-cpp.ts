/**
 * Loading node-llama-cpp (an optional dependency, pinned to 3.21.1) and the small part of its API
 * the llamacpp backend uses, typed here structurally so this package compiles and runs without
 * it. Names and shapes are those of node-llama-cpp's dist/*.d.ts (LlamaModel, LlamaContext,
 * LlamaContextSequence.controlledEvaluate).
 */
import { GlassboxError } from "../errors.js";

/** node-llama-cpp's Token is a branded number; plain numbers at this boundary. */
export type NlcToken = number;

/** LlamaModelTokens: the model's special tokens. */
export interface NlcModelTokens {
  readonly bos: NlcToken | null;
  readonly eos: NlcToken | null;
  readonly bosString: string | null;
  readonly eosString: string | null;
  readonly shouldPrependBosToken: boolean;
  readonly shouldAppendEosToken: boolean;
}

/** One input item of controlledEvaluate: a token, or a token with "generate next" options. */
export type NlcControlledInput =
  | NlcToken
  | [NlcToken, { generateNext?: { probabilities?: boolean; options?: { temperature?: number; topK?: number; topP?: number; minP?: number; seed?: number } } }];

/** LlamaContextSequence (the parts used). */
export interface NlcSequence {
  readonly nextTokenIndex: number;
  eraseContextTokenRanges(ranges: Array<{ start: number; end: number }>): Promise<void>;
  clearHistory(): Promise<void>;
  controlledEvaluate(input: NlcControlledInput[]): Promise<Array<undefined | { next: { probabilities?: Map<NlcToken, number> } }>>;
  dispose(): void;
}

/** LlamaContext (the parts used). */
export interface NlcContext {
  readonly contextSize: number;
  readonly currentThreads: number;
  readonly kvCacheKeyType: number;
  getSequence(): NlcSequence;
  dispose(): Promise<void>;
}

/** LlamaContextOptions (the parts used). */
export interface NlcContextOptions {
  contextSize: number;
  batchSize?: number;
  threads?: number;
  sequences?: number;
  flashAttention?: boolean;
  experimentalKvCacheKeyType?: "F32" | "F16";
  experimentalKvCacheValueType?: "F32" | "F16";
  lora?: { adapters: Array<{ filePath: string; scale?: number }> };
}

/** LlamaModel (the parts used). */
export interface NlcModel {
  readonly tokens: NlcModelTokens;
  readonly trainContextSize: number;
  tokenize(text: string, specialTokens?: boolean): NlcToken[];
  detokenize(tokens: readonly NlcToken[], specialTokens?: boolean, lastTokens?: readonly NlcToken[]): string;
  isEogToken(token: NlcToken | undefined): boolean;
  createContext(options: NlcContextOptions): Promise<NlcContext>;
  dispose(): Promise<void>;
}

/** Llama: the loaded llama.cpp bindings. */
export interface NlcLlama {
  readonly cpuMathCores: number;
  readonly gpu: string | false;
  loadModel(options: { modelPath: string; gpuLayers?: number | "auto"; useMmap?: boolean }): Promise<NlcModel>;
}

interface NlcModule {
  getLlama(options: object): Promise<NlcLlama>;
  LlamaLogLevel: Record<string, string>;
}

/** The version this package is tested with (package.json optionalDependencies). */
export const NODE_LLAMA_CPP_VERSION = "3.21.1";

const llamas = new Map<string, Promise<NlcLlama>>();

/**
 * The llama.cpp bindings (getLlama), created once per GPU setting and shared. Prebuilt binaries
 * only (build: "never": never compiles llama.cpp from source); log level "error".
 * @throws GlassboxError BACKEND_UNAVAILABLE when node-llama-cpp cannot be imported or has no
 *   binary for this machine (the message says how to install it).
 */
export function loadLlama(gpu: false | "auto"): Promise<NlcLlama> {
  const key = String(gpu);
  let p = llamas.get(key);
  if (p === undefined) {
    p = (async () => {
      let mod: NlcModule;
      try {
        mod = (await import("node-llama-cpp")) as unknown as NlcModule;
      } catch (e) {
        throw new GlassboxError(
          "BACKEND_UNAVAILABLE",
          `the llamacpp backend needs the optional package node-llama-cpp; install it with \`npm i -E node-llama-cpp@${NODE_LLAMA_CPP_VERSION}\` ` +
            `(import failed: ${e instanceof Error ? e.message : String(e)})`,
          { cause: e },
        );
      }
      try {
        return await mod.getLlama({ gpu, build: "never", maxThreads: 0, logLevel: mod.LlamaLogLevel.error ?? "error", logger: () => {} });
      } catch (e) {
        throw new GlassboxError(
          "BACKEND_UNAVAILABLE",
          `node-llama-cpp could not load llama.cpp for this machine: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        );
      }
    })();
    p.catch(() => llamas.delete(key));
    llamas.set(key, p);
  }
  return p;
}
