// The `run` output helpers: the --probs line without alternatives (--probs 0) and the figures
// line of a run that evaluated nothing in a phase (-n 0).
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatFigures, formatProbsLine } from "../../src/cli/run-format.js";
import type { DoneEvent } from "../../src/generate/index.js";

test("--probs 0: the line ends after the probability (no empty alternatives column)", () => {
  const line = formatProbsLine(3, { type: "token", id: 7, piece: " the", text: " the", logprob: Math.log(0.5), top: [] });
  assert.equal(line, `   3  " the"          50.00%`);
  const withAlts = formatProbsLine(3, { type: "token", id: 7, piece: " the", text: " the", logprob: Math.log(0.5), top: [{ id: 7, piece: " the", logprob: Math.log(0.5) }] });
  assert.match(withAlts, /50\.00% {2}\| \*" the" 50\.00%$/);
});

test("figures: a phase that evaluated no tokens shows no rate; others show tokens/s", () => {
  const done = (promptN: number, completion: number): DoneEvent => ({
    type: "done", finishReason: "length", text: "", tail: "", seed: 1,
    usage: { prompt_tokens: 5, completion_tokens: completion, total_tokens: 5 + completion },
    timings: { prompt_n: promptN, prompt_ms: 10, prompt_per_second: promptN * 100, predicted_n: completion, predicted_ms: 20, predicted_per_second: completion * 50 },
  } as DoneEvent);
  const none = formatFigures(done(0, 0), "wasm", 1);
  assert.match(none, /^prompt: 5 tokens \| generated: 0 tokens \| finish: length/);
  assert.match(formatFigures(done(5, 1), "wasm", 1), /generated: 1 token, 50\.0 tokens\/s/);
  const some = formatFigures(done(5, 4), "wasm", 2);
  assert.match(some, /^prompt: 5 tokens, 500\.0 tokens\/s \| generated: 4 tokens, 200\.0 tokens\/s \| .*2 threads/);
});
