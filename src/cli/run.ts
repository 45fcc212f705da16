// `glassbox run <model.gguf> [prompt]`: stream one completion to stdout, figures on stderr.
import { setImmediate as nextTurn } from "node:timers/promises";
import { isatty } from "node:tty";
import type { Command } from "commander";
import { listBuiltinTemplates } from "../tokenizer/chat/index.js";
import { encodeChatPrompt } from "../backends/index.js";
import { GlassboxError } from "../errors.js";
import { generate, parseGenerateOptions, type DoneEvent, type TokenEvent } from "../generate/index.js";
import type { ChatMessage } from "../tokenizer/chat/index.js";
import { readTextFileSync } from "../tokenizer/text-input.js";
import { templateNotice } from "./chat-commands.js";
import { formatFigures, formatProbsLine, runJson } from "./run-format.js";
import { addBackendFlags, contextWarning, addSamplingFlags, openBackendFromFlags, generateOptionsFromFlags, parseInteger, type EngineFlags } from "./sampling-flags.js";

interface RunFlags extends EngineFlags {
  json?: boolean;
  probs?: number;
  chat?: boolean;
  chatTemplate?: string;
  system?: string;
  file?: string;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command("run")
    .description(
      "Generate a completion of a prompt with a GGUF model and stream it to standard output; a line of figures " +
        "(prompt and generated tokens, tokens/s of prefill and decode) goes to standard error. " +
        "Without a prompt (and without --file) the prompt is read from standard input.",
    )
    .argument("<model>", "a .gguf model file")
    .argument("[prompt]", "the text to complete");
  addSamplingFlags(cmd);
  addBackendFlags(cmd);
  cmd
    .option("--json", 'print one JSON object instead: {"text","tokens":[{"id","piece","logprob","top"}],"usage","timings"}')
    .option("--probs <n>", "show each generated token with its probability and the n most likely alternatives", parseInteger)
    .option("--chat", "wrap the prompt as a user message in the model's chat template")
    .option("--chat-template <name>", `wrap the prompt with this built-in chat template (implies --chat): ${listBuiltinTemplates().join(", ")}`)
    .option("--system <text>", "system prompt for the chat template (implies --chat)")
    .option("--file <path>", "read the prompt from a UTF-8 file (not together with a prompt argument)")
    .action(async (model: string, prompt: string | undefined, flags: RunFlags, command: Command) => {
      if (flags.file !== undefined && prompt !== undefined) command.error("give the prompt as an argument or with --file, not both");
      const options = generateOptionsFromFlags(flags);
      if (flags.probs !== undefined) {
        if (flags.probs < 0) throw new GlassboxError("INVALID_OPTION", `--probs must be >= 0, got ${flags.probs}`);
        options.logprobs = flags.probs;
      } else if (flags.json) {
        options.logprobs = 0;
      }
      parseGenerateOptions(options); // bad values fail before the model is loaded
      // Strict UTF-8 (a bad byte is TEXT_NOT_UTF8, never a silent U+FFFD); errors name the file.
      if (flags.file === undefined && prompt === undefined && isatty(0)) {
        // Otherwise a terminal just sits there, waiting for the end of input. (isatty, not
        // process.stdin.isTTY: creating that stream makes fd 0 non-blocking, and the read EAGAIN.)
        process.stderr.write("glassbox run: reading the prompt from the terminal; end it with Ctrl-D on an empty line (or pass it as an argument)\n");
      }
      const text = flags.file !== undefined ? readTextFileSync(flags.file) : prompt ?? readTextFileSync(0);
      const backend = await openBackendFromFlags(model, flags);
      const ctxWarning = contextWarning(backend);
      if (ctxWarning !== undefined) process.stderr.write(ctxWarning + "\n");
      try {
        const chat = flags.chat || flags.chatTemplate !== undefined || flags.system !== undefined;
        let input: string | Int32Array = text;
        if (chat) {
          const notice = templateNotice(backend.chatTemplate, flags.chatTemplate);
          if (notice !== undefined) process.stderr.write(notice + "\n");
          const messages: ChatMessage[] = [];
          if (flags.system !== undefined) messages.push({ role: "system", content: flags.system });
          messages.push({ role: "user", content: text });
          input = await encodeChatPrompt(backend, messages, flags.chatTemplate !== undefined ? { template: flags.chatTemplate } : {});
        }
        const tokens: TokenEvent[] = [];
        let done: DoneEvent | undefined;
        let index = 0;
        for await (const ev of generate(backend, backend.tokenizer, input, options)) {
          if (ev.type === "done") {
            done = ev;
          } else if (flags.json) {
            tokens.push(ev);
          } else {
            process.stdout.write(flags.probs !== undefined ? formatProbsLine(++index, ev) + "\n" : ev.text);
            // Let I/O events in between tokens: a closed pipe (EPIPE, `| head`) then ends the run
            // now, instead of after the whole generation.
            await nextTurn();
          }
        }
        if (done === undefined) throw new Error("generation ended without a done event");
        if (flags.json) process.stdout.write(JSON.stringify(runJson(tokens, done)) + "\n");
        else if (flags.probs !== undefined) process.stdout.write(`\n${done.text}\n`);
        else process.stdout.write(done.tail + "\n");
        process.stderr.write(formatFigures(done, backend.name, backend.threads) + "\n");
      } finally {
        await backend.close();
      }
    });
}
