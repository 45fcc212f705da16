// Built-in chat templates against the exact strings llama.cpp's formatters produce for its fixed
// test conversation (src/llama-chat.cpp, tests/test-chat-template.cpp), and real model templates
// rendered in the sandbox against llama.cpp's Jinja output for the same inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  applyBuiltinChatTemplate, applyChatTemplate, detectBuiltin, listBuiltinTemplates, resolveChatTemplate,
  type ChatMessage,
} from "../../src/tokenizer/chat/index.js";
import { isGlassboxError } from "../../src/errors.js";

// llama.cpp's test conversation: system + user + assistant + user + assistant + user.
const CONV: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant" },
  { role: "user", content: "Hello" },
  { role: "assistant", content: "Hi there" },
  { role: "user", content: "Who are you" },
  { role: "assistant", content: "   I am an assistant   " },
  { role: "user", content: "Another question" },
];

// Expected output with add_generation_prompt = true.
const EXPECTED: Record<string, string> = {
  chatml: "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n",
  llama2: "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
  "llama2-sys": "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]",
  "llama2-sys-bos": "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST] Who are you [/INST]   I am an assistant   </s><s>[INST] Another question [/INST]",
  "llama2-sys-strip": "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you [/INST]I am an assistant</s>[INST] Another question [/INST]",
  llama3: "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
  "mistral-v1": " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]",
  "mistral-v3": "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] Another question[/INST]",
  "mistral-v3-tekken": "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]",
  "mistral-v7": "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]",
  "mistral-v7-tekken": "[SYSTEM_PROMPT]You are a helpful assistant[/SYSTEM_PROMPT][INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]",
  gemma: "<start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n",
  phi3: "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n",
  zephyr: "<|system|>\nYou are a helpful assistant<|endoftext|>\n<|user|>\nHello<|endoftext|>\n<|assistant|>\nHi there<|endoftext|>\n<|user|>\nWho are you<|endoftext|>\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question<|endoftext|>\n<|assistant|>\n",
  deepseek: "You are a helpful assistant### Instruction:\nHello\n### Response:\nHi there\n<|EOT|>\n### Instruction:\nWho are you\n### Response:\n   I am an assistant   \n<|EOT|>\n### Instruction:\nAnother question\n### Response:\n",
  vicuna: "You are a helpful assistant\n\nUSER: Hello\nASSISTANT: Hi there</s>\nUSER: Who are you\nASSISTANT:    I am an assistant   </s>\nUSER: Another question\nASSISTANT:",
  "vicuna-orca": "SYSTEM: You are a helpful assistant\nUSER: Hello\nASSISTANT: Hi there</s>\nUSER: Who are you\nASSISTANT:    I am an assistant   </s>\nUSER: Another question\nASSISTANT:",
  // Ours (Stanford Alpaca's prompt, several turns); no llama.cpp formatter exists.
  alpaca: "You are a helpful assistant\n\n### Instruction:\nHello\n\n### Response:\nHi there</s>\n\n### Instruction:\nWho are you\n\n### Response:\n   I am an assistant   </s>\n\n### Instruction:\nAnother question\n\n### Response:\n",
};
EXPECTED.mistral = EXPECTED["mistral-v3"]!;

test("the ten required families are built in, and every built-in has an expected string", () => {
  const names = listBuiltinTemplates();
  for (const n of ["chatml", "llama2", "llama3", "mistral", "gemma", "phi3", "zephyr", "deepseek", "alpaca", "vicuna"]) {
    assert.ok(names.includes(n), n);
  }
  assert.deepEqual([...names].sort(), Object.keys(EXPECTED).sort());
});

test("each built-in renders llama.cpp's exact string (in-process and sandboxed)", async () => {
  let checked = 0;
  for (const [name, want] of Object.entries(EXPECTED)) {
    assert.equal(applyBuiltinChatTemplate(name, { messages: CONV, addGenerationPrompt: true }), want, name);
    assert.equal(await applyChatTemplate({ builtinName: name, messages: CONV, addGenerationPrompt: true }), want, `${name} (sandbox)`);
    checked++;
  }
  console.log(`built-in templates matching exactly: ${checked}/${Object.keys(EXPECTED).length}`);
});

