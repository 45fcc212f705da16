/**
 * Records -> tokenized documents. Plain text is tokenized as text (special-token text such as
 * "<|endoftext|>" inside it stays plain text; no BOS/EOS, the packer adds those). Chat records
 * are rendered with the chat template and get loss labels on the assistant turns only
 * (chat-mask.ts). Which template: the named built-in, else the model's Jinja template (rendered
 * in the sandbox), else the default built-in (chatml), as resolveChatTemplate decides.
 */
import { isGlassboxError } from "../../errors.js";
import { applyBuiltinChatTemplate, applyChatTemplate, resolveChatTemplate } from "../../tokenizer/chat/apply.js";
import type { ChatMessage } from "../../tokenizer/chat/types.js";
import type { Tokenizer } from "../../tokenizer/tokenizer.js";
import type { BadRecordLog } from "./bad-records.js";
import { chatExamples, type ChatRenderer } from "./chat-mask.js";
import type { DataRecord, TokenizedDocument } from "./types.js";
import { utf8Length } from "./utf8.js";

/** Options of tokenizeRecords. */
export interface DocumentOptions {
  /** Jinja chat template, e.g. the model's `tokenizer.chat_template` (treated as hostile: sandboxed). */
  chatTemplate?: string;
  /** Name of a built-in chat template (wins over `chatTemplate`). */
  chatTemplateName?: string;
  /**
   * True when the packer puts BOS before each document: a BOS text that the chat template writes
   * at the start is then removed so that it is not doubled. Default false.
   */
  addBos?: boolean;
  /** Documents with more tokens than this are bad records. Default: no limit. */
  maxRecordTokens?: number;
  /**
   * Chat examples with more tokens than this are bad records (set by the padding mode, where an
   * example must fit whole in one sequence), with `maxChatTokensReason` as the explanation.
   */
  maxChatTokens?: number;
  maxChatTokensReason?: string;
  /** Wall-clock limit of one sandboxed template render, ms (default: applyChatTemplate's). */
  chatTimeoutMs?: number;
}

/** Result of tokenizeRecords. */
export interface TokenizedRecords {
  readonly documents: TokenizedDocument[];
  /** Records that gave at least one document. */
  readonly used: number;
  /** Chat records split into one example per assistant turn (template rewrites earlier turns). */
  readonly perTurnChats: number;
  /** The chat template used, e.g. "builtin:chatml" or "model"; undefined when there was no chat. */
  readonly chatTemplate: string | undefined;
}

/**
 * A renderer for the resolved template: built-ins render in-process (synchronous), a model
 * template renders in the sandbox. bos_token / eos_token are the tokenizer's BOS/EOS texts.
 */
export function makeChatRenderer(
  tokenizer: Tokenizer, o: Pick<DocumentOptions, "chatTemplate" | "chatTemplateName" | "addBos" | "chatTimeoutMs">,
): { render: ChatRenderer; description: string } {
  const resolved = resolveChatTemplate(o.chatTemplate, o.chatTemplateName);
  const bosToken = tokenizer.bos >= 0 ? tokenizer.tokenText(tokenizer.bos) : "";
  const eosToken = tokenizer.eos >= 0 ? tokenizer.tokenText(tokenizer.eos) : "";
  const base = { bosToken, eosToken, stripBos: o.addBos ?? false };
  if (resolved.kind === "builtin") {
    const name = resolved.name!;
    return {
      render: (messages, addGenerationPrompt) => applyBuiltinChatTemplate(name, { ...base, messages, addGenerationPrompt }),
      description: `builtin:${name}`,
    };
  }
  return {
    render: (messages, addGenerationPrompt) => applyChatTemplate({
      ...base, template: resolved.text, messages, addGenerationPrompt,
      ...(o.chatTimeoutMs !== undefined ? { timeoutMs: o.chatTimeoutMs } : {}),
    }),
    description: "model",
  };
}

/** UTF-8 byte length of each token's piece, computed on first use. */
class PieceBytes {
  private readonly lens: Int32Array;
  constructor(private readonly tok: Tokenizer) {
    this.lens = new Int32Array(tok.vocabSize).fill(-1);
  }
  of(id: number): number {
    let n = this.lens[id]!;
    if (n < 0) { n = this.tok.tokenToPiece(id).length; this.lens[id] = n; }
    return n;
  }
}

/**
 * Tokenizes records into documents, in record order (a chat record may give several documents,
 * see chat-mask.ts). Bad records (empty after tokenization, over `maxRecordTokens` /
 * `maxChatTokens`, chat template errors, no assistant tokens) go to `bad`, which throws
 * DATA_BAD_RECORD under the "error" policy. Other errors propagate.
 * `unit` of a document = the index of its record in `records`.
 */
export async function tokenizeRecords(
  records: readonly DataRecord[], tokenizer: Tokenizer, bad: BadRecordLog, o: DocumentOptions = {},
): Promise<TokenizedRecords> {
  const documents: TokenizedDocument[] = [];
  let used = 0;
  let perTurnChats = 0;
  let renderer: { render: ChatRenderer; description: string } | undefined;
  const pieceBytes = new PieceBytes(tokenizer);
  const encodeChat = (text: string): Int32Array => tokenizer.encode(text, { addSpecial: false, parseSpecial: true });
  const tooLong = (n: number): string | undefined =>
    o.maxRecordTokens !== undefined && n > o.maxRecordTokens
      ? `${n} tokens is longer than the limit of ${o.maxRecordTokens}` : undefined;

  for (let unit = 0; unit < records.length; unit++) {
    const r = records[unit]!;
    if (r.kind === "text") {
      const ids = tokenizer.encode(r.text, { addSpecial: false });
      const why = ids.length === 0 ? "text gives no tokens" : tooLong(ids.length);
      if (why !== undefined) { bad.report(r.file, r.line, why); continue; }
      documents.push({
        kind: "text", ids, labels: undefined, file: r.file, line: r.line, fileIndex: r.fileIndex,
        part: r.part, unit, bytes: utf8Length(r.text),
      });
      used++;
      continue;
    }
    renderer ??= makeChatRenderer(tokenizer, o);
    let result;
    try {
      result = await chatExamples(r.messages as ChatMessage[], renderer.render, encodeChat);
    } catch (e) {
      if (!isGlassboxError(e) || !e.code.startsWith("CHAT_")) throw e;
      bad.report(r.file, r.line, `chat template: ${e.message}`);
      continue;
    }
    if (typeof result === "string") { bad.report(r.file, r.line, result); continue; }
    let why: string | undefined;
    for (const ex of result.examples) {
      why ??= tooLong(ex.ids.length);
      if (why === undefined && o.maxChatTokens !== undefined && ex.ids.length > o.maxChatTokens) {
        why = `${ex.ids.length} tokens ${o.maxChatTokensReason ?? `is longer than the limit of ${o.maxChatTokens}`}`;
      }
    }
    if (why !== undefined) { bad.report(r.file, r.line, why); continue; }
    for (const ex of result.examples) {
      let bytes = 0;
      for (let i = 0; i < ex.labels.length; i++) if (ex.labels[i]! >= 0) bytes += pieceBytes.of(ex.labels[i]!);
      documents.push({
        kind: "chat", ids: ex.ids, labels: ex.labels, file: r.file, line: r.line, fileIndex: r.fileIndex,
        part: -1, unit, bytes,
      });
    }
    if (result.perTurn) perTurnChats++;
    used++;
  }
  return { documents, used, perTurnChats, chatTemplate: renderer?.description };
}
