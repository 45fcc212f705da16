// `glassbox chat [model.gguf]`: an interactive chat in the terminal (or over piped stdin).
import { createInterface } from "node:readline";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Command } from "commander";
import { getBuiltinTemplate, listBuiltinTemplates } from "../tokenizer/chat/index.js";
import { ChatSession, DEFAULT_MODEL_FILE, renderChatPrompt, resolveModelPath, type Backend } from "../backends/index.js";
import { parseGenerateOptions, type DoneEvent } from "../generate/index.js";
import { CHAT_HELP, chatErrorLine, runChatCommand, templateNotice } from "./chat-commands.js";
import { formatFigures } from "./run-format.js";
import { addBackendFlags, contextWarning, addSamplingFlags, openBackendFromFlags, generateOptionsFromFlags, type EngineFlags } from "./sampling-flags.js";

interface ChatFlags extends EngineFlags {
  chatTemplate?: string;
  system?: string;
  verbose?: boolean;
}

export function registerChat(program: Command): void {
  const cmd = program
    .command("chat")
    .description(
      "Chat with a GGUF model in the terminal, using its chat template (or a built-in one with --chat-template). " +
        "Keeps the conversation (dropping its oldest exchanges when it outgrows the context); type /help for the commands (/system, /reset, /set, /exit). Ctrl-C stops an answer; " +
        "Ctrl-C at an empty prompt or Ctrl-D leaves. With standard input not a terminal, each input line is one message " +
        `and the chat ends at end of input. Without a model, uses the default model (${DEFAULT_MODEL_FILE}).`,
    )
    .argument("[model]", "a .gguf model file");
  addSamplingFlags(cmd);
  addBackendFlags(cmd);
  cmd
    .option("--chat-template <name>", `use this built-in chat template instead of the model's own: ${listBuiltinTemplates().join(", ")}`)
    .option("--system <text>", "system prompt")
    .option("--verbose", "print the figures of each answer (tokens, tokens/s) on standard error")
    .action(async (model: string | undefined, flags: ChatFlags) => {
      const options = generateOptionsFromFlags(flags);
      parseGenerateOptions(options);
      if (flags.chatTemplate !== undefined) getBuiltinTemplate(flags.chatTemplate); // an unknown name fails now, not at each message
      const path = resolveModelPath(model);
      const backend = await openBackendFromFlags(path, flags);
      const ctxWarning = contextWarning(backend);
      if (ctxWarning !== undefined) process.stderr.write(ctxWarning + "\n");
      try {
        const notice = templateNotice(backend.chatTemplate, flags.chatTemplate);
        if (notice !== undefined) process.stderr.write(notice + "\n");
        // A template that cannot render even one user message (does not parse, fails in the
        // sandbox) fails now, as one error, instead of once per message.
        await renderChatPrompt(backend, [{ role: "user", content: "hi" }], flags.chatTemplate !== undefined ? { template: flags.chatTemplate } : {});
        const session = new ChatSession(backend, {
          options,
          ...(flags.chatTemplate !== undefined ? { template: flags.chatTemplate } : {}),
          ...(flags.system !== undefined ? { system: flags.system } : {}),
        });
        const failed = await chatLoop(session, backend, !!flags.verbose);
        // a script feeding the chat learns that some messages got no answer
        if (failed > 0 && !(process.stdin.isTTY === true && process.stdout.isTTY === true)) process.exitCode = 1;
      } finally {
        await backend.close();
      }
    });
}

/** The streams a chat talks through: the process's own by default (tests pass their own). */
export interface ChatIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
  /** Interactive terminal: line editing, a "> " prompt, Ctrl-C / Ctrl-D keys. */
  tty: boolean;
}

function processIo(): ChatIo {
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  return { input: process.stdin, output: process.stdout, errors: process.stderr, tty };
}

/**
 * Reads lines until /exit, end of input (Ctrl-D) or Ctrl-C at an empty prompt, answering each
 * message. Returns how many messages failed (got an error instead of an answer). Ctrl-C (or a SIGINT signal) during an answer stops that answer; end of input during
 * an answer lets it finish, then the chat ends.
 */
export async function chatLoop(session: ChatSession, backend: Backend, verbose: boolean, io: ChatIo = processIo()): Promise<number> {
  const { tty, output: out, errors: err } = io;
  let failed = 0;
  const rl = createInterface({ input: io.input, output: tty ? out : undefined, terminal: tty, prompt: "> " });
  let closed = false;
  rl.once("close", () => {
    closed = true;
  });
  // Never prompt after close: prompt() resumes the input, and a flowing stdin keeps the process alive.
  const prompt = (): void => {
    if (tty && !closed) rl.prompt();
  };
  let answering: AbortController | undefined;
  const interrupt = (): void => {
    if (answering !== undefined) {
      answering.abort();
    } else if (tty && rl.line.length > 0) {
      // Ctrl-C on a half-typed line clears it.
      rl.write(null, { ctrl: true, name: "u" });
    } else {
      rl.close();
    }
  };
  rl.on("SIGINT", interrupt); // terminal: readline turns the Ctrl-C key into this event
  process.on("SIGINT", interrupt); // a real signal (piped input, or kill -INT)
  try {
    if (tty) out.write(`glassbox chat: ${backend.name} backend, context ${backend.nCtx} tokens. /help for commands, Ctrl-D to leave.\n`);
    prompt();
    for await (const line of rl) {
      const text = line.trim();
      if (text === "") {
        prompt();
        continue;
      }
      if (text.startsWith("/")) {
        try {
          const r = runChatCommand(session, text);
          if (r.kind === "exit") break;
          if (r.kind === "help") out.write(CHAT_HELP + "\n");
          else err.write(r.text + "\n");
        } catch (e) {
          err.write(chatErrorLine(e) + "\n");
        }
        prompt();
        continue;
      }
      const ctl = new AbortController();
      answering = ctl;
      let done: DoneEvent | undefined;
      let noted = false;
      let wrote = false;
      try {
        for await (const ev of session.send(line)) {
          if (session.lastDropped > 0 && done === undefined && !noted) {
            noted = true;
            err.write(`glassbox: note: the ${session.lastDropped} oldest message(s) were dropped to fit the ${backend.nCtx}-token context\n`);
          }
          wrote = true;
          if (ev.type === "token") out.write(ev.text);
          else {
            out.write(ev.tail);
            done = ev;
          }
          if (ctl.signal.aborted) break;
          await nextTurn(); // let Ctrl-C through between tokens
          if (ctl.signal.aborted) break;
        }
        out.write(ctl.signal.aborted ? " [stopped]\n" : "\n");
        if (verbose && done !== undefined) err.write(formatFigures(done, backend.name, backend.threads) + "\n");
      } catch (e) {
        if (wrote) out.write("\n");
        err.write(chatErrorLine(e, session.system !== undefined && session.system !== "") + "\n");
        failed++;
      } finally {
        answering = undefined;
      }
      if (closed && tty) break; // Ctrl-D during the answer: leave now that it is written
      prompt();
    }
  } finally {
    process.off("SIGINT", interrupt);
    rl.close();
    if (tty) out.write("\n");
  }
  return failed;
}
