/**
 * Validation of one chat record in the OpenAI fine-tuning shape:
 * `{"messages": [{"role": "system"|"user"|"assistant"|"tool", "content": "..."}, ...],
 *   "system": "optional system prompt"}`.
 * Rules: `messages` is a non-empty array of objects; `role` is one of the four; a system
 * message may only come first (and not together with a top-level "system"); `content` is a
 * string (an assistant turn that has `tool_calls` may have null or empty content); at least one
 * assistant turn has content to learn. Other message fields (name, tool_calls, tool_call_id)
 * are passed to the template unchanged. Turn order (user/assistant alternation) is left to the
 * chat template, which may reject it.
 */
import type { ChatMessage } from "../../tokenizer/chat/types.js";

/** Roles a training conversation may use. */
export const CHAT_ROLES: readonly string[] = ["system", "user", "assistant", "tool"];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Checks one parsed JSON value as a chat record. Returns the messages (a top-level "system"
 * folded in as the first message) or a string saying what is wrong.
 */
export function parseChatRecord(value: unknown): ChatMessage[] | string {
  if (!isObject(value)) return "a chat record must be a JSON object";
  const msgs = value.messages;
  if (msgs === undefined) return 'missing "messages"';
  if (!Array.isArray(msgs)) return '"messages" must be an array';
  if (msgs.length === 0) return '"messages" is empty';
  const out: ChatMessage[] = [];
  const sys = value.system;
  if (sys !== undefined && sys !== null) {
    if (typeof sys !== "string") return '"system" must be a string';
    out.push({ role: "system", content: sys });
  }
  let learnable = false;
  for (let i = 0; i < msgs.length; i++) {
    const m: unknown = msgs[i];
    if (!isObject(m)) return `messages[${i}] must be an object`;
    const role = m.role;
    if (typeof role !== "string") return `messages[${i}].role must be a string`;
    if (!CHAT_ROLES.includes(role)) return `messages[${i}].role "${role}" is not one of ${CHAT_ROLES.join(", ")}`;
    if (role === "system" && (i > 0 || out.length > 0)) {
      return out.length > 0 && i === 0
        ? 'both a "system" field and a system message'
        : `messages[${i}] is a system message after the first message`;
    }
    const toolCalls = role === "assistant" && Array.isArray(m.tool_calls) && m.tool_calls.length > 0;
    const content = m.content;
    if (typeof content !== "string") {
      if (!(toolCalls && (content === null || content === undefined))) return `messages[${i}].content must be a string`;
    }
    if (role === "assistant" && ((typeof content === "string" && content.length > 0) || toolCalls)) learnable = true;
    if (role === "assistant" && !toolCalls && content === "") return `messages[${i}] is an empty assistant message`;
    out.push({ ...(m as ChatMessage) });
  }
  if (!learnable) return "no assistant message to learn from";
  return out;
}
