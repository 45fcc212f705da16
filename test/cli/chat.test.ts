// `glassbox chat` driven through piped stdin (non-TTY mode: one message per line, exit at end of
// input) with models/example.gguf, a random-weight model: its answers are gibberish, but greedy
// answers are reproducible, which is what these tests compare.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cliPath, runCli } from "../helpers/cli.js";
import { repoRoot, vectorPath } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");
const GREEDY = ["--temp", "0", "--ignore-eos", "-n", "6", "-t", "1", "--verbose"];

/** Runs `glassbox chat <model> GREEDY flags` on `input`; model null: no model argument. */
function chat(input: string, flags: string[] = [], model: string | null = EXAMPLE) {
  return runCli(["chat", ...(model !== null ? [model] : []), ...GREEDY, ...flags], { input });
}

/** The per-answer figures lines (--verbose) on stderr. */
function figures(stderr: string): Array<{ prompt: number; generated: number }> {
  return [...stderr.matchAll(/prompt: (\d+) tokens?, [\d.]+ tokens\/s \| generated: (\d+) tokens?/g)].map((m) => ({
    prompt: Number(m[1]),
    generated: Number(m[2]),
  }));
}

test("chat answers each line and exits at end of input; the conversation is kept", () => {
  const one = chat("Call me Ishmael.\n");
  assert.equal(one.status, 0, one.stderr);
  assert.equal(figures(one.stderr).length, 1);
  assert.ok(one.stdout.endsWith("\n"));
  const two = chat("Call me Ishmael.\nSome years ago.\n");
  assert.equal(two.status, 0, two.stderr);
  const f = figures(two.stderr);
  assert.equal(f.length, 2);
  assert.ok(two.stdout.startsWith(one.stdout), "the first answer is the same");
  // The second prompt holds the whole conversation: both messages and the first answer.
  assert.ok(f[1]!.prompt > f[0]!.prompt + 6, `${f[1]!.prompt} vs ${f[0]!.prompt}`);
});

test("/reset forgets the conversation: the same question gets the same answer again", () => {
  const one = chat("Call me Ishmael.\n");
  const r = chat("Call me Ishmael.\n/reset\nCall me Ishmael.\n");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, one.stdout + one.stdout);
  const f = figures(r.stderr);
  assert.equal(f[0]!.prompt, f[1]!.prompt);
  assert.match(r.stderr, /conversation cleared/);
});

test("/set changes generation options; bad /set and unknown commands are reported and the chat goes on", () => {
  const r = chat("/set max-tokens 3\nHello\n/set top_p 7\n/set bogus 1\n/frobnicate\n/set temp 0.5\n/set n\nHello again\n");
  assert.equal(r.status, 0, r.stderr);
  const f = figures(r.stderr);
  assert.equal(f.length, 2);
  assert.equal(f[0]!.generated, 3);
  assert.equal(f[1]!.generated, 6, "/set n alone restores the -n given on the command line");
  assert.match(r.stderr, /max_tokens = 3/);
  assert.match(r.stderr, /INVALID_OPTION.*top_p/);
  assert.match(r.stderr, /INVALID_OPTION.*bogus/);
  assert.match(r.stderr, /CHAT_UNKNOWN_COMMAND.*frobnicate/);
  assert.match(r.stderr, /temperature = 0.5/);
  assert.match(r.stderr, /max_tokens = 6/);
});

test("/system sets the system prompt (a longer prompt); /exit stops reading; /help lists the commands", () => {
  const r = chat("Hello\n/system You are a whaler.\nHello\n/help\n/exit\nThis line is never answered\n");
  assert.equal(r.status, 0, r.stderr);
  const f = figures(r.stderr);
  assert.equal(f.length, 2);
  assert.match(r.stderr, /system prompt set/);
  assert.match(r.stdout, /\/system <text>/);
  assert.match(r.stdout, /\/reset/);
  const sys = chat("Hello\n", ["--system", "You are a whaler."]);
  const plain = chat("Hello\n");
  assert.ok(figures(sys.stderr)[0]!.prompt > figures(plain.stderr)[0]!.prompt);
});

test("chat runs on the llamacpp backend too, with the same greedy answer", () => {
  const w = chat("Call me Ishmael.\n");
  const l = chat("Call me Ishmael.\n", ["--backend", "llamacpp"]);
  assert.equal(l.status, 0, l.stderr);
  assert.equal(l.stdout, w.stdout);
});

test("chat without a model answers with the shipped default model, models/glassbox-tiny.gguf (same answer as naming it)", () => {
  const tiny = join(repoRoot, "models", "glassbox-tiny.gguf");
  assert.ok(existsSync(tiny), "the default model ships in models/ (npm run train:default makes it)");
  const dflt = chat("Call me Ishmael.\nWhat is the sea?\n", [], null);
  assert.equal(dflt.status, 0, dflt.stderr);
  const named = chat("Call me Ishmael.\nWhat is the sea?\n", [], tiny);
  assert.equal(named.status, 0, named.stderr);
  assert.equal(dflt.stdout, named.stdout);
  assert.deepEqual(figures(dflt.stderr).map((f) => f.generated), [6, 6]);
  assert.doesNotMatch(dflt.stderr, /no chat template/, "the default model carries its own chat template");
  console.log(`glassbox-tiny, greedy: ${JSON.stringify(dflt.stdout)}`);
});

/** Polls `cond` every 20 ms; resolves true when it holds, false after `ms`. */
function waitFor(cond: () => boolean, ms = 30_000): Promise<boolean> {
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => (clearInterval(poll), resolve(false)), ms);
    const poll = setInterval(() => {
      if (cond()) {
        clearInterval(poll);
        clearTimeout(giveUp);
        resolve(true);
      }
    }, 20);
  });
}

test("Ctrl-C (SIGINT) stops the answer being written, not the chat; at the prompt it leaves", async () => {
  const llama = vectorPath("llamacpp", "llama-gqa-f32.gguf");
  const child = spawn(process.execPath, [cliPath, "chat", llama, "-n", "450", "--ignore-eos", "-t", "1", "--verbose"], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const firstOutput = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  child.stdin.write("Hello\n");
  await firstOutput;
  child.kill("SIGINT");
  assert.ok(await waitFor(() => stdout.includes("[stopped]")), `no [stopped] marker; stdout: ${stdout.slice(-200)} stderr: ${stderr}`);
  child.stdin.write("/set n 2\nHi\n");
  assert.ok(await waitFor(() => figures(stderr).length === 1), `no answer after the stop; stderr: ${stderr}`);
  assert.equal(figures(stderr)[0]!.generated, 2, "the chat went on after the stopped answer");
  child.kill("SIGINT"); // at the prompt: leave
  assert.equal(await exited, 0, stderr);
});

test("chat: an unknown --chat-template fails at start (exit 1, one line); a context past the model's training gets a warning", () => {
  const bad = runCli(["chat", EXAMPLE, "--chat-template", "bogus"], { input: "hi\nhi\n" });
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^glassbox: error \[CHAT_TEMPLATE_UNKNOWN\]: no built-in chat template named 'bogus'/);
  assert.equal(bad.stderr.trim().split("\n").length, 1);
  const tiny = join(repoRoot, "models", "glassbox-tiny.gguf");
  const wide = chat("hi\n", ["-c", "256"], tiny);
  assert.equal(wide.status, 0, wide.stderr);
  assert.match(wide.stderr, /glassbox: warning: context 256 is larger than the 128 tokens the model was trained with/);
  assert.doesNotMatch(chat("hi\n", [], tiny).stderr, /warning: context/);
});
