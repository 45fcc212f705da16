/**
 * Pre-tokenizers for byte-level BPE vocabularies: split text into words before BPE merges run
 * inside each word. Behaviour follows llama.cpp exactly (src/llama-vocab.cpp `llm_tokenizer_bpe`
 * for which regexes each `tokenizer.ggml.pre` name uses, src/unicode.cpp `unicode_regex_split`
 * for how they are applied):
 *
 * - A pre-tokenizer is a list of regexes applied in turn. Each one splits every piece the
 *   previous one produced; both its matches and the text between matches become pieces.
 * - The GPT-2, Llama-3 and Qwen2 regexes run as hand-written scanners over code points (as
 *   llama.cpp does), with llama.cpp's character classes (see unicode.ts).
 * - Any other regex that uses \p{..} runs on a "collapsed" copy of the text in which every
 *   non-ASCII code point is one stand-in character for its category (letter, number,
 *   punctuation, accent mark, symbol, other) or U+000B for whitespace, and each \p{X} becomes a
 *   class of that stand-in plus the ASCII members of X. So \p{Lu} matches any letter, as in
 *   llama.cpp. Regexes without \p{..} run on the real code points with non-ASCII whitespace
 *   turned into U+000B.
 *
 * Offsets are counted in code points; `splitWords` returns pieces as lengths in code points.
 */
import { GlassboxError } from "../errors.js";
import {
  CPT_ACCENT_MARK, CPT_CATEGORY_MASK, CPT_LETTER, CPT_NUMBER, CPT_PUNCTUATION, CPT_SYMBOL, CPT_WHITESPACE,
  cptToLower, flagsFor,
} from "./unicode.js";

/** One splitting step: maps piece lengths (code points, summing to n) to finer piece lengths. */
type SplitStep = (cps: Int32Array, n: number, flags: Uint16Array, pieces: number[]) => number[];

/** How a vocabulary's pre-tokenizer behaves; produced by `resolvePreTokenizer`. */
export interface PreTokenizerConfig {
  /** llama.cpp's pre-tokenizer type this name maps to (lower-case form of LLAMA_VOCAB_PRE_TYPE_*). */
  readonly type: string;
  /** The regexes, in llama.cpp's syntax, applied in order. */
  readonly regexes: readonly string[];
  /** clean_up_tokenization_spaces applied by llama_detokenize (true unless the type turns it off). */
  readonly cleanSpaces: boolean;
  /** When a whole word is a vocabulary token, emit it without running merges. */
  readonly ignoreMerges: boolean;
  /** The type forces add_bos = true before the GGUF flag is read (llama3, tekken, chameleon). */
  readonly addBos: boolean;
}

const GPT2_RE = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3_RE =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_RE_ORIG =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_RE =
  "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const NEWLINES_RE = "[^\\n]+|[\\n]+";
const CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const PORO_RE = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";
const GPT4O_RE =
  "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+" + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" + CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Regex lists per pre-tokenizer type (llama-vocab.cpp, `llm_tokenizer_bpe` constructor). */
