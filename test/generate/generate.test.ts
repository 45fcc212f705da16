// The generation loop end to end over a fake model and tokenizer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generate, generateAll, checkPromptLength, type GenerateEvent, type LogitsSource, type TokenizerLike, type TokenEvent, type DoneEvent } from "../../src/generate/index.js";

// Vocabulary: 0 is EOS; 6 and 7 are the two UTF-8 bytes of "é"; 8 is BOS.
const PIECES: Uint8Array[] = [
  "<eos>", "Hel", "lo", " wor", "ld", "!", [0xc3], [0xa9], "<s>", "x",
].map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : Uint8Array.from(p)));
const N_VOCAB = PIECES.length;

class FakeTokenizer implements TokenizerLike {
  encode(text: string): number[] {
    return text === "hi" ? [8, 9] : [8];
  }
  decode(ids: ArrayLike<number>): string {
    const bytes = Array.from(ids).flatMap((id) => Array.from(PIECES[id]!));
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }
  createStreamDecoder() {
    const td = new TextDecoder();
    return { push: (id: number) => td.decode(PIECES[id]!, { stream: true }), flush: () => td.decode() };
  }
  isEog(id: number): boolean {
    return id === 0;
  }
}

/** A model whose next token is a function of the last one: logit 10 for it, 1 for `second`, 0 elsewhere. */
class FakeModel implements LogitsSource {
  readonly nVocab = N_VOCAB;
  calls: Array<{ tokens: number[]; startPos: number }> = [];
  private nextPos = 0;
  private readonly out = new Float32Array(N_VOCAB);
  constructor(
    private readonly next: (last: number) => number,
    readonly nCtx?: number,
    private readonly second = (last: number) => (next(last) + 1) % N_VOCAB,
  ) {}
  async eval(tokens: Int32Array, startPos: number): Promise<Float32Array> {
    assert.equal(startPos, this.nextPos, "positions must be contiguous");
    if (this.nCtx !== undefined) assert.ok(startPos + tokens.length <= this.nCtx, "eval past the context");
    this.calls.push({ tokens: Array.from(tokens), startPos });
    this.nextPos = startPos + tokens.length;
    const last = tokens[tokens.length - 1]!;
    this.out.fill(0);
    this.out[this.second(last)] = 1;
    this.out[this.next(last)] = 10;
    return this.out; // reused buffer, as a real model may do
  }
}

// 8 -> 1 -> 2 -> 3 -> 4 -> 5 -> 0 (EOS) -> 1 ...: "Hello world!"
const HELLO = (last: number) => ({ 8: 1, 9: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 0, 0: 1 } as Record<number, number>)[last] ?? 0;

async function collect(it: AsyncGenerator<GenerateEvent>) {
  const tokens: TokenEvent[] = [];
  let done: DoneEvent | undefined;
  for await (const ev of it) {
    if (ev.type === "token") tokens.push(ev);
    else done = ev;
  }
  assert.ok(done);
  return { tokens, done };
}

test("greedy run stops at EOS, which is counted but not yielded", async () => {
  const m = new FakeModel(HELLO);
  const { tokens, done } = await collect(generate(m, new FakeTokenizer(), [8], { temperature: 0 }));
  assert.deepEqual(tokens.map((t) => t.id), [1, 2, 3, 4, 5]);
  assert.equal(tokens.map((t) => t.text).join("") + done.tail, "Hello world!");
  assert.equal(done.text, "Hello world!");
  assert.equal(done.finishReason, "eos");
  assert.deepEqual(done.usage, { prompt_tokens: 1, completion_tokens: 6, total_tokens: 7 });
  assert.deepEqual(m.calls.map((c) => c.startPos), [0, 1, 2, 3, 4, 5]);
  assert.ok(done.timings.prompt_per_second >= 0 && done.timings.predicted_per_second >= 0);
  assert.equal(done.timings.predicted_n, 6);
});

test("ignore_eos keeps going through EOS until max_tokens", async () => {
  const m = new FakeModel(HELLO);
  const { tokens, done } = await collect(generate(m, new FakeTokenizer(), [8], { temperature: 0, ignore_eos: true, max_tokens: 8 }));
  assert.deepEqual(tokens.map((t) => t.id), [1, 2, 3, 4, 5, 0, 1, 2]);
  assert.equal(tokens[5]!.piece, "<eos>");
  assert.equal(done.finishReason, "length");
  assert.equal(done.usage.completion_tokens, 8);
  assert.equal(m.calls.length, 8, "no eval after the last token");
});

test("max_tokens limits the output and max_tokens 0 evaluates nothing", async () => {
  const m = new FakeModel(HELLO);
  const r = await generateAll(m, new FakeTokenizer(), [8], { temperature: 0, max_tokens: 2 });
  assert.equal(r.text, "Hello");
  assert.equal(r.finishReason, "length");
  assert.deepEqual(r.tokens.map((t) => [t.id, t.piece]), [[1, "Hel"], [2, "lo"]]);
  assert.equal(m.calls.length, 2);
  const m0 = new FakeModel(HELLO);
  const r0 = await generateAll(m0, new FakeTokenizer(), [8], { max_tokens: 0 });
  assert.equal(r0.tokens.length, 0);
  assert.equal(m0.calls.length, 0);
});

