/** Inference backends: one Backend interface, our wasm engine and llama.cpp via node-llama-cpp. */
export {
  BACKEND_NAMES,
  type Backend,
  type BackendEncodeOptions,
  type BackendName,
  type BackendTokenizer,
  type OpenBackendOptions,
} from "./backend.js";
export { openBackend } from "./open.js";
export { openWasmBackend, WasmBackend, WasmTokenizer, type OpenWasmBackendOptions } from "./wasm.js";
export { openLlamaCppBackend, LlamaCppBackend } from "./llamacpp.js";
export { LlamaCppTokenizer } from "./llamacpp-tokenizer.js";
export { LOGIT_RECOVERY_TEMPERATURE, logitsFromProbabilities } from "./logits-from-probs.js";
export { readGgufModelInfo, type GgufModelInfo } from "./model-info.js";
export { encodeChatPrompt, renderChatPrompt, type ChatPromptOptions } from "./chat-prompt.js";
export { ChatSession, replyRoom, type ChatSessionOptions } from "./chat-session.js";
export { PrefixCache } from "./prefix-cache.js";
export { DEFAULT_MODEL_FILE, defaultModelPath, resolveModelPath } from "./default-model.js";
