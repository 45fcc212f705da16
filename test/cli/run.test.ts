// `glassbox run` as a user runs it: greedy reproduces llama.cpp, --json shape, --probs, --stop,
// chat wrapping, both backends, and one-line errors for bad flags.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { repoRoot, vectorPath } from "../helpers/vectors.js";

const LLAMA = vectorPath("llamacpp", "llama-gqa-f32.gguf");
const EXAMPLE = join(repoRoot, "models", "example.gguf");
const vec = JSON.parse(readFileSync(vectorPath("llamacpp", "llama-gqa-f32.json"), "utf8")) as {
  prompts: Array<{ prompt: string; tokens: number[]; greedy_tokens: number[] }>;
};
const P0 = vec.prompts[0]!;

interface RunJson {
  text: string;
  tokens: Array<{ id: number; piece: string; logprob: number; top: Array<{ id: number; piece: string; logprob: number }> }>;
  usage: { prompt_tokens: number; completion_tokens: number };
  timings: { prompt_per_second: number; predicted_per_second: number };
}

/** The figures line on stderr, parsed. */
function figures(stderr: string): { prompt: number; generated: number } {
  const m = /prompt: (\d+) tokens?, [\d.]+ tokens\/s \| generated: (\d+) tokens?, [\d.]+ tokens\/s/.exec(stderr);
  assert.ok(m, `no figures line in: ${stderr}`);
  return { prompt: Number(m[1]), generated: Number(m[2]) };
}

