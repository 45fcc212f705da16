/**
 * Built-in chat templates, each written as a Jinja template (our own text) that renders exactly
 * what llama.cpp's hand-written formatter of the same name produces
 * (`llm_chat_apply_template` in llama.cpp src/llama-chat.cpp; expected strings in
 * tests/test-chat-template.cpp). `alpaca` has no llama.cpp formatter: it follows the prompt of
 * Stanford Alpaca (tatsu-lab/stanford_alpaca, PROMPT_DICT), extended to several turns.
 *
 * Conventions shared by every built-in:
 * - No BOS is written: the tokenizer adds it (tokenizer.ggml.add_bos_token), as with llama.cpp's
 *   formatters. Family tokens such as `</s>` are written literally, again as llama.cpp does.
 * - Message text is `content` when a string, or the concatenated `text` parts when a list.
 * - Families with no tool role (llama2, mistral, deepseek, vicuna, alpaca) render a `tool`
 *   message as a user turn; the others print the role name as given.
 * - chatml writes an assistant's `tool_calls` as Hermes-style `<tool_call>` JSON blocks (`arguments`
 *   as given when a JSON string, else serialized).
 */
import { GlassboxError } from "../../errors.js";

/** Jinja macro shared by all built-ins: the text of one message (string content or text parts). */
const PRELUDE = String.raw`{%- macro text(m) -%}
{%- if m.content is string -%}{{- m.content -}}
{%- elif m.content is iterable -%}{%- for p in m.content -%}{%- if p.type == 'text' -%}{{- p.text -}}{%- endif -%}{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
`;

const CHATML = String.raw`{%- for m in messages -%}
{{- '<|im_start|>' + m.role + '\n' + text(m) -}}
{%- if m.tool_calls is defined and m.tool_calls -%}
{%- for c in m.tool_calls -%}
{%- set f = c.function if c.function is defined else c -%}
{%- set args = f.arguments if f.arguments is string else (f.arguments | tojson) -%}
{{- '\n<tool_call>\n{"name": ' + (f.name | tojson) + ', "arguments": ' + args + '}\n</tool_call>' -}}
{%- endfor -%}
{%- endif -%}
{{- '<|im_end|>\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}`;

/**
 * Llama 2 [INST] family. `sys`: how a system message is written; `reopen`: what opens each
 * turn after an assistant reply; `strip`: trim every message.
 */
function llama2(sys: "plain" | "sys", reopen: string, strip: boolean): string {
  const t = strip ? "(text(m) | trim)" : "text(m)";
  const system = sys === "sys" ? String.raw`'<<SYS>>\n' + ${t} + '\n<</SYS>>\n\n'` : String.raw`${t} + '\n'`;
  return String.raw`{%- set ns = namespace(inside=true) -%}
{{- '[INST] ' -}}
{%- for m in messages -%}
{%- if not ns.inside -%}{{- '${reopen}' -}}{%- set ns.inside = true -%}{%- endif -%}
{%- if m.role == 'system' -%}{{- ${system} -}}
{%- elif m.role == 'user' or m.role == 'tool' -%}{{- ${t} + ' [/INST]' -}}
{%- else -%}{{- ${t} + '</s>' -}}{%- set ns.inside = false -%}
{%- endif -%}
{%- endfor -%}`;
}

/** Mistral v1 / v3 / v3-tekken: [INST] turns with the system text inside the first one. */
function mistralV1V3(lead: string, trail: string, trimAssistant: boolean): string {
  const a = trimAssistant ? "(text(m) | trim)" : "text(m)";
  return String.raw`{%- set ns = namespace(inside=false) -%}
{%- for m in messages -%}
{%- if not ns.inside -%}{{- '${lead}[INST]${trail}' -}}{%- set ns.inside = true -%}{%- endif -%}
{%- if m.role == 'system' -%}{{- text(m) + '\n\n' -}}
{%- elif m.role == 'user' or m.role == 'tool' -%}{{- text(m) + '${lead}[/INST]' -}}
{%- else -%}{{- '${trail}' + ${a} + '</s>' -}}{%- set ns.inside = false -%}
{%- endif -%}
{%- endfor -%}`;
}

/** Mistral v7 (and v7-tekken without the spaces): [SYSTEM_PROMPT] and [INST] blocks. */
function mistralV7(space: string): string {
  return String.raw`{%- for m in messages -%}
{%- if m.role == 'system' -%}{{- '[SYSTEM_PROMPT]${space}' + text(m) + '[/SYSTEM_PROMPT]' -}}
{%- elif m.role == 'user' or m.role == 'tool' -%}{{- '[INST]${space}' + text(m) + '[/INST]' -}}
{%- else -%}{{- '${space}' + text(m) + '</s>' -}}
{%- endif -%}
{%- endfor -%}`;
}

/** `<|role|>\n text END\n` families (phi3: END = <|end|>, zephyr: END = <|endoftext|>). */
function pipeRoles(end: string): string {
  return String.raw`{%- for m in messages -%}
{{- '<|' + m.role + '|>\n' + text(m) + '${end}\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|assistant|>\n' -}}{%- endif -%}`;
}

