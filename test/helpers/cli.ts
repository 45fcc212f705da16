// Runs the compiled `glassbox` CLI in a child process, as a user would.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";

// The compiled CLI entry beside this test build (dist/src/cli.js, or the same under another outDir).
export const cliPath = join(dirname(fileURLToPath(import.meta.url)), "../../src/cli.js");

export interface CliResult { status: number | null; stdout: string; stderr: string }

/** Runs `glassbox ...args` and returns exit status and output. */
export function runCli(args: string[], opts: { input?: string; timeoutMs?: number; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 60_000, cwd: opts.cwd,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
