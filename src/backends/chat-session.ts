/**
 * A multi-turn chat over one backend: the conversation, a system prompt, generation options,
 * and KV-cache reuse between turns (only the new part of the conversation is evaluated).
 *
 * ```ts
 * const chat = new ChatSession(backend, { system: "Be brief.", options: { temperature: 0.7 } });
 * for await (const ev of chat.send("Hello!")) if (ev.type === "token") process.stdout.write(ev.text);
 * chat.messages; // [{role:"user",...}, {role:"assistant",...}]
 * ```
 */
import { generate, parseGenerateOptions, type DoneEvent, type GenerateEvent, type GenerateOptionsInput } from "../generate/index.js";
import type { ChatMessage } from "../tokenizer/chat/index.js";
import type { Backend } from "./backend.js";
import { encodeChatPrompt } from "./chat-prompt.js";
import { PrefixCache } from "./prefix-cache.js";

/** Options of a ChatSession. */
export interface ChatSessionOptions {
  /** Built-in chat template name to use instead of the model's own. */
  template?: string;
  /** System prompt (a first "system" message), if any. */
  system?: string;
  /** Generation options for every reply (validated now: GlassboxError INVALID_OPTION). */
  options?: GenerateOptionsInput;
}

/**
 * Tokens kept free for the reply when old messages are dropped to fit the context: a quarter of
 * the context, at least 16 and at most 512 (less when max_tokens asks for less).
 */
export function replyRoom(nCtx: number, maxTokens: number | undefined): number {
  const room = Math.min(512, Math.max(16, Math.floor(nCtx / 4)));
  return maxTokens !== undefined ? Math.min(room, maxTokens) : room;
}

/** See the module comment. One reply at a time. */
export class ChatSession {
  /** The conversation without the system prompt, oldest first. */
  readonly messages: ChatMessage[] = [];
  /** Messages dropped from the start of the conversation by the last send() to make room (0 if none). */
  lastDropped = 0;
  /** System prompt, or undefined for none. */
  system: string | undefined;
  /** Built-in template name, or undefined for the model's own. */
  readonly template: string | undefined;
  private opts: GenerateOptionsInput;
  private readonly initial: GenerateOptionsInput;
  private readonly cache: PrefixCache;

  constructor(readonly backend: Backend, o: ChatSessionOptions = {}) {
    this.template = o.template;
    this.system = o.system;
    this.opts = { ...(o.options ?? {}) };
    parseGenerateOptions(this.opts);
    this.initial = { ...this.opts };
    this.cache = new PrefixCache(backend);
  }

  /** The generation options set so far (a copy). */
  get options(): GenerateOptionsInput {
    return { ...this.opts };
  }

  /**
   * Sets one generation option (snake_case name as in GenerateOptions, e.g. "temperature",
   * "top_k"); `undefined` restores the value given to the constructor, or the default.
   * @throws GlassboxError INVALID_OPTION (unknown name or bad value); the options are unchanged then.
   */
  setOption(name: string, value: unknown): void {
    const next: Record<string, unknown> = { ...this.opts };
    const initial = (this.initial as Record<string, unknown>)[name];
    if (value !== undefined) next[name] = value;
    else if (initial !== undefined) next[name] = initial;
    else delete next[name];
    parseGenerateOptions(next);
    this.opts = next as GenerateOptionsInput;
  }

  /** Forgets the conversation (the system prompt stays). */
  reset(): void {
    this.messages.length = 0;
  }

  /** The messages the template sees: the system prompt (if any) and the conversation. */
  fullMessages(): ChatMessage[] {
    return this.system !== undefined && this.system !== "" ? [{ role: "system", content: this.system }, ...this.messages] : [...this.messages];
  }

  /**
   * generate() timed the whole prompt, but the prefix cache evaluated only its new tokens: make
   * timings.prompt_n and prompt_per_second count those (as llama.cpp's server does; usage still
   * counts every prompt token).
   */
  private countReused(done: DoneEvent): void {
    const t = done.timings;
    const reused = Math.min(this.cache.lastReused, t.prompt_n);
    if (t.prompt_n === 0 || reused === 0) return;
    const n = t.prompt_n - reused;
    done.timings = { ...t, prompt_n: n, prompt_per_second: t.prompt_ms > 0 ? (n * 1000) / t.prompt_ms : 0 };
  }

  /**
   * Adds the user's message and generates the assistant's reply (events as from generate()).
   * The reply is added to the conversation when the stream ends, also when the consumer stops
   * early (the text so far is kept). When the prompt cannot be built or evaluated (e.g.
   * PROMPT_TOO_LONG: the new message alone does not fit), the user's message is removed again
   * and the error is thrown.
   * When the conversation outgrows the context, its oldest exchanges (a user message and the
   * replies after it) are dropped until the prompt leaves {@link replyRoom} tokens for the reply
   * (the system prompt and the new message always stay); `lastDropped` says how many messages went.
   * If the prompt still does not fit, the dropped messages are put back before the error is thrown.
   */
  async *send(text: string): AsyncGenerator<GenerateEvent, void, undefined> {
    this.messages.push({ role: "user", content: text });
    this.lastDropped = 0;
    const dropped: ChatMessage[] = [];
    let reply = "";
    let started = false;
    try {
      const encode = () => encodeChatPrompt(this.backend, this.fullMessages(), this.template !== undefined ? { template: this.template } : {});
      let prompt = await encode();
      const room = replyRoom(this.backend.nCtx, this.opts.max_tokens);
      while (prompt.length + room > this.backend.nCtx && this.messages.length > 1) {
        let n = 1;
        while (n < this.messages.length - 1 && this.messages[n]!.role !== "user") n++;
        dropped.push(...this.messages.splice(0, n));
        this.lastDropped += n;
        prompt = await encode();
      }
      for await (const ev of generate(this.cache, this.backend.tokenizer, prompt, this.opts)) {
        started = true;
        if (ev.type === "token") reply += ev.text;
        else {
          reply += ev.tail;
          this.countReused(ev);
        }
        yield ev;
      }
    } catch (e) {
      if (!started) {
        // nothing was said: the conversation is as it was before this message
        this.messages.pop();
        this.messages.unshift(...dropped);
        this.lastDropped = 0;
      }
      throw e;
    } finally {
      if (started) this.messages.push({ role: "assistant", content: reply });
    }
  }
}
