/**
 * Chat examples for supervised fine-tuning: a conversation is rendered with the chat template
 * and tokenized, and the loss is put ONLY on the assistant turns (their content and whatever
 * the template writes right after it to close the turn, e.g. "<|im_end|>\n" in ChatML or "</s>"
 * in Llama 2), never on system/user/tool text or on the assistant header.
 *
 * Method (template-agnostic; no template is parsed): with `r(msgs, addGenerationPrompt)` the
 * rendered text and `enc` the tokenizer (special tokens parsed, nothing added),
 *   full = r(all messages, false),  T = enc(full)
 *   for each assistant message k:
 *     pre_k  = r(messages[0..k), true)     the prompt up to and including the assistant header
 *     upto_k = r(messages[0..k], false)    the same plus the assistant turn
 *     start_k = longest common token prefix of enc(pre_k) and T
 *     end_k   = |enc(upto_k)| when enc(upto_k) is a token prefix of T, else its common prefix + 1
 *   the targets are T[start_k .. end_k), every other label is -1.
 * The longest-common-prefix steps make this safe when a token merges across the header/content
 * or the turn/next-turn boundary: the merged token is then a target (the model has to produce
 * it), as it is at generation time. The generation prompt is the truth here: whatever the
 * template writes after it (e.g. the space of Mistral's "[/INST] answer") is what the model
 * must produce when it is prompted that way, so it is a target.
 * When enc(pre_k) is not (up to its last token) a prefix of the history, the template renders
 * the prompt differently from the history (e.g. it prints the number of messages); the start
 * is then found with a marker: the conversation up to turn k with the assistant content
 * replaced by CONTENT_MARKER is rendered and cut before the marker (used when the marker occurs
 * once and the cut text is a prefix of upto_k).
 *
 * Limits:
 * - The template must render a prefix of the conversation as a prefix of the whole (string
 *   check `full.startsWith(upto_k)`). Templates that rewrite earlier turns (e.g. drop the
 *   reasoning of earlier assistant turns, move or date-stamp the system prompt depending on the
 *   number of turns) fail it; such a conversation becomes one example per assistant turn:
 *   enc(upto_k) with targets on turn k only (the earlier turns are then prompt, as the
 *   template shows them at that point). The count of such records is reported.
 * - A template that ignores add_generation_prompt leaves the assistant header out of pre_k, so
 *   the header is a target (consistent with prompting it that way). When the prompt is not a
 *   prefix of the history and the marker cannot be found either (the template escapes or
 *   rewrites content), the start falls at the first difference, so some prompt tokens of that
 *   turn become targets.
 * - Each render runs the template once more: 1 + 3 per assistant turn.
 * - Special-token text inside message content (e.g. a literal "<|im_end|>") is read as that
 *   special token, as llama.cpp's server does when it tokenizes a rendered chat.
 */
import type { ChatMessage } from "../../tokenizer/chat/types.js";

/** Renders messages to text; may be synchronous (built-ins) or asynchronous (sandboxed Jinja). */
export type ChatRenderer = (messages: ChatMessage[], addGenerationPrompt: boolean) => string | Promise<string>;

/** Token ids and loss labels (id where trained, -1 elsewhere) of one chat example, same length. */
export interface ChatExample {
  readonly ids: Int32Array;
  readonly labels: Int32Array;
}

/** The examples of one conversation: one, or one per assistant turn when the template rewrites turns. */
export interface ChatExamples {
  readonly examples: ChatExample[];
  readonly perTurn: boolean;
}

/**
 * Stands in for an assistant message's content to find where the content starts in the
 * template's output: plain ASCII letters and digits, so escaping and trimming leave it intact.
 */
export const CONTENT_MARKER = "GLASSBOXASSISTANTCONTENT7f3a9c";

function commonPrefix(a: Int32Array, b: Int32Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Where turn `t`'s targets start in `ids`: by the generation prompt, else by the marker. */
function turnStart(t: { pre: Int32Array; mark: Int32Array | undefined }, ids: Int32Array): number {
  const byPrompt = commonPrefix(t.pre, ids);
  if (byPrompt >= t.pre.length - 1 || !t.mark) return byPrompt;
  return Math.max(byPrompt, commonPrefix(t.mark, ids));
}

function labelsFor(ids: Int32Array, spans: ReadonlyArray<readonly [number, number]>): Int32Array {
  const labels = new Int32Array(ids.length).fill(-1);
  for (const [s, e] of spans) for (let i = s; i < e; i++) labels[i] = ids[i]!;
  return labels;
}

/**
 * Builds the training example(s) of one conversation (see the file comment for the method).
 * `encode` must tokenize rendered chat text: special tokens parsed, no BOS/EOS added.
 * Returns the examples, or a string saying why the conversation cannot be used (no assistant
 * tokens to learn). Errors thrown by `render` (template errors) propagate.
 */
export async function chatExamples(
  messages: ChatMessage[], render: ChatRenderer, encode: (text: string) => Int32Array,
): Promise<ChatExamples | string> {
  const full = await render(messages, false);
  const T = encode(full);
  const turns: Array<{ pre: Int32Array; mark: Int32Array | undefined; upto: Int32Array; consistent: boolean }> = [];
  for (let k = 0; k < messages.length; k++) {
    if (messages[k]!.role !== "assistant") continue;
    const pre = await render(messages.slice(0, k), true);
    const upto = await render(messages.slice(0, k + 1), false);
    const marked = await render([...messages.slice(0, k), { ...messages[k]!, content: CONTENT_MARKER }], false);
    const at = marked.indexOf(CONTENT_MARKER);
    const ok = at >= 0 && marked.lastIndexOf(CONTENT_MARKER) === at && upto.startsWith(marked.slice(0, at));
    turns.push({ pre: encode(pre), mark: ok ? encode(marked.slice(0, at)) : undefined, upto: encode(upto), consistent: full.startsWith(upto) });
  }
  if (turns.length === 0) return "no assistant message to learn from";

  const empty = "the chat template leaves no assistant tokens to learn";
  if (turns.every((t) => t.consistent)) {
    const spans: Array<[number, number]> = [];
    let any = false;
    for (const t of turns) {
      const start = turnStart(t, T);
      const c = commonPrefix(t.upto, T);
      const end = c === t.upto.length ? c : Math.min(c + 1, T.length);
      if (end > start) { spans.push([start, end]); any = true; }
    }
    if (!any) return empty;
    return { examples: [{ ids: T, labels: labelsFor(T, spans) }], perTurn: false };
  }
  const examples: ChatExample[] = [];
  for (const t of turns) {
    const start = turnStart(t, t.upto);
    if (t.upto.length > start) examples.push({ ids: t.upto, labels: labelsFor(t.upto, [[start, t.upto.length]]) });
  }
  if (examples.length === 0) return empty;
  return { examples, perTurn: true };
}
