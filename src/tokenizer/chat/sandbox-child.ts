/**
 * Child-process entry of the chat-template sandbox (see sandbox.ts). Receives
 * {id, template, context, maxOutputChars} over the IPC channel and answers
 * {id, ok: true, text} or {id, ok: false, code, message}. Holds nothing but the parsed-template
 * cache; runs with no environment, a small V8 heap and (where the Node version has it) the
 * permission model: no file writes, no child processes, no workers, reads only of its own code.
 */
import { isGlassboxError } from "../../errors.js";
import { renderJinja } from "./render-core.js";

interface RenderRequest {
  id: number;
  template: string;
  context: Record<string, unknown>;
  maxOutputChars: number;
}

const send = process.send?.bind(process);
if (!send) throw new Error("sandbox-child.js must be started with an IPC channel (child_process.fork)");

process.on("message", (req: RenderRequest) => {
  try {
    const text = renderJinja(req.template, req.context, req.maxOutputChars);
    send({ id: req.id, ok: true, text });
  } catch (e) {
    const code = isGlassboxError(e) ? e.code : "CHAT_TEMPLATE_ERROR";
    const message = e instanceof Error ? e.message : String(e);
    send({ id: req.id, ok: false, code, message });
  }
});
// The parent going away closes the channel: leave with it.
process.on("disconnect", () => process.exit(0));
send({ ready: true });
