// Chat templates: sandboxed rendering of a model's Jinja template, and the built-in ones.
export * from "./types.js";
export { listBuiltinTemplates, getBuiltinTemplate, isBuiltinTemplate } from "./builtins.js";
export { detectBuiltin } from "./detect.js";
export {
  applyChatTemplate, applyBuiltinChatTemplate, resolveChatTemplate,
  DEFAULT_CHAT_TEMPLATE_TIMEOUT_MS, DEFAULT_BUILTIN_TEMPLATE, type ResolvedChatTemplate,
} from "./apply.js";
export {
  ChatTemplateSandbox, sharedChatTemplateSandbox, closeSharedChatTemplateSandbox,
  type SandboxOptions, type RenderLimits,
} from "./sandbox.js";
