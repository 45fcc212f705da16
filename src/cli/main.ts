/**
 * CLI dispatcher. Each command lives in its own file and registers itself on the program;
 * commands hold no logic of their own beyond argument handling and printing.
 * Errors become one line on stderr and a non-zero exit code.
 */
import { Command, CommanderError } from "commander";
import { GlassboxError } from "../errors.js";
import { commands } from "./commands.js";

/** Builds the commander program with every command registered. */
export function buildProgram(): Command {
  const program = new Command("glassbox")
    .description("Run, inspect, change and serve open language models (GGUF) from Node.js")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Formats any thrown value as the one line the CLI prints. */
export function errorLine(e: unknown): string {
  if (e instanceof GlassboxError) return `glassbox: error [${e.code}]: ${e.message}`;
  if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string" && e instanceof Error) {
    return `glassbox: error [${(e as NodeJS.ErrnoException).code}]: ${e.message}`;
  }
  return `glassbox: error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Runs the CLI on argv and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander has already printed its message (or help/version, which exit 0).
      return e.exitCode;
    }
    process.stderr.write(errorLine(e) + "\n");
    return 1;
  }
}
