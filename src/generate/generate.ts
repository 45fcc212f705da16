/**
 * The generation loop: prompt in, a stream of token events out, then one done event.
 *
 *   evaluate the prompt (one eval call)            -> logits of its last token
 *   repeat until a limit:
 *     sample a token (Sampler, see sampler.ts); add it to the penalty history
 *     end-of-generation token and !ignore_eos     -> finish "eos" (the token is not yielded)
 *     decode it (stream decoder), pass the text through the stop matcher, yield a TokenEvent
 *     stop string completed                       -> finish "stop"
 *     max_tokens reached or context full          -> finish "length"
 *     evaluate the token at the next position     -> logits
 *
 * With ignore_eos, end-of-generation tokens are yielded like any other token and generation
 * goes on (not banned as llama.cpp's server does with logit bias; this is what its greedy
 * reference runs do). completion_tokens counts every sampled token, the final EOS included
 * (as llama.cpp's n_decoded). To cancel, stop iterating (break / return()): no more eval calls
 * are made.
 */
import { GlassboxError } from "../errors.js";
import { checkPromptLength } from "./context.js";
import { parseGenerateOptions, samplingPart, type GenerateOptionsInput } from "./options.js";
import { Sampler } from "./sampler.js";
import { StopMatcher } from "./stop.js";
import type { DoneEvent, FinishReason, GenerateEvent, LogitsSource, TokenEvent, TokenizerLike } from "./types.js";

function toInt32(ids: ArrayLike<number>): Int32Array {
  return ids instanceof Int32Array ? ids : Int32Array.from(ids);
}

/**
 * Generate a completion of `prompt` (text, encoded with tokenizer.encode, or token ids).
 * Yields a TokenEvent per generated token, then one DoneEvent.
 * Throws GlassboxError INVALID_OPTION (bad options), EMPTY_PROMPT, PROMPT_TOO_LONG
 * (prompt longer than model.nCtx), LOGITS_SIZE / LOGITS_NAN (bad model output).
 */
export async function* generate(
  model: LogitsSource,
  tokenizer: TokenizerLike,
  prompt: string | ArrayLike<number>,
  options: GenerateOptionsInput = {},
): AsyncGenerator<GenerateEvent, void, undefined> {
  const opts = parseGenerateOptions(options);
  const promptIds = toInt32(typeof prompt === "string" ? tokenizer.encode(prompt) : prompt);
  checkPromptLength(promptIds.length, model.nCtx);
  for (const id of promptIds) {
    if (id < 0 || id >= model.nVocab) {
      throw new GlassboxError("INVALID_TOKEN", `prompt token id ${id} is outside the vocabulary [0, ${model.nVocab})`);
    }
  }

  const sampler = new Sampler(model.nVocab, samplingPart(opts));
  for (const id of promptIds) sampler.accept(id);
  const decoder = tokenizer.createStreamDecoder();
  const stopper = new StopMatcher(opts.stop);
  const maxTokens = opts.max_tokens ?? Infinity;
  const one = new Int32Array(1);

  let text = "";
  let nGenerated = 0;
  let finishReason: FinishReason = "length";
  let stopString: string | undefined;

  const t0 = performance.now();
  let logits: Float32Array | undefined;
  if (maxTokens > 0) logits = await model.eval(promptIds, 0);
  const tPrompt = performance.now();
  let pos = promptIds.length;

  while (logits !== undefined && nGenerated < maxTokens) {
    const id = sampler.sample(logits);
    const lp = opts.logprobs !== undefined ? sampler.tokenLogprobs(opts.logprobs, opts.post_sampling_probs) : undefined;
    sampler.accept(id);
    nGenerated++;
    if (!opts.ignore_eos && tokenizer.isEog(id)) {
      finishReason = "eos";
      break;
    }
    const pushed = stopper.push(decoder.push(id));
    text += pushed.text;
    const ev: TokenEvent = { type: "token", id, piece: pieceOf(tokenizer, id), text: pushed.text };
    if (lp !== undefined) {
      ev.logprob = lp.logprob;
      ev.top = lp.top.map((t) => ({ id: t.id, logprob: t.logprob, piece: pieceOf(tokenizer, t.id) }));
    }
    yield ev;
    if (pushed.stopped) {
      finishReason = "stop";
      stopString = pushed.stop;
      break;
    }
    if (nGenerated >= maxTokens) break;
    if (model.nCtx !== undefined && pos >= model.nCtx) break;
    one[0] = id;
    logits = await model.eval(one, pos);
    pos++;
  }
  const tEnd = performance.now();

  let tail = "";
  if (finishReason !== "stop") {
    const last = stopper.push(decoder.flush());
    tail = last.text + stopper.flush();
    if (last.stopped) {
      finishReason = "stop";
      stopString = last.stop;
    }
    text += tail;
  }

  const promptMs = tPrompt - t0;
  const predictedMs = tEnd - tPrompt;
  const done: DoneEvent = {
    type: "done",
    finishReason,
    text,
    tail,
    usage: { prompt_tokens: promptIds.length, completion_tokens: nGenerated, total_tokens: promptIds.length + nGenerated },
    timings: {
      prompt_n: maxTokens > 0 ? promptIds.length : 0,
      prompt_ms: promptMs,
      prompt_per_second: promptMs > 0 && maxTokens > 0 ? (promptIds.length * 1000) / promptMs : 0,
      predicted_n: nGenerated,
      predicted_ms: predictedMs,
      predicted_per_second: predictedMs > 0 ? (nGenerated * 1000) / predictedMs : 0,
    },
    seed: sampler.seed,
  };
  if (stopString !== undefined) done.stop = stopString;
  yield done;
}

