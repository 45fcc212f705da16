// Pre-tokenizers: every supported `tokenizer.ggml.pre` compiles and splits losslessly; the
// hand-written GPT-2 / Llama-3 / Qwen2 scanners agree with the same regex run by the general
// (llama.cpp "collapsed" std::regex style) engine; a few known splits.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PreTokenizer, resolvePreTokenizer, supportedPreTokenizers } from "../../src/tokenizer/index.js";
import { toCodepoints } from "../../src/tokenizer/unicode.js";

const PIECES = [" ", "  ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u0085", "a", "Hello", "I'm", "'LL", "'s", "123",
  "4567", "é", "😀", "中文", "한국", "!", "?!", "...", "$", "\u0378", "\u200d", "x\u0301", "<sentinel:12>", "IMGIMGABZ"];
const text = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((a) => a.join("")),
  fc.string({ unit: "binary", maxLength: 24 }),
);

function words(pre: PreTokenizer, s: string): string[] {
  const [cps, n] = toCodepoints(s);
  const out: string[] = [];
  let i = 0;
  for (const len of pre.splitWords(cps, n)) {
    assert.ok(len > 0);
    out.push(String.fromCodePoint(...cps.subarray(i, i + len)));
    i += len;
  }
  assert.equal(i, n);
  return out;
}

test("every supported pre-tokenizer splits text into pieces that join back to it", () => {
  const names = supportedPreTokenizers();
  console.log(`supported tokenizer.ggml.pre values: ${names.length}`);
  const pres = names.map((n) => new PreTokenizer(resolvePreTokenizer(n)));
  fc.assert(
    fc.property(text, (s) => {
      for (const p of pres) assert.equal(words(p, s).join(""), s);
    }),
    { numRuns: 150, seed: 3 },
  );
});

test("hand-written scanners equal the general regex engine on the same regex", () => {
  for (const name of ["gpt-2", "llama3", "qwen2"]) {
    const cfg = resolvePreTokenizer(name);
    const custom = new PreTokenizer(cfg);
    // wrapping the regex in (?:...) keeps it out of the scanner table, so the regex engine runs it
    const general = new PreTokenizer({ ...cfg, regexes: cfg.regexes.map((r) => `(?:${r})`) });
    fc.assert(
      fc.property(text, (s) => {
        assert.deepEqual(words(custom, s), words(general, s));
      }),
      { numRuns: 600, seed: 5 },
    );
  }
});

test("known splits", () => {
  const split = (name: string, s: string): string[] => words(new PreTokenizer(resolvePreTokenizer(name)), s);
  assert.deepEqual(split("gpt-2", "Hello world's  12345!!"), ["Hello", " world", "'s", " ", " 12345", "!!"]);
  assert.deepEqual(split("llama3", "Hello world's 12345\n\n x"), ["Hello", " world", "'s", " ", "123", "45", "\n\n", " x"]);
  assert.deepEqual(split("qwen2", "ab 123"), ["ab", " ", "1", "2", "3"]);
  assert.deepEqual(split("default", "a+b 1234"), ["a", "+", "b", " ", "123", "4"]);
  assert.deepEqual(split("deepseek-coder", "x=12\n"), ["x", "=", "1", "2", "\n"]);
});

test("unknown and unsupported pre-tokenizers are errors; absent means default", () => {
  assert.throws(() => resolvePreTokenizer("no-such"), /unknown/);
  assert.throws(() => resolvePreTokenizer("kimi-k2"), /not supported/);
  assert.equal(resolvePreTokenizer(undefined).type, "default");
});