test("add_generation_prompt=false drops only the assistant header", () => {
  const cut: Record<string, string> = {
    chatml: "<|im_start|>assistant\n", llama3: "<|start_header_id|>assistant<|end_header_id|>\n\n",
    gemma: "<start_of_turn>model\n", phi3: "<|assistant|>\n", zephyr: "<|assistant|>\n",
    deepseek: "### Response:\n", vicuna: "ASSISTANT:", alpaca: "### Response:\n",
  };
  for (const [name, tail] of Object.entries(cut)) {
    const got = applyBuiltinChatTemplate(name, { messages: CONV, addGenerationPrompt: false });
    assert.equal(got + tail, EXPECTED[name], name);
  }
  // [INST] formats end every user turn with [/INST]: no separate header (as in llama.cpp).
  assert.equal(applyBuiltinChatTemplate("llama2", { messages: CONV, addGenerationPrompt: false }), EXPECTED.llama2);
});

test("tool messages, tool calls and content parts", () => {
  const msgs: ChatMessage[] = [
    { role: "user", content: [{ type: "text", text: "Weather in " }, { type: "image_url" }, { type: "text", text: "Paris?" }] },
    { role: "assistant", content: null, tool_calls: [{ type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } }] },
    { role: "tool", content: "{\"temp\": 21}" },
  ];
  assert.equal(
    applyBuiltinChatTemplate("chatml", { messages: msgs }),
    "<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
      "<|im_start|>assistant\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
      "<|im_start|>tool\n{\"temp\": 21}<|im_end|>\n<|im_start|>assistant\n",
  );
  // OpenAI sends arguments as a JSON string: written as is.
  assert.equal(
    applyBuiltinChatTemplate("chatml", {
      messages: [{ role: "assistant", content: "", tool_calls: [{ type: "function", function: { name: "f", arguments: "{\"x\": 1}" } }] }],
      addGenerationPrompt: false,
    }),
    "<|im_start|>assistant\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n</tool_call><|im_end|>\n",
  );
  // Families without a tool role render the result as a user turn.
  assert.equal(
    applyBuiltinChatTemplate("vicuna", { messages: msgs }),
    "USER: Weather in Paris?\nASSISTANT: </s>\nUSER: {\"temp\": 21}\nASSISTANT:",
  );
  assert.equal(
    applyBuiltinChatTemplate("llama3", { messages: msgs.slice(2) }),
    "<|start_header_id|>tool<|end_header_id|>\n\n{\"temp\": 21}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
  );
});

// Real model templates (as quoted in llama.cpp's tests/test-chat-template.cpp), rendered by our
// sandbox; expected = llama.cpp's Jinja output for the same conversation, BOS and EOS.
const MODEL_TEMPLATES: Array<{ name: string; template: string; bos: string; eos: string; expected: string }> = [
  {
    name: "teknium/OpenHermes-2.5-Mistral-7B",
    template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    bos: "", eos: "", expected: EXPECTED.chatml!,
  },
  {
    name: "Llama-3",
    template: "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}",
    bos: "", eos: "", expected: EXPECTED.llama3!,
  },
  {
    name: "deepseek-ai/deepseek-coder-33b-instruct",
    template: "{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n    {%- if message['role'] == 'system' -%}\n        {%- set ns.found = true -%}\n    {%- endif -%}\n{%- endfor -%}\n{{bos_token}}{%- if not ns.found -%}\n{{'You are an AI programming assistant, utilizing the Deepseek Coder model, developed by Deepseek Company, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer\\n'}}\n{%- endif %}\n{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n{{ message['content'] }}\n    {%- else %}\n        {%- if message['role'] == 'user' %}\n{{'### Instruction:\\n' + message['content'] + '\\n'}}\n        {%- else %}\n{{'### Response:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n{% if add_generation_prompt %}\n{{'### Response:'}}\n{% endif %}",
    bos: "", eos: "", expected: EXPECTED.deepseek!,
  },
  {
    name: "eachadea/vicuna-13b-1.1",
    template: "{%- for message in messages %}{%- if message['role'] == 'system' -%}{{- '' + message['content'] + '\n\n' -}}{%- else -%}{%- if message['role'] == 'user' -%}{{-'USER: ' + message['content'] + '\n'-}}{%- else -%}{{-'ASSISTANT: ' + message['content'] + '</s>\n' -}}{%- endif -%}{%- endif -%}{%- endfor -%}{%- if add_generation_prompt -%}{{-'ASSISTANT:'-}}{%- endif -%}",
    bos: "", eos: "", expected: EXPECTED.vicuna!,
  },
  {
    name: "Phi-3-small",
    template: "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
    bos: "<s>", eos: "</s>", expected: "<s>" + EXPECTED.phi3!,
  },
  {
    name: "mistralai/Mistral-7B-Instruct-v0.2 ('v1' template with a system prompt)",
    template: "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n",
    bos: "", eos: "</s>", expected: EXPECTED["mistral-v1"]!,
  },
];