const TYPE_REGEXES: Readonly<Record<string, readonly string[]>> = {
  default: ["[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2_RE, "\\p{N}+", "[0-9][0-9][0-9]"],
  llama3: [LLAMA3_RE],
  "deepseek-llm": [
    "[\r\n]",
    "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}]+",
    "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+",
    "\\s+$",
    "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+",
    "\\p{N}+",
  ],
  "deepseek3-llm": [
    "\\p{N}{1,3}",
    "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
  ],
  "deepseek-coder": ["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+", "\\p{N}"],
  falcon: ["[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2_RE, "[0-9][0-9][0-9]"],
  starcoder: ["\\p{N}", GPT2_RE],
  gpt2: [GPT2_RE],
  qwen2: [QWEN2_RE],
  poro: [PORO_RE],
  viking: [PORO_RE, "\\p{N}"],
  tekken: [
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  chameleon: [
    "<sentinel:[0-9]+>",
    "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
    "([\\t\\n]|    |  )",
    "\\p{N}",
    "[\\p{P}!-/:-@\\[-`{-~]",
    GPT2_RE,
  ],
  gpt4o: [GPT4O_RE],
  bailingmoe: [
    "'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
  ],
  "seed-coder": [
    CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  laguna: [NEWLINES_RE, QWEN2_RE],
  "exaone-moe": [
    CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
  ],
  minicpm5: [
    "\\p{N}{1,3}",
    CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  youtu: [
    "[\uAC00-\uD7A3\u3131-\u318E]+|[\uFF01\u2026\u201C\u201D\u2018\u2019\u2014\uFF1A\uFF1B\uFF0C\u3001-\u303F\uFE30-\uFE4F]+|[\u3105-\u312F]+|[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+" + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*" + CONTRACTIONS + "?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  jais2: [
    CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}",
  ],
  qwen35: [
    CONTRACTIONS + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
  "granite-emb-multi": [
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+" + CONTRACTIONS + "?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*" + CONTRACTIONS + "?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  ],
};

interface NameEntry {
  type: string;
  cleanSpaces?: false;
  ignoreMerges?: true;
  addBos?: true;
}

function names(list: string[], entry: NameEntry): Array<[string, NameEntry]> {
  return list.map((n) => [n, entry]);
}

/**
 * `tokenizer.ggml.pre` names llama.cpp accepts, with the type and flags it sets for each
 * (llama-vocab.cpp, `llama_vocab::impl::load`). Several llama.cpp types share one regex list;
 * `type` here names the regex list.
 */
const PRE_NAMES: ReadonlyMap<string, NameEntry> = new Map<string, NameEntry>([
  ["default", { type: "default" }],
  ...names(["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
    { type: "llama3", ignoreMerges: true, addBos: true }),
  ...names(["deepseek-llm"], { type: "deepseek-llm", cleanSpaces: false }),
  ...names(["deepseek-coder"], { type: "deepseek-coder", cleanSpaces: false }),
  ...names(["deepseek-v3"], { type: "deepseek3-llm", cleanSpaces: false }),
  ...names(["hunyuan-dense", "joyai-llm"], { type: "deepseek3-llm", cleanSpaces: false }),
  ...names(["falcon"], { type: "falcon" }),
  ...names(["mpt", "olmo", "jais", "a.x-4.0", "exaone4", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es",
    "jina-v2-de", "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe"], { type: "gpt2" }),
  ...names(["trillion", "granite-docling"], { type: "gpt2", cleanSpaces: false }),
  ...names(["starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"], { type: "starcoder" }),
  ...names(["command-r", "smollm"], { type: "starcoder", cleanSpaces: false }),
  ...names(["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open"], { type: "qwen2", cleanSpaces: false }),
  ...names(["megrez", "stablelm2"], { type: "qwen2" }),
  ...names(["dbrx", "smaug-bpe"], { type: "llama3" }),
  ...names(["glm4", "chatglm-bpe"], { type: "llama3" }),
  ...names(["poro-chat"], { type: "poro", cleanSpaces: false }),
  ...names(["bloom", "gpt3-finnish"], { type: "poro" }),
  ...names(["viking"], { type: "viking", cleanSpaces: false }),
  ...names(["tekken"], { type: "tekken", cleanSpaces: false, ignoreMerges: true, addBos: true }),
  ...names(["chameleon"], { type: "chameleon", cleanSpaces: false, addBos: true }),
  ...names(["gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"], { type: "gpt4o", cleanSpaces: false }),
  ...names(["bailingmoe", "bailingmoe2", "llada-moe"], { type: "bailingmoe", cleanSpaces: false }),
  ...names(["seed-coder"], { type: "seed-coder", cleanSpaces: false }),
  ...names(["grok-2"], { type: "qwen2", cleanSpaces: false }),
  ...names(["laguna"], { type: "laguna", cleanSpaces: false }),
  ...names(["exaone-moe"], { type: "exaone-moe" }),
  ...names(["minicpm5"], { type: "minicpm5", ignoreMerges: true }),
  ...names(["youtu"], { type: "youtu", cleanSpaces: false, ignoreMerges: true }),
  ...names(["jais-2"], { type: "jais2" }),
  ...names(["qwen35"], { type: "qwen35", cleanSpaces: false }),
  ...names(["granite-embed-multi-97m"], { type: "granite-emb-multi", cleanSpaces: false, ignoreMerges: true }),
]);

/** `tokenizer.ggml.pre` values llama.cpp knows but this package does not implement (custom C++ splitters). */
const KNOWN_UNSUPPORTED = new Set([
  "kimi-k2", "afmoe", "tiny_aya", "cohere2moe", "superbpe", "gemma4", "granite-embed-multi-311m", "sarvam-moe",
  "whitespace",
]);

/**
 * Resolves a `tokenizer.ggml.pre` value for a BPE vocabulary. `undefined` (key absent) means
 * "default", as in llama.cpp. Throws GlassboxError TOKENIZER_UNSUPPORTED for names llama.cpp
 * rejects ("unknown pre-tokenizer type") and for the few it handles with custom code we lack.
 */
export function resolvePreTokenizer(name: string | undefined): PreTokenizerConfig {
  const key = name === undefined || name === "" ? "default" : name;
  const e = PRE_NAMES.get(key);
  if (!e) {
    const why = KNOWN_UNSUPPORTED.has(key) ? "is not supported by glassbox" : "is unknown (llama.cpp rejects it too)";
    throw new GlassboxError("TOKENIZER_UNSUPPORTED", `pre-tokenizer '${key}' ${why}`);
  }
  return {
    type: e.type,
    regexes: TYPE_REGEXES[e.type]!,
    cleanSpaces: e.cleanSpaces ?? true,
    ignoreMerges: e.ignoreMerges ?? false,
    addBos: e.addBos ?? false,
  };
}

/** Names of every supported `tokenizer.ggml.pre` value. */
export function supportedPreTokenizers(): string[] {
  return [...PRE_NAMES.keys()];
}

// ---------------------------------------------------------------------------------------------
// Hand-written scanners (llama.cpp's unicode_regex_split_custom_gpt2 / _llama3 / _qwen2).

const APOS = 0x27;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const F_L = CPT_LETTER;
const F_N = CPT_NUMBER;
const F_WS = CPT_WHITESPACE;

/**
 * Length of the English contraction ('s 't 'm 'd: 2; 're 've 'll: 3) starting at cps[pos] and
 * ending before `end`, or 0 if there is none. `caseless` lowercases the letters first (Llama-3's
 * `(?i:...)`); GPT-2 matches them as written.
 */
function contractionAt(cps: Int32Array, pos: number, end: number, caseless: boolean): number {
  if (cps[pos] !== APOS || pos + 1 >= end) return 0;
  const a = caseless ? cptToLower(cps[pos + 1]!) : cps[pos + 1]!;
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return 2; // s t m d
  if (pos + 2 >= end) return 0;
  const b = caseless ? cptToLower(cps[pos + 2]!) : cps[pos + 2]!;
  if ((a === 0x72 && b === 0x65) || (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c)) return 3; // re ve ll
  return 0;
}

/**
 * Length of the last alternatives `\s+(?!\S)|\s+` for a run of `nws` whitespace code points at
 * `pos` in a piece ending at `end`: a run followed by a non-space leaves its last space to the next
 * word (nws - 1 when nws > 1), a run reaching the end takes all of it, and with no whitespace
 * (nws = 0) the one code point at `pos` is a word of its own (1).
 */
function spaceRunMatch(nws: number, pos: number, end: number): number {
  if (nws > 1 && pos + nws < end) return nws - 1;
  return nws > 0 ? nws : 1;
}

/**
 * Runs a hand-written scanner over each piece and returns the word lengths of all pieces in order.
 * `wordAt(pos, end, fl)` gives the length (>= 1) of the word starting at cps[pos] in the piece
 * ending at `end`; `fl(p)` is the category flags of cps[p], 0 at or past `end`.
 */
function scanWords(
  cps: Int32Array, flags: Uint16Array, pieces: number[],
  wordAt: (pos: number, end: number, fl: (p: number) => number) => number,
): number[] {
  const out: number[] = [];
  let start = 0;
  for (const len of pieces) {
    const end = start + len;
    const fl = (p: number): number => (p < end ? flags[cps[p]!]! : 0);
    for (let pos = start; pos < end;) {
      const m = wordAt(pos, end, fl);
      out.push(m);
      pos += m;
    }
    start = end;
  }
  return out;
}

/** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
function splitGpt2(cps: Int32Array, _n: number, flags: Uint16Array, pieces: number[]): number[] {
  return scanWords(cps, flags, pieces, (pos, end, fl) => {
    const nc = contractionAt(cps, pos, end, false);
    if (nc > 0) return nc;
    const cpt = cps[pos]!;
    const s = cpt === SPACE ? 1 : 0;
    let f2 = s ? fl(pos + 1) : flags[cpt]!;
    if (f2 & F_L) {
      let p = pos + s;
      while (f2 & F_L) f2 = fl(++p);
      return p - pos;
    }
    if (f2 & F_N) {
      let p = pos + s;
      while (f2 & F_N) f2 = fl(++p);
      return p - pos;
    }
    if (!(f2 & (F_WS | F_L | F_N)) && f2 !== 0) {
      let p = pos + s;
      while (!(f2 & (F_WS | F_L | F_N)) && f2 !== 0) f2 = fl(++p);
      return p - pos;
    }
    let nws = 0;
    while (fl(pos + nws) & F_WS) nws++;
    return spaceRunMatch(nws, pos, end);
  });
}

/**
 * Llama-3 (maxDigits 3) and Qwen2 (maxDigits 1):
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 */
function makeSplitLlama3(maxDigits: number): SplitStep {
  return (cps, _n, flags, pieces) => scanWords(cps, flags, pieces, (pos, end, fl) => {
    const nc = contractionAt(cps, pos, end, true);
    if (nc > 0) return nc;
    const cpt = cps[pos]!;
    const f = flags[cpt]!;
    if (!(cpt === CR || cpt === LF || f & F_N)) {
      if (f & F_L || fl(pos + 1) & F_L) {
        let p = pos + 1;
        while (fl(p) & F_L) p++;
        return p - pos;
      }
    }
    if (f & F_N) {
      let p = pos;
      while (p < end && flags[cps[p]!]! & F_N && p - pos < maxDigits) p++;
      return p - pos;
    }
    let f2 = cpt === SPACE ? fl(pos + 1) : f;
    if (!(f2 & (F_WS | F_L | F_N)) && f !== 0) {
      let p = pos + (cpt === SPACE ? 1 : 0);
      while (!(f2 & (F_WS | F_L | F_N)) && f2 !== 0) f2 = fl(++p);
      while (p < end && (cps[p] === CR || cps[p] === LF)) p++;
      return p - pos;
    }
    let nws = 0;
    let lastNl = 0;
    while (fl(pos + nws) & F_WS) {
      const c = cps[pos + nws]!;
      if (c === CR || c === LF) lastNl = pos + nws + 1;
      nws++;
    }
    if (lastNl > 0) return lastNl - pos;
    return spaceRunMatch(nws, pos, end);
  });
}

/** [^\n]+|[\n]+ : runs of non-newlines and runs of newlines. */
function splitNewlines(cps: Int32Array, _n: number, flags: Uint16Array, pieces: number[]): number[] {
  return scanWords(cps, flags, pieces, (pos, end) => {
    const nl = cps[pos] === LF;
    let p = pos + 1;
    while (p < end && (cps[p] === LF) === nl) p++;
    return p - pos;
  });
}

// ---------------------------------------------------------------------------------------------
// General regexes, run like llama.cpp runs them through std::regex.

/** \p{..} names llama.cpp maps to a category (unicode.cpp, k_ucat_enum); the L* subcategories all mean "letter". */
const UCAT: Readonly<Record<string, number>> = {
  "\\p{N}": CPT_NUMBER, "\\p{L}": CPT_LETTER, "\\p{P}": CPT_PUNCTUATION, "\\p{M}": CPT_ACCENT_MARK,
  "\\p{S}": CPT_SYMBOL, "\\p{Lu}": CPT_LETTER, "\\p{Ll}": CPT_LETTER, "\\p{Lt}": CPT_LETTER,
  "\\p{Lm}": CPT_LETTER, "\\p{Lo}": CPT_LETTER,
};
/** Stand-in characters of the collapsed text, per category; everything else non-ASCII is U+00D0. */
const UCAT_CHAR: Readonly<Record<number, number>> = {
  [CPT_NUMBER]: 0xd1, [CPT_LETTER]: 0xd2, [CPT_PUNCTUATION]: 0xd3, [CPT_ACCENT_MARK]: 0xd4, [CPT_SYMBOL]: 0xd5,
};
/** The ASCII members of each category, as regex class contents. */
const UCAT_ASCII: Readonly<Record<number, string>> = {
  [CPT_NUMBER]: "0-9",
  [CPT_LETTER]: "A-Za-z",
  [CPT_PUNCTUATION]: "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
  [CPT_ACCENT_MARK]: "",
  [CPT_SYMBOL]: "\\$\\+<->\\^`\\|~",
};

/** ASCII whitespace as std::regex's `\s` sees it in the C locale. */
const WS_CLASS = "\\t\\n\\v\\f\\r ";

/** Rewrites `\s`/`\S` to ASCII-only classes (JS's `\s` also matches U+FEFF and more). */
function asciiSpaces(src: string): string {
  let out = "";
  let inside = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\\" && i + 1 < src.length) {
      const d = src[i + 1]!;
      if (d === "s") out += inside ? WS_CLASS : `[${WS_CLASS}]`;
      else if (d === "S" && !inside) out += `[^${WS_CLASS}]`;
      else out += c + d;
      i++;
      continue;
    }
    if (c === "[" && !inside) inside = true;
    else if (c === "]" && inside) inside = false;
    out += c;
  }
  return out;
}

interface CompiledRegex {
  readonly re: RegExp;
  readonly collapsed: boolean;
}

function usesCategories(src: string): boolean {
  for (const k of Object.keys(UCAT)) if (src.includes(k)) return true;
  return false;
}

/** Compiles one llama.cpp regex the way unicode_regex_split would run it. */
function compileRegex(src: string): CompiledRegex {
  if (!usesCategories(src)) {
    return { re: new RegExp(asciiSpaces(src), "gu"), collapsed: false };
  }
  for (const ch of src) {
    if (ch.codePointAt(0)! >= 128) {
      throw new GlassboxError("TOKENIZER_UNSUPPORTED", `regex mixes unicode categories and non-ASCII characters: ${src}`);
    }
  }
  let out = "";
  let inside = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "[" && (i === 0 || src[i - 1] !== "\\")) {
      out += "[";
      inside = true;
      continue;
    }
    if (inside && c === "]" && src[i - 1] !== "\\") {
      out += "]";
      inside = false;
      continue;
    }
    if (c === "\\" && src[i + 1] === "p" && src[i + 2] === "{") {
      const close = src.indexOf("}", i + 3);
      if (close >= 0 && close <= i + 10) {
        const cat = UCAT[src.slice(i, close + 1)];
        if (cat !== undefined) {
          const cls = `\\u00${UCAT_CHAR[cat]!.toString(16).toUpperCase()}${UCAT_ASCII[cat]!}`;
          out += inside ? cls : `[${cls}]`;
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return { re: new RegExp(out, "g"), collapsed: true };
}

/** Collapsed text: ASCII kept, whitespace -> U+000B, other code points -> their category's stand-in. */
function collapse(cps: Int32Array, n: number, flags: Uint16Array): string {
  const units = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const c = cps[i]!;
    if (c < 128) {
      units[i] = c;
      continue;
    }
    const f = flags[c]!;
    units[i] = f & CPT_WHITESPACE ? 0x0b : UCAT_CHAR[f & CPT_CATEGORY_MASK] ?? 0xd0;
  }
  return unitsToString(units);
}

/** Real text with non-ASCII whitespace -> U+000B, and each code point's UTF-16 start. */
function widen(cps: Int32Array, n: number, flags: Uint16Array): { text: string; unitStart: Int32Array } {
  const unitStart = new Int32Array(n + 1);
  const units: number[] = [];
  for (let i = 0; i < n; i++) {
    unitStart[i] = units.length;
    let c = cps[i]!;
    if (c > 0x7f && flags[c]! & CPT_WHITESPACE) c = 0x0b;
    if (c > 0xffff) units.push(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 0x3ff));
    else units.push(c);
  }
  unitStart[n] = units.length;
  return { text: unitsToString(Uint16Array.from(units)), unitStart };
}

function unitsToString(units: Uint16Array): string {
  let s = "";
  const CH = 8192;
  for (let i = 0; i < units.length; i += CH) s += String.fromCharCode(...units.subarray(i, i + CH));
  return s;
}

function regexStep(src: string): SplitStep {
  const { re, collapsed } = compileRegex(src);
  return (cps, n, flags, pieces) => {
    const out: number[] = [];
    let text: string;
    let unitStart: Int32Array | null = null;
    if (collapsed) {
      text = collapse(cps, n, flags);
    } else {
      const w = widen(cps, n, flags);
      text = w.text;
      unitStart = w.unitStart;
    }
    // code point index of a UTF-16 unit offset (only needed for the wide text with astral chars)
    const astral = unitStart !== null && unitStart[n] !== n;
    let start = 0;
    for (const len of pieces) {
      const u0 = unitStart ? unitStart[start]! : start;
      const u1 = unitStart ? unitStart[start + len]! : start + len;
      const frag = text.slice(u0, u1);
      const toCp = (u: number): number => {
        if (!astral) return u;
        // binary search in unitStart[start..start+len]
        let lo = start;
        let hi = start + len;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (unitStart![mid]! - u0 < u) lo = mid + 1;
          else hi = mid;
        }
        return lo - start;
      };
      re.lastIndex = 0;
      let prev = 0;
      for (let m = re.exec(frag); m !== null; m = re.exec(frag)) {
        if (m[0].length === 0) { // an empty match splits nothing; step over it as std::regex_iterator does
          re.lastIndex = m.index + (astral && frag.charCodeAt(m.index) >= 0xd800 && frag.charCodeAt(m.index) < 0xdc00 ? 2 : 1);
          continue;
        }
        const a = toCp(m.index);
        const b = toCp(m.index + m[0].length);
        if (a > prev) out.push(a - prev);
        out.push(b - a);
        prev = b;
      }
      if (prev < len) out.push(len - prev);
      start += len;
    }
    return out;
  };
}

/** A compiled pre-tokenizer: split code points into words (lengths in code points). */
export class PreTokenizer {
  private readonly steps: SplitStep[];

  constructor(readonly config: PreTokenizerConfig) {
    this.steps = config.regexes.map((src) => {
      if (src === GPT2_RE) return splitGpt2;
      if (src === LLAMA3_RE || src === LLAMA3_RE_ORIG) return makeSplitLlama3(3);
      if (src === QWEN2_RE) return makeSplitLlama3(1);
      if (src === NEWLINES_RE) return splitNewlines;
      return regexStep(src);
    });
  }

  /**
   * Splits `cps[0, n)` into words; returns their lengths in code points (all > 0, summing to n).
   * An empty input gives no words.
   */
  splitWords(cps: Int32Array, n: number): number[] {
    if (n === 0) return [];
    const flags = flagsFor(cps, n);
    let pieces = [n];
    for (const step of this.steps) pieces = step(cps, n, flags, pieces);
    return pieces;
  }
}
