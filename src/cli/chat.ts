// `glassbox chat [model.gguf]`: an interactive chat in the terminal (or over piped stdin).
import { createInterface } from "node:readline";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Command } from "commander";
import { listBuiltinTemplates } from "../tokenizer/chat/index.js";
import { ChatSession, DEFAULT_MODEL_FILE, openBackend, resolveModelPath, type Backend } from "../backends/index.js";
import { parseGenerateOptions, type DoneEvent } from "../generate/index.js";
import { CHAT_HELP, chatErrorLine, runChatCommand } from "./chat-commands.js";
import { formatFigures } from "./run-format.js";
import { addBackendFlags, addSamplingFlags, backendOptionsFromFlags, generateOptionsFromFlags, type EngineFlags } from "./sampling-flags.js";

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
        "Keeps the conversation; type /help for the commands (/system, /reset, /set, /exit). Ctrl-C stops an answer; " +
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
      const path = resolveModelPath(model);
      const backend = await openBackend(path, backendOptionsFromFlags(flags));
      try {
        const session = new ChatSession(backend, {
          options,
          ...(flags.chatTemplate !== undefined ? { template: flags.chatTemplate } : {}),
          ...(flags.system !== undefined ? { system: flags.system } : {}),
        });
        await chatLoop(session, backend, !!flags.verbose);
      } finally {
        await backend.close();
      }
    });
}

/** Reads lines from stdin until /exit, end of input or Ctrl-C at an empty prompt. */
async function chatLoop(session: ChatSession, backend: Backend, verbose: boolean): Promise<void> {
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const out = process.stdout;
  const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty, prompt: "> " });
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
  rl.on("SIGINT", interrupt); // terminal: readline turns Ctrl-C into this event
  if (!tty) process.on("SIGINT", interrupt); // piped input: a real signal
  try {
    if (tty) {
      out.write(`glassbox chat: ${backend.name} backend, context ${backend.nCtx} tokens. /help for commands, Ctrl-D to leave.\n`);
      rl.prompt();
    }
    for await (const line of rl) {
      const text = line.trim();
      if (text === "") {
        if (tty) rl.prompt();
        continue;
      }
      if (text.startsWith("/")) {
        try {
          const r = runChatCommand(session, text);
          if (r.kind === "exit") break;
          if (r.kind === "help") out.write(CHAT_HELP + "\n");
          else process.stderr.write(r.text + "\n");
        } catch (e) {
          process.stderr.write(chatErrorLine(e) + "\n");
        }
        if (tty) rl.prompt();
        continue;
      }
      const ctl = new AbortController();
      answering = ctl;
      let done: DoneEvent | undefined;
      try {
        for await (const ev of session.send(line)) {
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
        if (verbose && done !== undefined) process.stderr.write(formatFigures(done, backend.name, backend.threads) + "\n");
      } catch (e) {
        out.write("\n");
        process.stderr.write(chatErrorLine(e) + "\n");
      } finally {
        answering = undefined;
      }
      if (tty) rl.prompt();
    }
  } finally {
    if (!tty) process.off("SIGINT", interrupt);
    rl.close();
    if (tty) out.write("\n");
  }
}
