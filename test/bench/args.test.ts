// The bench scripts' options (bench/args.ts): --help, unknown flags, missing and non-numeric values.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ours = join(dirname(fileURLToPath(import.meta.url)), "../../bench/engine/ours.js");
const run = (...args: string[]) => spawnSync(process.execPath, [ours, ...args], { encoding: "utf8", timeout: 30_000 });

test("bench script --help prints the usage and every option, exit 0", () => {
  const r = run("--help");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: node dist\/bench\/engine\/ours\.js --model F/);
  for (const o of ["--model <value>", "--threads <value>", "--n-batch <value>", "--profile", "--help"]) assert.ok(r.stdout.includes(o), `help lacks ${o}`);
});

test("bench script: unknown flag, missing required option, non-numeric value -> exit 2 with the reason", () => {
  for (const [args, why] of [[["--model", "x.gguf", "--bogus"], /Unknown option '--bogus'/], [[], /missing --model/], [["--model", "x.gguf", "--threads", "two"], /--threads must be a number, got "two"/]] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.match(r.stderr, /usage:/);
  }
});
