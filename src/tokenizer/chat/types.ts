/**
 * Shapes shared by the chat-template code: messages in the OpenAI / Hugging Face form that
 * `tokenizer.chat_template` Jinja templates expect (`messages`, `add_generation_prompt`,
 * `bos_token`, `eos_token`, `tools`).
 */

/** A JSON value: the only kind of data that crosses into the template sandbox. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One part of a multi-part message content (OpenAI form); only `text` parts are rendered by the built-ins. */
export interface ChatContentPart {
  type: string;
  text?: string;
  [key: string]: JsonValue | undefined;
}

/**
 * One chat message. `role` is usually "system", "user", "assistant" or "tool"; templates may
 * accept others. Extra fields (tool_calls, tool_call_id, name, reasoning_content, ...) are passed
 * through to the template unchanged; they must be JSON values.
 */
export interface ChatMessage {
  role: string;
  content?: string | ChatContentPart[] | null;
  [key: string]: JsonValue | ChatContentPart[] | undefined;
}

/** Options of {@link applyChatTemplate}. */
export interface ApplyChatTemplateOptions {
  /** Jinja template text, e.g. the GGUF string KV `tokenizer.chat_template`. Treated as hostile. */
  template?: string;
  /** Name of a built-in template (see listBuiltinTemplates()); wins over `template` when both are set. */
  builtinName?: string;
  /** The conversation, oldest first. */
  messages: ChatMessage[];
  /** Append the header that opens the assistant's reply (Jinja variable `add_generation_prompt`). Default true. */
  addGenerationPrompt?: boolean;
  /** Text of the BOS token (`bos_token`), e.g. "<s>". Default "". */
  bosToken?: string;
  /** Text of the EOS token (`eos_token`), e.g. "</s>". Default "". */
  eosToken?: string;
  /** Tool definitions (OpenAI form), exposed as `tools`; omitted when undefined. */
  tools?: JsonValue[];
  /** Further template variables (e.g. `enable_thinking`); cannot override the ones above. */
  extraContext?: Record<string, JsonValue>;
  /**
   * Drop a leading `bosToken` from the output (and a trailing `eosToken` with stripEos), as
   * llama.cpp's common_chat_templates_apply does when the tokenizer itself adds BOS/EOS.
   */
  stripBos?: boolean;
  stripEos?: boolean;
  /** Wall-clock limit for one render in milliseconds (default 2000). Exceeding it: CHAT_TEMPLATE_TIMEOUT. */
  timeoutMs?: number;
  /**
   * Most UTF-16 code units the rendered prompt may have. Default: max(1 Mi, 4 x the characters of
   * the messages). Exceeding it: CHAT_TEMPLATE_TOO_LARGE.
   */
  maxOutputChars?: number;
}
