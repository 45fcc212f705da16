// Flags shared by `run` and `chat`: sampling (names per llama.cpp and the OpenAI API) and backend.
import { Command, InvalidArgumentError, Option } from "commander";
import { BACKEND_NAMES, openBackend, type Backend, type BackendName, type OpenBackendOptions } from "../backends/index.js";
import { GlassboxError, isGlassboxError } from "../errors.js";
import type { GenerateOptionsInput } from "../generate/index.js";

/** Parsed values of the shared flags (commander's camelCase names). */
export interface EngineFlags {
  temperature?: number;
  temp?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  repeatLastN?: number;
  seed?: number;
  maxTokens?: number;
  stop?: string[];
  ignoreEos?: boolean;
  threads?: number;
  backend?: BackendName;
  ctxSize?: number;
  lora?: string[];
  gpu?: boolean;
}

// Plain decimals only (as tokenizer train's flags): Number() would also take "0x10", "0b11" and " 5 ".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** commander parser: a finite decimal number (1, -0.5, .25, 1e-3), else InvalidArgumentError (a USAGE error). */
export function parseNumber(value: string): number {
  const v = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(v)) throw new InvalidArgumentError("not a number");
  return v;
}

/** commander parser: a decimal integer (digits, optional sign) that a double holds exactly (|n| <= 2^53 - 1). */
export function parseInteger(value: string): number {
  const v = parseNumber(value);
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError("not an integer");
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError("too large (at most 2^53 - 1 in absolute value)");
  return v;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds the sampling flags (--temperature/--temp, --top-k, ..., --stop, --ignore-eos) to `cmd`. */
export function addSamplingFlags(cmd: Command): Command {
  return cmd
    .option("--temperature <t>", "sampling temperature (alias --temp); 0 = greedy: argmax, lowest id on ties (default 0.8)", parseNumber)
    .addOption(new Option("--temp <t>", "alias of --temperature").argParser(parseNumber).hideHelp())
    .option("--top-k <k>", "keep the k most likely tokens; 0 = off (default 40)", parseInteger)
    .option("--top-p <p>", "keep the smallest set of tokens whose probability reaches p (default 0.95)", parseNumber)
    .option("--min-p <p>", "drop tokens less likely than p times the most likely one (default 0.05)", parseNumber)
    .option("--repeat-penalty <x>", "divide the logits of recently seen tokens by x; 1 = off (default 1)", parseNumber)
    .option("--repeat-last-n <n>", "how many recent tokens the repeat penalty looks at; -1 = all (default 64)", parseInteger)
    .option("--seed <n>", "random seed, for reproducible sampling (default: random; printed with the figures)", parseInteger)
    .option("-n, --max-tokens <n>", "most tokens to generate (default: until end of text or the context is full)", parseInteger)
    .option("--stop <text>", "stop when this text is generated (repeatable)", collect)
    .option("--ignore-eos", "keep generating past end-of-text tokens");
}

/** Adds the backend flags (--backend, --threads/-t, --ctx-size/-c, --lora, --gpu) to `cmd`. */
export function addBackendFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option("--backend <name>", "inference backend: wasm (ours) or llamacpp (node-llama-cpp)").choices(BACKEND_NAMES as string[]).default("wasm"))
    .option("-t, --threads <n>", "compute threads, at most 4 per core (default: all cores)", parseInteger)
    .option("-c, --ctx-size <n>", "context size in tokens (default: min(the model's, 4096))", parseInteger)
    .option("--lora <file>", "apply a LoRA adapter GGUF, llama.cpp format (repeatable; scale 1)", collect)
    .option("--gpu", "llamacpp backend: offload to a GPU when one is available (default: CPU only)");
}

/** Generation options from the parsed flags (validated later by generate(): INVALID_OPTION). */
export function generateOptionsFromFlags(f: EngineFlags): GenerateOptionsInput {
  const o: GenerateOptionsInput = {};
  const temperature = f.temperature ?? f.temp;
  if (temperature !== undefined) o.temperature = temperature;
  if (f.topK !== undefined) o.top_k = f.topK;
  if (f.topP !== undefined) o.top_p = f.topP;
  if (f.minP !== undefined) o.min_p = f.minP;
  if (f.repeatPenalty !== undefined) o.repeat_penalty = f.repeatPenalty;
  if (f.repeatLastN !== undefined) o.repeat_last_n = f.repeatLastN;
  if (f.seed !== undefined) o.seed = f.seed;
  if (f.maxTokens !== undefined) o.max_tokens = f.maxTokens;
  if (f.stop !== undefined) o.stop = f.stop;
  if (f.ignoreEos) o.ignore_eos = true;
  return o;
}

/** openBackend options from the parsed flags. */
export function backendOptionsFromFlags(f: EngineFlags): OpenBackendOptions {
  const o: OpenBackendOptions = { backend: f.backend ?? "wasm" };
  if (f.threads !== undefined) o.threads = f.threads;
  if (f.ctxSize !== undefined) o.nCtx = f.ctxSize;
  if (f.lora !== undefined) o.lora = f.lora;
  if (f.gpu) o.gpu = "auto";
  return o;
}

/**
 * The warning for a backend whose context is larger than the one its model was trained with
 * (positions past it are ones the model never saw; llama.cpp warns the same way), or undefined.
 */
export function contextWarning(backend: Pick<Backend, "nCtx" | "nCtxTrain">): string | undefined {
  const train = backend.nCtxTrain;
  if (train === undefined || backend.nCtx <= train) return undefined;
  return `glassbox: warning: context ${backend.nCtx} is larger than the ${train} tokens the model was trained with; text past ${train} tokens will degrade`;
}

/**
 * The warning for flags that the chosen backend ignores (--gpu on the wasm backend, which runs
 * on the CPU only), or undefined.
 */
export function ignoredFlagWarning(f: EngineFlags): string | undefined {
  if (f.gpu && (f.backend ?? "wasm") === "wasm") {
    return "glassbox: warning: --gpu applies to --backend llamacpp only; the wasm backend runs on the CPU";
  }
  return undefined;
}

/**
 * openBackend(modelPath, options from the flags), after printing ignoredFlagWarning() on stderr.
 * A model whose weights and KV cache do not fit in WebAssembly memory (KERNEL_OUT_OF_MEMORY,
 * e.g. a huge --ctx-size) fails with the same code and a message that says what to change.
 * @throws GlassboxError as openBackend.
 */
export async function openBackendFromFlags(modelPath: string, f: EngineFlags): Promise<Backend> {
  const warning = ignoredFlagWarning(f);
  if (warning !== undefined) process.stderr.write(warning + "\n");
  try {
    return await openBackend(modelPath, backendOptionsFromFlags(f));
  } catch (e) {
    if (!isGlassboxError(e, "KERNEL_OUT_OF_MEMORY")) throw e;
    const ctx = f.ctxSize !== undefined ? `a context of ${f.ctxSize} tokens (--ctx-size)` : "its context";
    throw new GlassboxError(
      "KERNEL_OUT_OF_MEMORY",
      `${e.message}: the model with ${ctx} needs more memory than the wasm backend can use (4 GiB); give a smaller --ctx-size, or use --backend llamacpp`,
      { cause: e },
    );
  }
}
