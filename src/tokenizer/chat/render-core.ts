/**
 * The in-process Jinja render: @huggingface/jinja's interpreter, which has no Python object model
 * (attribute lookups go through per-type Maps of builtins, so `__class__`, `__globals__`,
 * `constructor`... are undefined) and only these globals: namespace, range, raise_exception,
 * strftime_now, true/false/none. It has no time or size bound of its own: hostile templates must go
 * through the worker sandbox (sandbox.ts), which runs this very function under limits.
 */
import { Template } from "@huggingface/jinja";
import { GlassboxError } from "../../errors.js";

/** Most parsed templates kept per process (least recently used dropped first). */
const CACHE_SIZE = 32;
const cache = new Map<string, Template>();

/** Parses (or fetches from the cache) a template. Throws CHAT_TEMPLATE_ERROR on a syntax error. */
function parsed(text: string): Template {
  const hit = cache.get(text);
  if (hit) {
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  let t: Template;
  try {
    t = new Template(text);
  } catch (e) {
    throw new GlassboxError("CHAT_TEMPLATE_ERROR", `chat template does not parse: ${messageOf(e)}`, { cause: e });
  }
  cache.set(text, t);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return t;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Renders Jinja `text` with `context` (JSON values only) and returns the output string.
 * Throws GlassboxError CHAT_TEMPLATE_ERROR (syntax error, runtime error, raise_exception(...),
 * recursion too deep) or CHAT_TEMPLATE_TOO_LARGE (output longer than `maxOutputChars` UTF-16 units,
 * or a string/array past V8's size limits).
 */
export function renderJinja(text: string, context: Record<string, unknown>, maxOutputChars: number): string {
  const t = parsed(text);
  let out: string;
  try {
    out = t.render(context);
  } catch (e) {
    if (e instanceof RangeError && /Invalid (string|array) length/.test(e.message)) {
      throw new GlassboxError("CHAT_TEMPLATE_TOO_LARGE", `chat template built a value too large: ${e.message}`, { cause: e });
    }
    throw new GlassboxError("CHAT_TEMPLATE_ERROR", `chat template failed: ${messageOf(e)}`, { cause: e });
  }
  if (typeof out !== "string") {
    throw new GlassboxError("CHAT_TEMPLATE_ERROR", "chat template did not render to a string");
  }
  if (out.length > maxOutputChars) {
    throw new GlassboxError(
      "CHAT_TEMPLATE_TOO_LARGE",
      `chat template output has ${out.length} characters, more than the limit of ${maxOutputChars}`,
    );
  }
  return out;
}