test("real model templates render as llama.cpp renders them, and are recognised", async () => {
  const detected: Record<string, string> = {
    "teknium/OpenHermes-2.5-Mistral-7B": "chatml", "Llama-3": "llama3", "deepseek-ai/deepseek-coder-33b-instruct": "deepseek",
    "eachadea/vicuna-13b-1.1": "vicuna", "Phi-3-small": "phi3",
    "mistralai/Mistral-7B-Instruct-v0.2 ('v1' template with a system prompt)": "mistral-v1",
  };
  for (const m of MODEL_TEMPLATES) {
    const got = await applyChatTemplate({ template: m.template, messages: CONV, bosToken: m.bos, eosToken: m.eos });
    assert.equal(got, m.expected, m.name);
    assert.equal(detectBuiltin(m.template), detected[m.name], `detect ${m.name}`);
  }
  // With stripBos the leading BOS goes, as llama.cpp does when the tokenizer adds BOS itself.
  const phi = MODEL_TEMPLATES[4]!;
  assert.equal(await applyChatTemplate({ template: phi.template, messages: CONV, bosToken: "<s>", stripBos: true }), EXPECTED.phi3);
});

test("detectBuiltin: names, markers, unknown", () => {
  assert.equal(detectBuiltin("gemma"), "gemma");
  assert.equal(detectBuiltin("{{ '<start_of_turn>' }}"), "gemma");
  assert.equal(detectBuiltin("{{ '<|user|>' + x + '<|endoftext|>' }}"), "zephyr");
  assert.equal(detectBuiltin("<|im_start|>x<|im_sep|>"), undefined);
  assert.equal(detectBuiltin("{{ '[SYSTEM_PROMPT]' }}[INST]"), "mistral-v7");
  assert.equal(detectBuiltin("{{ messages }}"), undefined);
});

test("resolveChatTemplate and errors", async () => {
  assert.equal(resolveChatTemplate(undefined).name, "chatml");
  assert.equal(resolveChatTemplate("", undefined).kind, "builtin");
  assert.equal(resolveChatTemplate("{{ x }}").kind, "model");
  assert.equal(resolveChatTemplate("{{ x }}", "gemma").name, "gemma");
  assert.throws(() => resolveChatTemplate(undefined, "nope"), (e) => isGlassboxError(e, "CHAT_TEMPLATE_UNKNOWN"));
  assert.throws(() => applyBuiltinChatTemplate("nope", { messages: CONV }), (e) => isGlassboxError(e, "CHAT_TEMPLATE_UNKNOWN"));
  assert.throws(
    () => applyBuiltinChatTemplate("chatml", { messages: [{ content: "x" } as unknown as ChatMessage] }),
    (e) => isGlassboxError(e, "CHAT_MESSAGES_INVALID"),
  );
  await assert.rejects(applyChatTemplate({ messages: CONV }), (e) => isGlassboxError(e, "CHAT_TEMPLATE_MISSING"));
});
