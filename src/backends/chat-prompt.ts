/** Turning a conversation into prompt tokens for a backend, with its chat template. */
import { applyBuiltinChatTemplate, applyChatTemplate, resolveChatTemplate, type ChatMessage } from "../tokenizer/chat/index.js";
import type { Backend } from "./backend.js";

/** Options of renderChatPrompt / encodeChatPrompt. */
export interface ChatPromptOptions {
  /** Name of a built-in template to use instead of the model's own (see listBuiltinTemplates()). */
  template?: string;
}

/**
 * Renders `messages` (oldest first) with the chat template and opens the assistant's turn
 * (add_generation_prompt). The template is the named built-in, else the model's
 * `tokenizer.chat_template` (rendered in the sandbox), else the default built-in (chatml); see
 * resolveChatTemplate. A leading BOS text is dropped when the tokenizer adds BOS itself (as
 * llama.cpp's common_chat_templates_apply does).
 * @throws GlassboxError CHAT_TEMPLATE_UNKNOWN, CHAT_TEMPLATE_ERROR, CHAT_TEMPLATE_TIMEOUT,
 *   CHAT_TEMPLATE_TOO_LARGE, CHAT_MESSAGES_INVALID (see applyChatTemplate).
 */
export async function renderChatPrompt(backend: Backend, messages: ChatMessage[], opts: ChatPromptOptions = {}): Promise<string> {
  const tok = backend.tokenizer;
  const resolved = resolveChatTemplate(backend.chatTemplate, opts.template);
  const common = { messages, addGenerationPrompt: true, bosToken: tok.bosText, eosToken: tok.eosText, stripBos: tok.addBos };
  if (resolved.kind === "builtin") return applyBuiltinChatTemplate(resolved.name!, common);
  return applyChatTemplate({ ...common, template: resolved.text });
}

/**
 * renderChatPrompt, then tokenized as llama.cpp's server does a templated prompt: special tokens
 * added (BOS) and special-token text (e.g. "<|im_start|>") read as those tokens.
 * Returns token ids; throws what renderChatPrompt throws.
 */
export async function encodeChatPrompt(backend: Backend, messages: ChatMessage[], opts: ChatPromptOptions = {}): Promise<Int32Array> {
  const text = await renderChatPrompt(backend, messages, opts);
  return backend.tokenizer.encode(text, { addSpecial: true, parseSpecial: true });
}
