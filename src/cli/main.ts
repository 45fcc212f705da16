/**
 * CLI dispatcher. Each command lives in its own file and registers itself on the program;
 * commands hold no logic of their own beyond argument handling and printing.
 * Errors become one line on stderr and a non-zero exit code: 2 for a bad command line (code
 * USAGE), 1 for everything else.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { GlassboxError } from "../errors.js";
import { commands } from "./commands.js";
import { printableText } from "./format.js";

/** Exit code of a command line that commander rejects (unknown option, missing argument...). */
export const USAGE_EXIT_CODE = 2;

/** Commander "errors" that are really help or version output, already printed. */
const NOT_ERRORS = new Set(["commander.help", "commander.helpDisplayed", "commander.version"]);

/** The `version` of the package.json beside the compiled code (<root>/<outDir>/src/cli/main.js). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** Builds the commander program with every command registered. */
export function buildProgram(): Command {
  const program = new Command("glassbox")
    .description("Run, inspect, change and serve open language models (GGUF) from Node.js")
    .version(packageVersion())
    // Commander's own message is printed by main() as one `glassbox: error [USAGE]` line.
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/**
 * Formats any thrown value as the one line the CLI prints: `glassbox: error [CODE]: message`.
 * Node's system errors keep their errno code (without repeating it in the message); anything
 * without a code is a bug and says INTERNAL. Control characters from file contents or paths are
 * escaped, so the line stays one line.
 */
export function errorLine(e: unknown): string {
  let code = "INTERNAL";
  let message = e instanceof Error ? e.message : String(e);
  if (e instanceof GlassboxError) code = e.code;
  else if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string") {
    code = (e as NodeJS.ErrnoException).code!;
    if (message.startsWith(`${code}: `)) message = message.slice(code.length + 2);
  }
  return `glassbox: error [${printableText(code)}]: ${printableText(message)}`;
}

/** Commander's message ("error: unknown option '--x'\n(Did you mean --y?)") as one USAGE line. */
export function usageLine(message: string): string {
  const text = message.replace(/^error: /, "").split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ");
  return `glassbox: error [USAGE]: ${printableText(text)} (see --help)`;
}

/** Runs the CLI on argv and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version were printed by commander; everything else is a bad command line.
      if (NOT_ERRORS.has(e.code)) return e.exitCode;
      process.stderr.write(usageLine(e.message) + "\n");
      return USAGE_EXIT_CODE;
    }
    process.stderr.write(errorLine(e) + "\n");
    return 1;
  }
}
