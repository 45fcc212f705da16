/**
 * Chat prompt rendering: the model's Jinja `tokenizer.chat_template` (sandboxed) or one of the
 * built-in templates. Template variables follow Hugging Face transformers' apply_chat_template:
 * `messages`, `add_generation_prompt`, `bos_token`, `eos_token`, `tools`.
 */
import { GlassboxError } from "../../errors.js";
import { getBuiltinTemplate, isBuiltinTemplate } from "./builtins.js";
import { renderJinja } from "./render-core.js";
import { sharedChatTemplateSandbox } from "./sandbox.js";
import type { ApplyChatTemplateOptions, ChatMessage } from "./types.js";

/** Default wall-clock limit of one sandboxed render, in milliseconds. */
export const DEFAULT_CHAT_TEMPLATE_TIMEOUT_MS = 2000;
/** Built-in used when a model has no chat template and the user names none. */
export const DEFAULT_BUILTIN_TEMPLATE = "chatml";

/** Which template a conversation will be rendered with. */
export interface ResolvedChatTemplate {
  /** "builtin" when `name` is one of ours, "model" when `text` came from the model file. */
  readonly kind: "builtin" | "model";
  /** Built-in name, when kind is "builtin". */
  readonly name?: string;
  /** Jinja text. */
  readonly text: string;
}

/**
 * Chooses the template: the named built-in if `name` is given (CHAT_TEMPLATE_UNKNOWN if it is not
 * one), else the model's `tokenizer.chat_template` if present and non-empty, else the default
 * built-in (chatml).
 */
export function resolveChatTemplate(modelTemplate: string | undefined, name?: string): ResolvedChatTemplate {
  if (name !== undefined) return { kind: "builtin", name, text: getBuiltinTemplate(name) };
  if (modelTemplate !== undefined && modelTemplate.trim() !== "") return { kind: "model", text: modelTemplate };
  return { kind: "builtin", name: DEFAULT_BUILTIN_TEMPLATE, text: getBuiltinTemplate(DEFAULT_BUILTIN_TEMPLATE) };
}

function checkMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) throw new GlassboxError("CHAT_MESSAGES_INVALID", "messages must be an array");
  messages.forEach((m: unknown, i) => {
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      throw new GlassboxError("CHAT_MESSAGES_INVALID", `messages[${i}] must be an object`);
    }
    const r = m as Record<string, unknown>;
    if (typeof r.role !== "string") throw new GlassboxError("CHAT_MESSAGES_INVALID", `messages[${i}].role must be a string`);
    const c = r.content;
    if (c !== undefined && c !== null && typeof c !== "string" && !Array.isArray(c)) {
      throw new GlassboxError("CHAT_MESSAGES_INVALID", `messages[${i}].content must be a string, a list of parts or null`);
    }
  });
}

function buildContext(o: ApplyChatTemplateOptions): Record<string, unknown> {
  const ctx: Record<string, unknown> = { ...(o.extraContext ?? {}) };
  ctx.messages = o.messages;
  ctx.add_generation_prompt = o.addGenerationPrompt ?? true;
  ctx.bos_token = o.bosToken ?? "";
  ctx.eos_token = o.eosToken ?? "";
  if (o.tools !== undefined) ctx.tools = o.tools;
  else delete ctx.tools;
  return ctx;
}

function defaultMaxOutput(o: ApplyChatTemplateOptions): number {
  let n = 0;
  for (const m of o.messages) {
    if (typeof m.content === "string") n += m.content.length;
    else if (Array.isArray(m.content)) n += JSON.stringify(m.content).length;
  }
  if (o.tools) n += JSON.stringify(o.tools).length;
  return Math.max(1 << 20, 4 * n);
}

function postProcess(out: string, o: ApplyChatTemplateOptions): string {
  const bos = o.bosToken ?? "";
  const eos = o.eosToken ?? "";
  if (o.stripBos && bos !== "" && out.startsWith(bos)) out = out.slice(bos.length);
  if (o.stripEos && eos !== "" && out.endsWith(eos)) out = out.slice(0, out.length - eos.length);
  return out;
}

/**
 * Renders a conversation to the prompt string, in a sandboxed worker (see sandbox.ts).
 * Uses `builtinName` if set, else `template` (e.g. the GGUF's `tokenizer.chat_template`); one of
 * them is required (use resolveChatTemplate to apply the default). Resolves to the prompt text.
 * Errors (GlassboxError): CHAT_MESSAGES_INVALID, CHAT_TEMPLATE_UNKNOWN, CHAT_TEMPLATE_MISSING,
 * CHAT_TEMPLATE_ERROR (syntax, runtime, raise_exception), CHAT_TEMPLATE_TIMEOUT (longer than
 * `timeoutMs`, default 2000), CHAT_TEMPLATE_TOO_LARGE (output cap or worker heap limit).
 */
export async function applyChatTemplate(options: ApplyChatTemplateOptions): Promise<string> {
  checkMessages(options.messages);
  const text = templateText(options);
  const out = await sharedChatTemplateSandbox().render(text, buildContext(options), {
    timeoutMs: options.timeoutMs ?? DEFAULT_CHAT_TEMPLATE_TIMEOUT_MS,
    maxOutputChars: options.maxOutputChars ?? defaultMaxOutput(options),
  });
  return postProcess(out, options);
}

function templateText(o: ApplyChatTemplateOptions): string {
  if (o.builtinName !== undefined) return getBuiltinTemplate(o.builtinName);
  if (o.template === undefined) {
    throw new GlassboxError("CHAT_TEMPLATE_MISSING", "no chat template given: pass `template` or `builtinName`");
  }
  return o.template;
}

/**
 * Synchronous, in-process render of a BUILT-IN template only (our own templates terminate and are
 * small, so they need no sandbox). Same output as applyChatTemplate with `builtinName`.
 * Throws CHAT_TEMPLATE_UNKNOWN for a name that is not built in, CHAT_MESSAGES_INVALID,
 * CHAT_TEMPLATE_TOO_LARGE, CHAT_TEMPLATE_ERROR.
 */
export function applyBuiltinChatTemplate(name: string, options: Omit<ApplyChatTemplateOptions, "template" | "builtinName">): string {
  if (!isBuiltinTemplate(name)) getBuiltinTemplate(name); // throws CHAT_TEMPLATE_UNKNOWN
  const o: ApplyChatTemplateOptions = { ...options, builtinName: name };
  checkMessages(o.messages);
  const out = renderJinja(getBuiltinTemplate(name), buildContext(o), o.maxOutputChars ?? defaultMaxOutput(o));
  return postProcess(out, o);
}