/** The whole result of a generation, shaped like `run --json` (CLARIFICATIONS.md). */
export interface GenerationResult {
  text: string;
  tokens: Array<{ id: number; piece: string; logprob?: number; top?: TokenEvent["top"] }>;
  finishReason: FinishReason;
  stop?: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  timings: { prompt_per_second: number; predicted_per_second: number };
  seed: number;
}

/** Run generate() to the end and collect the tokens and the done event into one object. */
export async function generateAll(
  model: LogitsSource,
  tokenizer: TokenizerLike,
  prompt: string | ArrayLike<number>,
  options: GenerateOptionsInput = {},
): Promise<GenerationResult> {
  const tokens: GenerationResult["tokens"] = [];
  for await (const ev of generate(model, tokenizer, prompt, options)) {
    if (ev.type === "token") {
      const t: GenerationResult["tokens"][number] = { id: ev.id, piece: ev.piece };
      if (ev.logprob !== undefined) t.logprob = ev.logprob;
      if (ev.top !== undefined) t.top = ev.top;
      tokens.push(t);
    } else {
      const r: GenerationResult = {
        text: ev.text,
        tokens,
        finishReason: ev.finishReason,
        usage: { prompt_tokens: ev.usage.prompt_tokens, completion_tokens: ev.usage.completion_tokens },
        timings: { prompt_per_second: ev.timings.prompt_per_second, predicted_per_second: ev.timings.predicted_per_second },
        seed: ev.seed,
      };
      if (ev.stop !== undefined) r.stop = ev.stop;
      return r;
    }
  }
  throw new Error("generate() ended without a done event");
}

const pieceDecoder = new TextDecoder("utf-8");

/** A token's piece text: token_to_piece when the tokenizer has it (partial UTF-8 shows as U+FFFD), else decode([id]). */
function pieceOf(tokenizer: TokenizerLike, id: number): string {
  if (!tokenizer.tokenToPiece) return tokenizer.decode([id]);
  const p = tokenizer.tokenToPiece(id);
  return typeof p === "string" ? p : pieceDecoder.decode(p);
}
