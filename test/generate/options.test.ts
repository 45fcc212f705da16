// Option validation: defaults, clear INVALID_OPTION messages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SAMPLING, parseGenerateOptions } from "../../src/generate/index.js";
import { isGlassboxError } from "../../src/errors.js";

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isGlassboxError(e, "INVALID_OPTION"), `expected INVALID_OPTION, got ${String(e)}`);
    return (e as Error).message;
  }
  assert.fail("expected an error");
}

test("defaults are llama.cpp's", () => {
  assert.equal(DEFAULT_SAMPLING.temperature, 0.8);
  assert.equal(DEFAULT_SAMPLING.top_k, 40);
  assert.equal(DEFAULT_SAMPLING.top_p, 0.95);
  assert.equal(DEFAULT_SAMPLING.min_p, 0.05);
  assert.equal(DEFAULT_SAMPLING.repeat_penalty, 1);
  assert.equal(DEFAULT_SAMPLING.repeat_last_n, 64);
  const o = parseGenerateOptions({ stop: "\n" });
  assert.deepEqual(o.stop, ["\n"]);
  assert.equal(o.ignore_eos, false);
  assert.equal(o.max_tokens, undefined);
});

test("out-of-range values name the option, the rule and the value", () => {
  assert.match(message(() => parseGenerateOptions({ top_p: 1.5 })), /top_p.*\(0, 1\].*got 1\.5/);
  assert.match(message(() => parseGenerateOptions({ top_p: 0 })), /top_p.*got 0/);
  assert.match(message(() => parseGenerateOptions({ temperature: -1 })), /temperature must be >= 0.*got -1/);
  assert.match(message(() => parseGenerateOptions({ top_k: 2.5 })), /top_k must be an integer.*got 2\.5/);
  assert.match(message(() => parseGenerateOptions({ min_p: 2 })), /min_p/);
  assert.match(message(() => parseGenerateOptions({ repeat_penalty: 0 })), /repeat_penalty must be > 0/);
  assert.match(message(() => parseGenerateOptions({ frequency_penalty: 3 })), /frequency_penalty must be in \[-2, 2\]/);
  assert.match(message(() => parseGenerateOptions({ max_tokens: -1 })), /max_tokens/);
  assert.match(message(() => parseGenerateOptions({ seed: -5 })), /seed/);
  assert.match(message(() => parseGenerateOptions({ stop: [""] })), /stop strings must be non-empty/);
  assert.match(message(() => parseGenerateOptions({ temperature: "hot" })), /temperature must be a finite number.*got "hot"/);
  assert.match(message(() => parseGenerateOptions({ temperature: Infinity })), /temperature/);
  assert.match(message(() => parseGenerateOptions({ topP: 0.5 })), /unknown option\(s\): topP/);
  assert.match(message(() => parseGenerateOptions({ logit_bias: 5 })), /logit_bias/);
});

test("valid edge values are accepted", () => {
  const o = parseGenerateOptions({
    temperature: 0,
    top_p: 1,
    min_p: 0,
    top_k: 0,
    repeat_last_n: -1,
    max_tokens: 0,
    logprobs: 0,
    logit_bias: { "5": -Infinity, "6": false, "7": 100 },
    seed: 2 ** 40,
  });
  assert.equal(o.temperature, 0);
  assert.deepEqual(o.logit_bias, { "5": -Infinity, "6": false, "7": 100 });
});