for (const backend of ["wasm", "llamacpp"] as const) {
  test(`run --json greedy on llama-gqa-f32 reproduces llama.cpp's greedy_tokens (${backend})`, () => {
    const r = runCli(["run", LLAMA, P0.prompt, "--json", "--temperature", "0", "--ignore-eos", "-n", "16", "--backend", backend, "-t", "1"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, "one JSON object");
    const j = JSON.parse(lines[0]!) as RunJson;
    assert.deepEqual(Object.keys(j).sort(), ["text", "timings", "tokens", "usage"]);
    assert.deepEqual(j.tokens.map((t) => t.id), P0.greedy_tokens);
    assert.deepEqual(j.usage, { prompt_tokens: P0.tokens.length, completion_tokens: 16 });
    assert.ok(j.timings.prompt_per_second > 0 && j.timings.predicted_per_second > 0);
    for (const t of j.tokens) {
      assert.equal(typeof t.piece, "string");
      assert.ok(t.logprob <= 0 && t.logprob > -50, `logprob ${t.logprob}`);
      assert.deepEqual(t.top, []);
    }
    assert.equal(j.text.length > 0, true);
    assert.deepEqual(figures(r.stderr), { prompt: 5, generated: 16 });
  });
}

test("run streams the text; aliases --temp and --max-tokens give the same; figures on stderr", () => {
  const a = runCli(["run", LLAMA, P0.prompt, "--temp", "0", "--ignore-eos", "--max-tokens", "8", "-t", "1"]);
  const b = runCli(["run", LLAMA, P0.prompt, "--temperature", "0", "--ignore-eos", "-n", "8", "-t", "1", "--json"]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(a.stdout, (JSON.parse(b.stdout) as RunJson).text + "\n");
  assert.deepEqual(figures(a.stderr), { prompt: 5, generated: 8 });
  assert.match(a.stderr, /backend: wasm, 1 thread \| seed: \d+/);
});

test("run --probs N shows each token's probability and N alternatives, then the text", () => {
  const r = runCli(["run", LLAMA, P0.prompt, "--temp", "0", "--ignore-eos", "-n", "4", "--probs", "3", "-t", "1"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  for (let i = 0; i < 4; i++) {
    const m = /^\s+(\d+)\s+(".*?")\s+([\d.]+)%\s+\| (.*)$/.exec(lines[i]!);
    assert.ok(m, lines[i]);
    assert.equal(Number(m[1]), i + 1);
    const alts = m[4]!.match(/"(?:[^"\\]|\\.)*" [\d.]+%/g) ?? [];
    assert.equal(alts.length, 3, m[4]);
    assert.ok(m[4]!.startsWith("*"), "greedy: the chosen token is the most likely one");
  }
  const j = JSON.parse(runCli(["run", LLAMA, P0.prompt, "--temp", "0", "--ignore-eos", "-n", "4", "--probs", "3", "--json", "-t", "1"]).stdout) as RunJson;
  assert.equal(lines[5], j.text);
  assert.equal(j.tokens[0]!.top.length, 3);
  assert.equal(j.tokens[0]!.top[0]!.id, P0.greedy_tokens[0]);
});

test("run --stop ends at the stop string; --seed makes sampling reproducible", () => {
  const full = JSON.parse(runCli(["run", LLAMA, P0.prompt, "--temp", "0", "--ignore-eos", "-n", "12", "--json", "-t", "1"]).stdout) as RunJson;
  const stop = full.tokens[5]!.piece.trim() || full.tokens[6]!.piece.trim();
  const cut = full.text.indexOf(stop);
  const r = runCli(["run", LLAMA, P0.prompt, "--temp", "0", "--ignore-eos", "-n", "12", "--stop", "zzzz-never", "--stop", stop, "--json", "-t", "1"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as RunJson).text, full.text.slice(0, cut));
  assert.match(r.stderr, /finish: stop/);

  const s1 = runCli(["run", LLAMA, P0.prompt, "--seed", "7", "--temp", "1.2", "-n", "10", "--ignore-eos", "-t", "1"]);
  const s2 = runCli(["run", LLAMA, P0.prompt, "--seed", "7", "--temp", "1.2", "-n", "10", "--ignore-eos", "-t", "1"]);
  assert.equal(s1.status, 0, s1.stderr);
  assert.equal(s1.stdout, s2.stdout);
  assert.match(s1.stderr, /seed: 7$/m);
});

test("run --system / --chat wrap the prompt in the chat template (example model)", () => {
  const plain = runCli(["run", EXAMPLE, "Call me Ishmael.", "--temp", "0", "-n", "4", "--ignore-eos", "-t", "1"]);
  const chat = runCli(["run", EXAMPLE, "Call me Ishmael.", "--system", "Be brief.", "--temp", "0", "-n", "4", "--ignore-eos", "-t", "1"]);
  const chat2 = runCli(["run", EXAMPLE, "Call me Ishmael.", "--chat", "--temp", "0", "-n", "4", "--ignore-eos", "-t", "1"]);
  for (const r of [plain, chat, chat2]) assert.equal(r.status, 0, r.stderr);
  const pPlain = figures(plain.stderr).prompt;
  const pChat = figures(chat.stderr).prompt;
  const pChat2 = figures(chat2.stderr).prompt;
  assert.ok(pChat2 > pPlain, `${pChat2} > ${pPlain}`);
  assert.ok(pChat > pChat2, `${pChat} > ${pChat2}`);
  const named = runCli(["run", EXAMPLE, "hi", "--chat-template", "no-such", "-n", "2", "-t", "1"]);
  assert.notEqual(named.status, 0);
  assert.match(named.stderr, /CHAT_TEMPLATE_UNKNOWN/);
});

test("run reads the prompt from stdin when none is given", () => {
  const a = runCli(["run", LLAMA, "--temp", "0", "--ignore-eos", "-n", "4", "-t", "1", "--json"], { input: P0.prompt });
  assert.equal(a.status, 0, a.stderr);
  assert.deepEqual((JSON.parse(a.stdout) as RunJson).tokens.map((t) => t.id), P0.greedy_tokens.slice(0, 4));
});

test("bad flags give a one-line error and a non-zero exit", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--top-p", "1.5"], /INVALID_OPTION.*top_p/],
    [["--temperature", "-1"], /INVALID_OPTION.*temperature/],
    [["--temperature", "warm"], /--temperature.*not a number/],
    [["--top-k", "2.5"], /--top-k.*not an integer/],
    [["--backend", "cuda"], /--backend.*cuda/],
    [["--no-such-flag"], /unknown option/],
    [["--lora", "adapter.gguf"], /FILE_NOT_FOUND.*adapter.gguf/],
    [["-t", "0"], /INVALID_OPTION.*threads/],
    [["--probs", "-2"], /INVALID_OPTION.*probs/],
  ];
  for (const [flags, pattern] of cases) {
    const r = runCli(["run", LLAMA, "hi", "-n", "2", ...flags]);
    assert.notEqual(r.status, 0, flags.join(" "));
    assert.equal(r.stdout, "", flags.join(" "));
    const errorLines = r.stderr.split("\n").filter((l) => /error/i.test(l));
    assert.equal(errorLines.length, 1, `${flags.join(" ")}: ${r.stderr}`);
    assert.match(errorLines[0]!, pattern);
  }
  const missing = runCli(["run", "/nonexistent/model.gguf", "hi"]);
  assert.notEqual(missing.status, 0);
  assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
});
