/**
 * Recognises which built-in format a model's Jinja chat template writes, from marker strings in
 * its text. The markers and their order are the facts llama.cpp uses in `llm_chat_detect_template`
 * (src/llama-chat.cpp), restricted to the formats we ship; `alpaca` is ours.
 */
import { isBuiltinTemplate } from "./builtins.js";

/**
 * Returns the built-in template name whose output `templateText` most likely matches, or
 * undefined when none does. A text that is itself a built-in name returns that name.
 * Never throws; never renders the template.
 */
export function detectBuiltin(templateText: string): string | undefined {
  if (isBuiltinTemplate(templateText)) return templateText;
  const has = (s: string): boolean => templateText.includes(s);
  if (has("<|im_start|>")) {
    // <|im_sep|> is phi4, <end_of_utterance> SmolVLM: both use im_start but are not chatml.
    return has("<|im_sep|>") || has("<end_of_utterance>") ? undefined : "chatml";
  }
  if (templateText.startsWith("mistral") || has("[INST]")) {
    if (has("[SYSTEM_PROMPT]")) return "mistral-v7";
    if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      if (has(" [INST]")) return "mistral-v1";
      if (has('"[INST]"')) return "mistral-v3-tekken";
      return "mistral-v3";
    }
    if (has("content.strip()")) return "llama2-sys-strip";
    if (has("bos_token + '[INST]")) return "llama2-sys-bos";
    if (has("<<SYS>>")) return "llama2-sys";
    return "llama2";
  }
  if (has("<|assistant|>") && has("<|end|>")) return "phi3";
  if (has("<|assistant|>") && has("<|user|>")) return undefined; // falcon3 / glm-edge / exaone: not shipped
  if (has("<|user|>") && has("<|endoftext|>")) return "zephyr";
  if (has("<start_of_turn>")) return "gemma";
  if (has("USER: ") && has("ASSISTANT: ")) return has("SYSTEM: ") ? "vicuna-orca" : "vicuna";
  if (has("### Instruction:") && has("<|EOT|>")) return "deepseek";
  if (has("<|start_header_id|>") && has("<|end_header_id|>")) return "llama3";
  if (has("### Instruction:") && has("### Response:")) return "alpaca";
  return undefined;
}
