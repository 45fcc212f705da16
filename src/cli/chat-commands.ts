// The slash commands of `glassbox chat`: /system, /reset, /set, /exit, /help.
import type { ChatSession } from "../backends/index.js";
import { GlassboxError, isGlassboxError } from "../errors.js";
import { parseGenerateOptions } from "../generate/index.js";
import { resolveChatTemplate } from "../tokenizer/chat/index.js";

/** The /help text. */
export const CHAT_HELP = [
  "commands:",
  "  /system <text>     set the system prompt (/system alone removes it)",
  "  /reset             forget the conversation (the system prompt stays)",
  "  /set <name> <value>  set a generation option, e.g. /set temperature 0.7, /set top-k 20, /set max-tokens 64",
  "                     (/set <name> alone restores its starting value; /set alone lists the options)",
  "  /exit              leave (also Ctrl-D, or Ctrl-C at an empty prompt)",
  "  /help              this text",
  "Ctrl-C while an answer is being written stops that answer.",
].join("\n");

/** Option names as typed (--flag spellings and aliases) -> GenerateOptions names. */
const ALIASES: Record<string, string> = { temp: "temperature", n: "max_tokens" };

/** "top-k" / "top_k" / "temp" -> "top_k" / "temperature". */
export function optionName(name: string): string {
  const n = name.replace(/^-+/, "").replace(/-/g, "_").toLowerCase();
  return ALIASES[n] ?? n;
}

/** Reads an option value as typed: a number, true/false, or else the text itself. */
export function optionValue(text: string): unknown {
  const t = text.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t !== "" && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/** What a chat input line asks for. */
export type ChatCommandResult =
  | { kind: "exit" }
  | { kind: "message"; text: string } // feedback to print
  | { kind: "help" };

/** The current settings, one "name = value" per line (defaults filled in). */
export function describeOptions(session: ChatSession): string {
  const o = parseGenerateOptions(session.options) as unknown as Record<string, unknown>;
  const lines = Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined && !(Array.isArray(o[k]) && (o[k] as unknown[]).length === 0))
    .map((k) => `  ${k} = ${JSON.stringify(o[k])}`);
  return ["generation options:", ...lines].join("\n");
}

/**
 * Runs one slash command (`line` starts with "/") on the session.
 * @throws GlassboxError CHAT_UNKNOWN_COMMAND for an unknown command, INVALID_OPTION for a bad
 *   /set (the session is unchanged then).
 */
export function runChatCommand(session: ChatSession, line: string): ChatCommandResult {
  const m = /^\/(\S*)\s*([\s\S]*)$/.exec(line.trim())!;
  const cmd = m[1]!.toLowerCase();
  const rest = m[2]!.trim();
  switch (cmd) {
    case "exit":
    case "quit":
    case "bye":
      return { kind: "exit" };
    case "help":
    case "?":
      return { kind: "help" };
    case "reset":
    case "clear":
      session.reset();
      return { kind: "message", text: "(conversation cleared)" };
    case "system":
      session.system = rest === "" ? undefined : rest;
      return { kind: "message", text: rest === "" ? "(system prompt removed)" : "(system prompt set)" };
    case "set": {
      if (rest === "") return { kind: "message", text: describeOptions(session) };
      const sp = /^(\S+)\s*([\s\S]*)$/.exec(rest)!;
      const name = optionName(sp[1]!);
      const value = sp[2]!.trim() === "" ? undefined : optionValue(sp[2]!);
      session.setOption(name, value);
      const now = (session.options as Record<string, unknown>)[name];
      if (now !== undefined) return { kind: "message", text: `(${name} = ${JSON.stringify(now)})` };
      // back to the built-in default: say what it is (undefined ones, e.g. seed, mean "none")
      const filled = (parseGenerateOptions(session.options) as unknown as Record<string, unknown>)[name];
      return { kind: "message", text: `(${name} = ${filled === undefined ? "none" : JSON.stringify(filled)}, the default)` };
    }
    default:
      throw new GlassboxError("CHAT_UNKNOWN_COMMAND", `unknown command /${cmd}; type /help for the list`);
  }
}

/**
 * One line for an error during the chat (the chat goes on): "error [CODE]: message", with a
 * hint when the prompt does not fit the context (then the message, with the system prompt when
 * `hasSystem`, is too long by itself: the earlier conversation was already dropped to make room,
 * and /reset would not help).
 */
export function chatErrorLine(e: unknown, hasSystem = false): string {
  const msg = e instanceof Error ? e.message : String(e);
  const code = isGlassboxError(e) ? ` [${e.code}]` : "";
  // ChatSession drops old exchanges to make room, so a prompt that still does not fit is the
  // new message (with the system prompt) alone
  const what = hasSystem ? "the system prompt and the message are" : "the message is";
  const fix = hasSystem ? "shorten them (/system to change the system prompt)" : "shorten it";
  const hint = isGlassboxError(e, "PROMPT_TOO_LONG")
    ? ` (${what} too long even without the earlier conversation: ${fix}, or start the chat with a larger --ctx-size)`
    : "";
  return `glassbox: error${code}: ${msg}${hint}`;
}

/**
 * The note printed (standard error) when a chat runs on a model without a chat template and no
 * --chat-template was given, so that the fallback is not silent; undefined otherwise.
 */
export function templateNotice(modelTemplate: string | undefined, name: string | undefined): string | undefined {
  if (name !== undefined) return undefined;
  const r = resolveChatTemplate(modelTemplate);
  if (r.kind !== "builtin") return undefined;
  return `glassbox: note: the model has no chat template; using the built-in '${r.name}' (choose another with --chat-template)`;
}
