/**
 * Command-line options of the bench scripts, through node:util parseArgs (strict: an unknown
 * flag or a missing value is an error). `--help` prints the usage and the options and exits 0;
 * a bad flag, a missing required option or a value that is not a number where one is wanted
 * prints the error and the usage on stderr and exits 2.
 */
import { parseArgs } from "node:util";

/** One option: a string (`--name value`) or a flag (`--name`). */
export type BenchOption =
  | { type: "string"; help: string; default?: string; required?: boolean; number?: boolean }
  | { type: "boolean"; help: string };

type Values<T extends Record<string, BenchOption>> = { [K in keyof T]: T[K]["type"] extends "string" ? string : boolean };

/**
 * Parses process.argv (after the script) against `options`.
 * @param usage first help line, e.g. "node dist/bench/engine/ours.js --model F [options]".
 * @param about what the script does (printed under the usage).
 * @returns every option's value: strings (default "" when none is given and none is required), flags as booleans.
 */
export function benchArgs<T extends Record<string, BenchOption>>(usage: string, about: string, options: T, argv = process.argv.slice(2)): Values<T> {
  const help = (): string => [
    `usage: ${usage}`, "", about, "", "options:",
    ...Object.entries(options).map(([name, o]) => {
      const flag = o.type === "string" ? `--${name} <value>` : `--${name}`;
      const def = o.type === "string" && o.default !== undefined ? ` (default ${o.default})` : o.type === "string" && o.required ? " (required)" : "";
      return `  ${flag.padEnd(28)} ${o.help}${def}`;
    }),
    `  ${"--help".padEnd(28)} this text`,
  ].join("\n");
  const fail = (msg: string): never => {
    process.stderr.write(`error: ${msg}\n\n${help()}\n`);
    process.exit(2);
  };
  const config = Object.fromEntries(Object.entries(options).map(([k, o]) => [k, { type: o.type }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...config, help: { type: "boolean" } }, strict: true, allowPositionals: false }) as { values: Record<string, string | boolean | undefined> });
  } catch (e) {
    return fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${help()}\n`);
    process.exit(0);
  }
  const out: Record<string, string | boolean> = {};
  for (const [name, o] of Object.entries(options)) {
    const v = values[name];
    if (o.type === "boolean") {
      out[name] = v === true;
      continue;
    }
    if (v === undefined && o.required) fail(`missing --${name}`);
    const s = typeof v === "string" ? v : (o.default ?? "");
    if (o.number && s !== "" && !Number.isFinite(Number(s))) fail(`--${name} must be a number, got "${s}"`);
    out[name] = s;
  }
  return out as Values<T>;
}
