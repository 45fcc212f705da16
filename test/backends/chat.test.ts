// Chat pieces over a backend: prompt rendering with the model's template, KV prefix reuse, and
// ChatSession (history, options, early stop, context overflow). Model: models/example.gguf.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ChatSession,
  encodeChatPrompt,
  logitsFromProbabilities,
  openBackend,
  PrefixCache,
  renderChatPrompt,
  replyRoom,
  type Backend,
} from "../../src/backends/index.js";
import { isGlassboxError } from "../../src/errors.js";
import { repoRoot } from "../helpers/vectors.js";

const EXAMPLE = join(repoRoot, "models", "example.gguf");

let be: Backend;
before(async () => {
  be = await openBackend(EXAMPLE, { backend: "wasm", threads: 1, nCtx: 256 });
});
after(async () => {
  await be?.close();
});

/** Counts the tokens a backend is asked to evaluate. */
function counting(inner: Backend): Backend & { evaluated: number } {
  const c = Object.create(inner) as Backend & { evaluated: number };
  c.evaluated = 0;
  c.eval = async (tokens: Int32Array, startPos: number) => {
    c.evaluated += tokens.length;
    return inner.eval(tokens, startPos);
  };
  return c;
}

test("renderChatPrompt uses the model's template; a named built-in replaces it", async () => {
  assert.ok(be.chatTemplate?.includes("<|im_start|>"));
  const messages = [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Call me Ishmael." },
  ];
  assert.equal(
    await renderChatPrompt(be, messages),
    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCall me Ishmael.<|im_end|>\n<|im_start|>assistant\n",
  );
  const viaBuiltin = await renderChatPrompt(be, messages, { template: "chatml" });
  assert.ok(viaBuiltin.endsWith("<|im_start|>assistant\n"), viaBuiltin);
  await assert.rejects(renderChatPrompt(be, messages, { template: "no-such-template" }), (e: unknown) => isGlassboxError(e, "CHAT_TEMPLATE_UNKNOWN"));
  // The ChatML markers are control tokens of this vocabulary: parsed as single tokens, and (as in
  // llama.cpp's detokenize without unparse_special) not rendered back as text.
  const ids = await encodeChatPrompt(be, messages);
  const imStart = be.tokenizer.encode("<|im_start|>", { addSpecial: false, parseSpecial: true });
  assert.equal(imStart.length, 1);
  assert.equal(ids.filter((id) => id === imStart[0]).length, 3);
  const rendered = await renderChatPrompt(be, messages);
  assert.equal(be.tokenizer.decode(ids), rendered.replace(/<\|im_(start|end)\|>/g, ""));
});

test("PrefixCache evaluates only what differs from the cached tokens, with the same logits", async () => {
  const c = counting(be);
  const cache = new PrefixCache(c);
  const a = be.tokenizer.encode("Call me Ishmael. Some years ago");
  const b = be.tokenizer.encode("Call me Ishmael. Some years ago, never mind how long");
  await cache.reset();
  await cache.eval(a, 0);
  assert.equal(c.evaluated, a.length);
  const viaCache = Float32Array.from(await cache.eval(b, 0));
  assert.equal(cache.lastReused, a.length);
  assert.equal(c.evaluated, b.length);
  // The same prompt again: only its last token is evaluated (its logits are needed).
  await cache.eval(b, 0);
  assert.equal(c.evaluated, b.length + 1);
  await be.reset();
  const direct = await be.eval(b, 0);
  let d = 0;
  for (let i = 0; i < direct.length; i++) d = Math.max(d, Math.abs(direct[i]! - viaCache[i]!));
  console.log(`prefix-cache vs full eval: max |logit diff| ${d.toExponential(2)}`);
  assert.ok(d < 1e-4);
});

test("ChatSession keeps the conversation (system prompt first); reset forgets it", async () => {
  await be.reset();
  const chat = new ChatSession(be, { system: "You are a sailor.", options: { temperature: 0, max_tokens: 6, ignore_eos: true } });
  const replies: string[] = [];
  const promptTokens: number[] = [];
  for (const msg of ["Hello.", "Where are we going?"]) {
    let text = "";
    for await (const ev of chat.send(msg)) {
      if (ev.type === "token") text += ev.text;
      else {
        text += ev.tail;
        assert.equal(ev.usage.completion_tokens, 6);
        promptTokens.push(ev.usage.prompt_tokens);
      }
    }
    replies.push(text);
  }
  assert.deepEqual(chat.messages.map((m) => m.role), ["user", "assistant", "user", "assistant"]);
  assert.equal(chat.messages[1]!.content, replies[0]);
  assert.equal(chat.fullMessages()[0]!.role, "system");
  assert.ok(promptTokens[1]! > promptTokens[0]!);
  // reset forgets the conversation: the first question gets the first answer again (greedy).
  chat.reset();
  assert.equal(chat.messages.length, 0);
  let again = "";
  for await (const ev of chat.send("Hello.")) again += ev.type === "token" ? ev.text : ev.tail;
  assert.equal(again, replies[0]);
});

