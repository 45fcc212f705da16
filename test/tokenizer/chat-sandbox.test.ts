// Hostile chat templates: nothing of the host is reachable, and time, memory and output are bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyChatTemplate, ChatTemplateSandbox, type ChatMessage } from "../../src/tokenizer/chat/index.js";
import { isGlassboxError } from "../../src/errors.js";

const MSGS: ChatMessage[] = [{ role: "user", content: "hi" }];

async function render(template: string, extra: { timeoutMs?: number; maxOutputChars?: number } = {}): Promise<string> {
  return applyChatTemplate({ template, messages: MSGS, ...extra });
}

async function failsWith(template: string, codes: string[], extra: { timeoutMs?: number; maxOutputChars?: number } = {}): Promise<number> {
  const t0 = performance.now();
  await assert.rejects(render(template, extra), (e) => {
    assert.ok(isGlassboxError(e), String(e));
    assert.ok(codes.includes(e.code), `${template.slice(0, 60)}: got ${e.code}: ${e.message}`);
    return true;
  });
  return performance.now() - t0;
}

test("Python and JS object-model escapes reach nothing", async () => {
  const probes: Array<[string, string]> = [
    ["{{ ''.__class__ }}|{{ ''.__class__.__mro__ }}|{{ ''.__class__.__base__.__subclasses__ }}", "||"],
    ["{{ cycler }}|{{ joiner }}|{{ lipsum }}|{{ config }}|{{ request }}|{{ self }}|{{ self.__init__ }}", "||||||"],
    ["{{ messages.constructor }}|{{ messages['constructor'] }}|{{ ''.constructor }}|{{ messages.__proto__ }}", "|||"],
    ["{{ messages[0].constructor }}|{{ messages[0]['__proto__'] }}|{{ namespace.constructor }}", "||"],
    ["{{ range.constructor }}|{{ raise_exception.__globals__ }}|{{ raise_exception.constructor }}", "||"],
    ["{{ process }}|{{ globalThis }}|{{ require }}|{{ import }}|{{ Function }}|{{ eval }}|{{ os }}", "||||||"],
    ["{% set x = namespace() %}{% set x.__proto__ = 1 %}{{ x.polluted }}|{{ {}.polluted }}", "|"],
  ];
  for (const [t, want] of probes) assert.equal(await render(t), want, t);
  // Prototype pollution attempts did not reach the host either.
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("runaway allocation ends the sandbox, not the host: range(10**9)", async () => {
  // A generous time limit, so that the heap limit, not the clock, stops it even on a loaded machine.
  const ms = await failsWith("{{ range(10**9) | length }}", ["CHAT_TEMPLATE_TOO_LARGE"], { timeoutMs: 30000 });
  console.log(`range(10**9): CHAT_TEMPLATE_TOO_LARGE after ${ms.toFixed(0)} ms`);
  await failsWith("{{ 'a' * 10**10 }}", ["CHAT_TEMPLATE_TOO_LARGE", "CHAT_TEMPLATE_ERROR"]);
});

test("endless loops are stopped by the wall clock", async () => {
  const ms = await failsWith(
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    ["CHAT_TEMPLATE_TIMEOUT"], { timeoutMs: 500 },
  );
  console.log(`nested 10^10-step loop: CHAT_TEMPLATE_TIMEOUT after ${ms.toFixed(0)} ms (limit 500)`);
  assert.ok(ms >= 450);
});

test("unbounded macro recursion is an error", async () => {
  await failsWith("{% macro f(g, n) %}{{ g(g, n + 1) }}{% endmacro %}{{ f(f, 0) }}", ["CHAT_TEMPLATE_ERROR"]);
});

test("output is capped", async () => {
  const doubling = "{% set ns = namespace(s='0123456789') %}{% for i in range(17) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}";
  await failsWith(doubling, ["CHAT_TEMPLATE_TOO_LARGE"]); // 1.3 M chars > default 1 Mi
  await failsWith("{{ messages[0].content }}xxxx", ["CHAT_TEMPLATE_TOO_LARGE"], { maxOutputChars: 5 });
  assert.equal((await render(doubling, { maxOutputChars: 2_000_000 })).length, 10 * 2 ** 17);
});

test("template errors carry the template's message", async () => {
  await assert.rejects(render("{{ raise_exception('roles must alternate') }}"), (e) => {
    assert.ok(isGlassboxError(e, "CHAT_TEMPLATE_ERROR"));
    assert.match(e.message, /roles must alternate/);
    return true;
  });
  await failsWith("{% if %}", ["CHAT_TEMPLATE_ERROR"]);
  await failsWith("{% for x in %}", ["CHAT_TEMPLATE_ERROR"]);
  await assert.rejects(
    applyChatTemplate({ template: "{{ f }}", messages: MSGS, extraContext: { f: (() => 1) as never } }),
    (e) => isGlassboxError(e, "CHAT_TEMPLATE_ERROR"),
  );
});

test("the sandbox recovers after kills and keeps serving in order", async () => {
  await failsWith("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", ["CHAT_TEMPLATE_TIMEOUT"], { timeoutMs: 200 });
  const outs = await Promise.all([1, 2, 3].map((i) => render(`{{ messages[0].content }}-${i}`)));
  assert.deepEqual(outs, ["hi-1", "hi-2", "hi-3"]);
});

test("a private sandbox with a smaller heap, and close()", async () => {
  const sb = new ChatTemplateSandbox({ memoryLimitMb: 32 });
  await assert.rejects(sb.render("{{ range(10**8) | length }}", {}, { timeoutMs: 30000, maxOutputChars: 100 }),
    (e) => isGlassboxError(e, "CHAT_TEMPLATE_TOO_LARGE"));
  assert.equal(await sb.render("{{ 1 + 2 }}", {}, { timeoutMs: 5000, maxOutputChars: 100 }), "3");
  sb.close();
  await assert.rejects(sb.render("x", {}, { timeoutMs: 100, maxOutputChars: 10 }), (e) => isGlassboxError(e, "CHAT_TEMPLATE_CLOSED"));
});

test("speed: one sandboxed render of a short conversation", async () => {
  const t = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}";
  await render(t);
  const n = 50;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) assert.equal(await render(t), "<|user|>hi");
  console.log(`sandboxed render (warm child): ${((performance.now() - t0) / n).toFixed(3)} ms each`);
});
