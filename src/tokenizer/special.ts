/**
 * Splitting input text around special tokens before the main tokenizer runs (llama.cpp's
 * `tokenizer_st_partition`, src/llama-vocab.cpp):
 *
 * - Special tokens are looked for longest first. Each one splits every remaining text fragment
 *   at all its (non-overlapping, leftmost-first) occurrences.
 * - USER_DEFINED tokens are always matched; CONTROL and UNKNOWN tokens only when
 *   `parseSpecial` is on (otherwise "<s>" in the input is plain text).
 * - A token with the LSTRIP attribute eats ASCII whitespace to its left; RSTRIP to its right.
 *
 * To stay fast with thousands of special tokens, one pass over the text (a trie walk) first
 * finds which special tokens occur at all; only those run the exact splitting above.
 */
import { TokenAttr, type Vocab } from "./vocab.js";

/** A piece of the partitioned input: raw text [start, end) of the input string, or a token id. */
export type Fragment = { readonly start: number; readonly end: number } | number;

interface TrieNode {
  next: Map<number, TrieNode> | undefined;
  /** Special tokens whose text ends here. */
  ids: number[] | undefined;
}

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Finds and splits out special tokens; built once per vocabulary. */
export class SpecialTokenSplitter {
  private readonly root: TrieNode = { next: undefined, ids: undefined };
  private readonly firstUnits = new Uint8Array(65536);
  /** Rank of each special token in the longest-first order, by id (-1: not special). */
  private readonly rank: Map<number, number> = new Map();
  private readonly count: number;

  constructor(private readonly vocab: Vocab) {
    const list = vocab.specialTokens;
    this.count = list.length;
    for (let r = 0; r < list.length; r++) {
      const id = list[r]!;
      const text = vocab.tokens[id]!;
      if (text.length === 0) continue;
      this.rank.set(id, r);
      this.firstUnits[text.charCodeAt(0)] = 1;
      let node = this.root;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        node.next ??= new Map();
        let child = node.next.get(c);
        if (!child) {
          child = { next: undefined, ids: undefined };
          node.next.set(c, child);
        }
        node = child;
      }
      (node.ids ??= []).push(id);
    }
  }

  /** Special tokens that occur in `text` and are eligible, in llama.cpp's search order. */
  private occurring(text: string, parseSpecial: boolean): number[] {
    const found = new Set<number>();
    const first = this.firstUnits;
    const attrs = this.vocab.attrs;
    for (let i = 0; i < text.length; i++) {
      if (first[text.charCodeAt(i)] === 0) continue;
      let node: TrieNode | undefined = this.root;
      for (let j = i; j < text.length && node?.next; j++) {
        node = node.next.get(text.charCodeAt(j));
        if (node?.ids) {
          for (const id of node.ids) {
            if (parseSpecial || !(attrs[id]! & (TokenAttr.CONTROL | TokenAttr.UNKNOWN))) found.add(id);
          }
        }
      }
    }
    return [...found].sort((a, b) => this.rank.get(a)! - this.rank.get(b)!);
  }

  /**
   * Partitions `text` into raw-text fragments and special-token ids, in order.
   * Source: llama-vocab.cpp `tokenizer_st_partition`.
   */
  partition(text: string, parseSpecial: boolean): Fragment[] {
    if (text.length === 0) return [];
    let frags: Fragment[] = [{ start: 0, end: text.length }];
    if (this.count === 0) return frags;
    for (const id of this.occurring(text, parseSpecial)) {
      const tok = this.vocab.tokens[id]!;
      const attr = this.vocab.attrs[id]!;
      const next: Fragment[] = [];
      // Fragments come in text order and `base` only grows, so each search resumes where the last ended.
      let cached = -2;
      const find = (base: number): number => {
        if (cached === -1 || cached >= base) return cached;
        cached = text.indexOf(tok, base);
        return cached;
      };
      for (const f of frags) {
        if (typeof f === "number") {
          next.push(f);
          continue;
        }
        let base = f.start;
        const end = f.end;
        for (;;) {
          const m = find(base);
          if (m < 0 || m + tok.length > end) {
            if (end > base) next.push({ start: base, end });
            break;
          }
          let leftEnd = m;
          if (attr & TokenAttr.LSTRIP) while (leftEnd > base && isSpace(text.charCodeAt(leftEnd - 1))) leftEnd--;
          if (leftEnd > base) next.push({ start: base, end: leftEnd });
          next.push(id);
          let right = m + tok.length;
          if (right >= end) break;
          if (attr & TokenAttr.RSTRIP) while (right < end && isSpace(text.charCodeAt(right))) right++;
          base = right;
          if (base >= end) break;
        }
      }
      frags = next;
    }
    return frags;
  }
}