const LLAMA3 = String.raw`{%- for m in messages -%}
{{- '<|start_header_id|>' + m.role + '<|end_header_id|>\n\n' + (text(m) | trim) + '<|eot_id|>' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}{%- endif -%}`;

// Gemma has no system role: the system text opens the next non-model turn.
const GEMMA = String.raw`{%- set ns = namespace(sys='') -%}
{%- for m in messages -%}
{%- if m.role == 'system' -%}{%- set ns.sys = ns.sys + (text(m) | trim) -%}
{%- else -%}
{%- set role = 'model' if m.role == 'assistant' else m.role -%}
{{- '<start_of_turn>' + role + '\n' -}}
{%- if ns.sys != '' and role != 'model' -%}{{- ns.sys + '\n\n' -}}{%- set ns.sys = '' -%}{%- endif -%}
{{- (text(m) | trim) + '<end_of_turn>\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<start_of_turn>model\n' -}}{%- endif -%}`;

const DEEPSEEK = String.raw`{%- for m in messages -%}
{%- if m.role == 'system' -%}{{- text(m) -}}
{%- elif m.role == 'user' or m.role == 'tool' -%}{{- '### Instruction:\n' + text(m) + '\n' -}}
{%- else -%}{{- '### Response:\n' + text(m) + '\n<|EOT|>\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '### Response:\n' -}}{%- endif -%}`;

function vicuna(orca: boolean): string {
  const system = orca ? String.raw`'SYSTEM: ' + text(m) + '\n'` : String.raw`text(m) + '\n\n'`;
  return String.raw`{%- for m in messages -%}
{%- if m.role == 'system' -%}{{- ${system} -}}
{%- elif m.role == 'user' or m.role == 'tool' -%}{{- 'USER: ' + text(m) + '\n' -}}
{%- else -%}{{- 'ASSISTANT: ' + text(m) + '</s>\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- 'ASSISTANT:' -}}{%- endif -%}`;
}

const ALPACA_PREAMBLE =
  "Below is an instruction that describes a task. Write a response that appropriately completes the request.";

const ALPACA = String.raw`{%- if not messages or messages[0].role != 'system' -%}{{- '${ALPACA_PREAMBLE}\n\n' -}}{%- endif -%}
{%- for m in messages -%}
{%- if m.role == 'system' -%}{{- text(m) + '\n\n' -}}
{%- elif m.role == 'user' or m.role == 'tool' -%}{{- '### Instruction:\n' + text(m) + '\n\n' -}}
{%- else -%}{{- '### Response:\n' + text(m) + '</s>\n\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '### Response:\n' -}}{%- endif -%}`;

/** Template bodies by name (without the shared prelude). Aliases are listed in ALIASES. */
const BODIES: Readonly<Record<string, string>> = {
  chatml: CHATML,
  llama2: llama2("plain", "[INST] ", false),
  "llama2-sys": llama2("sys", "[INST] ", false),
  "llama2-sys-bos": llama2("sys", "<s>[INST] ", false),
  "llama2-sys-strip": llama2("sys", "[INST] ", true),
  llama3: LLAMA3,
  "mistral-v1": mistralV1V3(" ", " ", false),
  "mistral-v3": mistralV1V3("", " ", true),
  "mistral-v3-tekken": mistralV1V3("", "", false),
  "mistral-v7": mistralV7(" "),
  "mistral-v7-tekken": mistralV7(""),
  gemma: GEMMA,
  phi3: pipeRoles("<|end|>"),
  zephyr: pipeRoles("<|endoftext|>"),
  deepseek: DEEPSEEK,
  alpaca: ALPACA,
  vicuna: vicuna(false),
  "vicuna-orca": vicuna(true),
};

/** Short names that stand for one of the templates above. `mistral` is Mistral-7B-Instruct-v0.3's format. */
const ALIASES: Readonly<Record<string, string>> = {
  mistral: "mistral-v3",
};

/** Names accepted by {@link getBuiltinTemplate}, sorted; aliases included. */
export function listBuiltinTemplates(): string[] {
  return [...Object.keys(BODIES), ...Object.keys(ALIASES)].sort();
}

/** True when `name` is a built-in template name or alias. */
export function isBuiltinTemplate(name: string): boolean {
  return Object.hasOwn(BODIES, name) || Object.hasOwn(ALIASES, name);
}

/**
 * The Jinja text of a built-in template. Variables it reads: `messages`, `add_generation_prompt`.
 * Throws GlassboxError CHAT_TEMPLATE_UNKNOWN when `name` is not in listBuiltinTemplates().
 */
export function getBuiltinTemplate(name: string): string {
  const target = Object.hasOwn(ALIASES, name) ? ALIASES[name]! : name;
  if (!Object.hasOwn(BODIES, target)) {
    throw new GlassboxError(
      "CHAT_TEMPLATE_UNKNOWN",
      `no built-in chat template named '${name}'; known: ${listBuiltinTemplates().join(", ")}`,
    );
  }
  return PRELUDE + BODIES[target]!;
}