test("ChatSession: setOption validates, an early stop keeps the partial reply, overflow drops the message", async () => {
  const chat = new ChatSession(be, { options: { temperature: 0 } });
  chat.setOption("max_tokens", 20);
  chat.setOption("ignore_eos", true);
  assert.throws(() => chat.setOption("top_p", 2), (e: unknown) => isGlassboxError(e, "INVALID_OPTION"));
  assert.throws(() => chat.setOption("bogus", 1), (e: unknown) => isGlassboxError(e, "INVALID_OPTION"));
  assert.equal(chat.options.max_tokens, 20);
  chat.setOption("max_tokens", undefined);
  assert.equal(chat.options.max_tokens, undefined, "not given to the constructor: back to the default");
  chat.setOption("temperature", 0.9);
  chat.setOption("temperature", undefined);
  assert.equal(chat.options.temperature, 0, "given to the constructor: back to that value");
  chat.setOption("max_tokens", 20);
  let n = 0;
  let partial = "";
  for await (const ev of chat.send("Hi")) {
    if (ev.type === "token") partial += ev.text;
    if (++n === 3) break;
  }
  assert.deepEqual(chat.messages.map((m) => m.role), ["user", "assistant"]);
  assert.equal(chat.messages[1]!.content, partial);

  const small = await openBackend(EXAMPLE, { backend: "wasm", threads: 1, nCtx: 16 });
  try {
    const tight = new ChatSession(small, { options: { max_tokens: 2 } });
    await assert.rejects(async () => {
      for await (const _ of tight.send("a message far too long for a context of sixteen tokens")) void _;
    }, (e: unknown) => isGlassboxError(e, "PROMPT_TOO_LONG"));
    assert.equal(tight.messages.length, 0);
  } finally {
    await small.close();
  }
});

test("ChatSession: a conversation that outgrows the context drops its oldest exchanges, never the system prompt or the new message", async () => {
  const small = await openBackend(EXAMPLE, { backend: "wasm", threads: 1, nCtx: 96 });
  try {
    const chat = new ChatSession(small, { system: "Be brief.", options: { temperature: 0, max_tokens: 12, ignore_eos: true } });
    const drops: number[] = [];
    for (let turn = 0; turn < 6; turn++) {
      for await (const _ of chat.send(`message number ${turn} about whales and the sea`)) void _;
      drops.push(chat.lastDropped);
      const prompt = await encodeChatPrompt(small, chat.fullMessages());
      assert.ok(prompt.length <= small.nCtx, `turn ${turn}: the conversation (${prompt.length} tokens) stays within the context`);
      assert.equal(chat.messages.at(-2)!.content, `message number ${turn} about whales and the sea`);
      assert.equal(chat.messages[0]!.role, "user", "an exchange is dropped whole: the conversation starts with a user message");
      assert.equal(chat.fullMessages()[0]!.content, "Be brief.");
    }
    console.log(`messages dropped per turn (96-token context): ${drops.join(", ")}`);
    const before = chat.messages.map((m) => m.content);
    await assert.rejects(async () => {
      for await (const _ of chat.send("whale ".repeat(200))) void _;
    }, (e: unknown) => isGlassboxError(e, "PROMPT_TOO_LONG"));
    assert.deepEqual(chat.messages.map((m) => m.content), before, "a message that cannot fit drops nothing");
    assert.equal(chat.lastDropped, 0);
    assert.equal(drops[0], 0);
    assert.ok(drops.some((d) => d > 0), "later turns had to drop old messages");
    assert.ok(drops.every((d) => d % 2 === 0), "user message and reply go together");
  } finally {
    await small.close();
  }
});

test("replyRoom: a quarter of the context within [16, 512], capped by max_tokens", () => {
  assert.equal(replyRoom(128, undefined), 32);
  assert.equal(replyRoom(32, undefined), 16);
  assert.equal(replyRoom(8192, undefined), 512);
  assert.equal(replyRoom(4096, 100), 100);
});

test("logitsFromProbabilities: T * ln(p / p_max), -Infinity for absent or zero", () => {
  const z = [3, 1, -2, 0.5];
  const T = 4;
  const e = z.map((v) => Math.exp((v - 3) / T));
  const s = e.reduce((a, b) => a + b, 0);
  const probs = new Map<number, number>([[0, e[0]! / s], [1, e[1]! / s], [2, e[2]! / s], [5, 0]]);
  const out = logitsFromProbabilities(probs, T, new Float32Array(6));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(out[i]! - (z[i]! - 3)) < 1e-5, `${i}: ${out[i]}`);
  assert.equal(out[3], -Infinity);
  assert.equal(out[4], -Infinity);
  assert.equal(out[5], -Infinity);
  assert.ok(logitsFromProbabilities(new Map(), T, new Float32Array(2)).every((v) => v === -Infinity));
});