test("a stop string across tokens cuts the text exactly before it", async () => {
  const m = new FakeModel(HELLO);
  const { tokens, done } = await collect(generate(m, new FakeTokenizer(), [8], { temperature: 0, stop: ["zzz", "o w"] }));
  assert.deepEqual(tokens.map((t) => t.text), ["Hel", "l", ""]);
  assert.equal(done.text, "Hell");
  assert.equal(done.finishReason, "stop");
  assert.equal(done.stop, "o w");
  assert.equal(done.usage.completion_tokens, 3);
});

test("held-back text is released at EOS; partial UTF-8 is held by the decoder", async () => {
  const m = new FakeModel(HELLO);
  const r = await generateAll(m, new FakeTokenizer(), [8], { temperature: 0, stop: ["!!"] });
  assert.equal(r.text, "Hello world!");
  const utf = new FakeModel((last) => ({ 8: 6, 6: 7, 7: 0 } as Record<number, number>)[last] ?? 0);
  const { tokens, done } = await collect(generate(utf, new FakeTokenizer(), [8], { temperature: 0 }));
  assert.deepEqual(tokens.map((t) => t.text), ["", "é"]);
  assert.equal(done.text, "é");
});

test("logprobs: raw distribution of the sampled token and the top alternatives", async () => {
  const m = new FakeModel(HELLO);
  const r = await generateAll(m, new FakeTokenizer(), [8], { temperature: 0, max_tokens: 3, logprobs: 2 });
  const lse = Math.log(Math.exp(10) + Math.exp(1) + (N_VOCAB - 2));
  for (const t of r.tokens) {
    assert.ok(Math.abs(t.logprob! - (10 - lse)) < 1e-6);
    assert.equal(t.top!.length, 2);
    assert.equal(t.top![0]!.id, t.id);
    assert.equal(t.top![1]!.id, (t.id + 1) % N_VOCAB);
    assert.ok(Math.abs(t.top![1]!.logprob - (1 - lse)) < 1e-6);
    assert.equal(t.top![0]!.piece, t.piece);
  }
  const plain = await generateAll(new FakeModel(HELLO), new FakeTokenizer(), [8], { temperature: 0, max_tokens: 1 });
  assert.equal(plain.tokens[0]!.logprob, undefined);
});

test("a prompt longer than the context is PROMPT_TOO_LONG and states both numbers", async () => {
  const m = new FakeModel(HELLO, 3);
  await assert.rejects(collect(generate(m, new FakeTokenizer(), [8, 1, 2, 3])), (e: Error & { code?: string }) => {
    assert.equal(e.code, "PROMPT_TOO_LONG");
    assert.match(e.message, /\b4\b.*\b3\b/);
    return true;
  });
  assert.equal(m.calls.length, 0);
  assert.throws(() => checkPromptLength(0, 10), { code: "EMPTY_PROMPT" });
  assert.doesNotThrow(() => checkPromptLength(10, 10));
});

test("generation stops with 'length' when the context is full", async () => {
  const m = new FakeModel(HELLO, 4);
  const { tokens, done } = await collect(generate(m, new FakeTokenizer(), [8], { temperature: 0, ignore_eos: true }));
  assert.equal(tokens.length, 4); // positions 1, 2, 3 evaluated; the 4th token is sampled, not evaluated
  assert.equal(done.finishReason, "length");
  assert.deepEqual(m.calls.map((c) => c.startPos), [0, 1, 2, 3]);
});

test("sampling is reproducible with a seed, and the seed is reported", async () => {
  const flat = () => new FakeModel(() => 1, undefined, () => 2); // logits: 10, 1 and zeros
  const opts = { temperature: 8, top_k: 0, top_p: 1, min_p: 0, max_tokens: 30, ignore_eos: true, seed: 77 };
  const a = await generateAll(flat(), new FakeTokenizer(), [8], opts);
  const b = await generateAll(flat(), new FakeTokenizer(), [8], opts);
  const c = await generateAll(flat(), new FakeTokenizer(), [8], { ...opts, seed: 78 });
  assert.deepEqual(a.tokens.map((t) => t.id), b.tokens.map((t) => t.id));
  assert.notDeepEqual(a.tokens.map((t) => t.id), c.tokens.map((t) => t.id));
  assert.equal(a.seed, 77);
});

test("prompt tokens count for the repetition penalty; string prompts are encoded", async () => {
  // next is always 1 (logit 10) with 2 at logit 1; penalty 20 on the prompt's token 1: 10/20 = 0.5 < 1
  const m = new FakeModel(() => 1, undefined, () => 2);
  const r = await generateAll(m, new FakeTokenizer(), [8, 1], { temperature: 0, repeat_penalty: 20, max_tokens: 1 });
  assert.equal(r.tokens[0]!.id, 2);
  const m2 = new FakeModel(HELLO);
  const r2 = await generateAll(m2, new FakeTokenizer(), "hi", { temperature: 0, max_tokens: 1 });
  assert.deepEqual(m2.calls[0]!.tokens, [8, 9]);
  assert.equal(r2.usage.prompt_tokens, 2);
});

test("stopping the iteration early makes no further eval calls; bad options reject", async () => {
  const m = new FakeModel(HELLO);
  let n = 0;
  for await (const ev of generate(m, new FakeTokenizer(), [8], { temperature: 0, ignore_eos: true })) {
    if (ev.type === "token" && ++n === 2) break;
  }
  assert.equal(m.calls.length, 2);
  await assert.rejects(collect(generate(m, new FakeTokenizer(), [8], { top_p: 2 })), { code: "INVALID_OPTION" });
  await assert.rejects(collect(generate(m, new FakeTokenizer(), [8, 99])), { code: "INVALID_TOKEN" });
});
