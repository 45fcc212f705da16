// The Model API around the families: batching and chunking, the KV cache (rewind, reset),
// input errors with their codes, hyperparameters read from the files, the registry's errors,
// tied output heads, and the activation hook. Uses the small vector models with the reference
// kernels (exact comparisons) and one wasm run (batched prefill vs one token at a time).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { GlassboxError } from "../../src/errors.js";
import { GgufFile } from "../../src/formats/gguf/reader.js";
import { ggufToWrite, serializeGguf } from "../../src/formats/gguf/writer.js";
import { kv } from "../../src/formats/gguf/kv.js";
import { loadWasmKernels, refKernels } from "../../src/kernels/index.js";
import { loadModel, supportedArchitectures } from "../../src/models/registry.js";
import { LlamaModel } from "../../src/models/llama.js";
import type { Model } from "../../src/models/model.js";
import { vectorPath } from "../helpers/vectors.js";
import { loadVectorModel, readModelJson } from "./harness.js";

function maxAbs(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) { const d = Math.abs(a[i]! - b[i]!); if (!(d <= m)) m = d; }
  return m;
}

/** A vector model's GGUF rewritten in memory with `edit` applied to its KVs and tensors. */
function editedGguf(m: string, edit: (w: ReturnType<typeof ggufToWrite>) => void): GgufFile {
  const src = GgufFile.open(vectorPath("llamacpp", `${m}.gguf`));
  try {
    const w = ggufToWrite(src);
    w.tensors = w.tensors.map((t) => ({ ...t, data: src.tensorBytes(t.name) }));
    edit(w);
    return GgufFile.fromBytes(serializeGguf(w));
  } finally {
    src.close();
  }
}

function expectCode(f: () => unknown, code: string, ...inMessage: string[]): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof GlassboxError, `expected GlassboxError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const s of inMessage) assert.ok(e.message.includes(s), `message "${e.message}" lacks "${s}"`);
    return true;
  });
}

/** Logits of every token of `tokens`, fed one token per eval call. */
function oneByOne(model: Model, tokens: number[]): Float32Array {
  model.reset();
  const out = new Float32Array(tokens.length * model.nVocab);
  tokens.forEach((t, i) => out.set(model.eval(Int32Array.of(t), i), i * model.nVocab));
  return out;
}

describe("hyperparameters", () => {
  test("read from each vector model's keys and tensor shapes", () => {
    const want: Record<string, Partial<Model["hparams"]>> = {
      "llama-gqa-f32": { nEmbd: 32, nLayer: 2, nHead: 4, nHeadKv: 2, headDim: 8, nFf: 96, nRot: 8, nVocab: 32000, ropeFreqBase: 10000 },
      "qwen2-f32": { nEmbd: 64, nHead: 4, nHeadKv: 2, headDim: 16, nRot: 16, nVocab: 2048, ropeFreqBase: 1e6 },
      "gpt2-f32": { nEmbd: 64, nHeadKv: 4, nFf: 256, nVocab: 2048, nCtxTrain: 512 },
      "gptneox-f32": { nRot: 4, headDim: 16, useParallelResidual: true },
      "falcon-f32": { nHead: 4, nHeadKv: 1, nEmbdKv: 16, nRot: 16 },
      "bloom-f32": { nHead: 4, nHeadKv: 4, nVocab: 2048 },
    };
    for (const [m, hp] of Object.entries(want)) {
      const model = loadVectorModel(m, refKernels, 16);
      for (const [k, v] of Object.entries(hp)) assert.equal(model.hparams[k as keyof Model["hparams"]], v, `${m} ${k}`);
      assert.equal(model.hparams.normEps, Math.fround(m.startsWith("qwen2") ? 1e-6 : 1e-5), `${m} eps`);
      assert.equal(model.nCtx, 16);
      assert.equal(model.arch, readModelJson(m).architecture);
    }
  });

  test("a missing key is MODEL_BAD_METADATA naming the key", () => {
    const g = editedGguf("gpt2-f32", (w) => { w.kv = w.kv.filter((e) => e.key !== "gpt2.embedding_length"); });
    expectCode(() => loadModel(g, refKernels), "MODEL_BAD_METADATA", "gpt2.embedding_length");
    const g2 = editedGguf("llama-gqa-f32", (w) => { w.kv = w.kv.filter((e) => e.key !== "llama.attention.layer_norm_rms_epsilon"); });
    expectCode(() => loadModel(g2, refKernels), "MODEL_BAD_METADATA", "llama.attention.layer_norm_rms_epsilon");
    const g3 = editedGguf("gpt2-f32", (w) => { w.kv = w.kv.map((e) => e.key === "gpt2.block_count" ? kv.string("gpt2.block_count", "two") : e); });
    expectCode(() => loadModel(g3, refKernels), "MODEL_BAD_METADATA", "gpt2.block_count");
  });

  test("a non-positive norm epsilon or RoPE base is MODEL_BAD_METADATA at load, not NaN logits later", () => {
    const set = (key: string, v: number) => editedGguf("llama-gqa-f32", (w) => {
      w.kv = [...w.kv.filter((e) => e.key !== key), kv.f32(key, v)];
    });
    for (const v of [-1e-5, 0]) expectCode(() => loadModel(set("llama.attention.layer_norm_rms_epsilon", v), refKernels), "MODEL_BAD_METADATA", "layer_norm_rms_epsilon", "positive");
    for (const v of [0, -10000]) expectCode(() => loadModel(set("llama.rope.freq_base", v), refKernels), "MODEL_BAD_METADATA", "rope.freq_base", "positive");
    expectCode(() => loadModel(set("llama.rope.scaling.factor", -2), refKernels), "MODEL_BAD_METADATA", "rope.scaling.factor");
  });

  test("an unknown architecture is MODEL_UNSUPPORTED_ARCH listing the supported ones", () => {
    const g = editedGguf("gpt2-f32", (w) => { w.kv = w.kv.map((e) => e.key === "general.architecture" ? kv.string("general.architecture", "mamba") : e); });
    expectCode(() => loadModel(g, refKernels), "MODEL_UNSUPPORTED_ARCH", "mamba", "llama", "qwen2", "gpt2", "gptneox", "falcon", "bloom");
    const g2 = editedGguf("gpt2-f32", (w) => { w.kv = w.kv.map((e) => e.key === "general.architecture" ? kv.string("general.architecture", "toString") : e); });
    expectCode(() => loadModel(g2, refKernels), "MODEL_UNSUPPORTED_ARCH", "toString");
    assert.deepEqual(supportedArchitectures(), ["bloom", "falcon", "gpt2", "gptneox", "llama", "mistral", "qwen2"]);
  });

  test("a missing or misshapen tensor is named", () => {
    const g = editedGguf("gpt2-f32", (w) => { w.tensors = w.tensors.filter((t) => t.name !== "blk.1.ffn_up.bias"); });
    expectCode(() => loadModel(g, refKernels), "MODEL_MISSING_TENSOR", "blk.1.ffn_up.bias");
  });
});

describe("eval", () => {
  test("batched prefill equals one token at a time, and chunking by nBatch changes nothing (ref: bit-exact)", () => {
    for (const m of ["gpt2-f32", "qwen2-f32", "bloom-f32"]) {
      const p = readModelJson(m).prompts[1]!;
      const model = loadVectorModel(m, refKernels);
      const batched = model.eval(Int32Array.from(p.tokens), 0, { allLogits: true });
      assert.equal(maxAbs(batched, oneByOne(model, p.tokens)), 0, `${m} one by one`);
      const g = GgufFile.open(vectorPath("llamacpp", `${m}.gguf`));
      const chunked = loadModel(g, refKernels, { nCtx: 64, nBatch: 5 });
      g.close();
      assert.equal(chunked.nBatch, 5);
      assert.equal(maxAbs(batched, chunked.eval(Int32Array.from(p.tokens), 0, { allLogits: true })), 0, `${m} nBatch 5`);
      chunked.reset();
      const last = chunked.eval(Int32Array.from(p.tokens), 0);
      assert.equal(last.length, chunked.nVocab);
      assert.equal(maxAbs(last, batched.subarray((p.n_tokens - 1) * chunked.nVocab)), 0, `${m} last row`);
    }
  });

  test("wasm kernels: batched prefill vs one token at a time", async () => {
    const k = await loadWasmKernels({ threads: 1 });
    try {
      const p = readModelJson("qwen2-f32").prompts[1]!;
      const model = loadVectorModel("qwen2-f32", k);
      const batched = model.eval(Int32Array.from(p.tokens), 0, { allLogits: true });
      const d = maxAbs(batched, oneByOne(model, p.tokens));
      console.log(`wasm qwen2-f32 batched vs one-by-one: max |diff| ${d.toExponential(2)}`);
      assert.ok(d <= 1e-4, `${d}`);
    } finally {
      await k.close();
    }
  });

  test("rewinding: evaluating at startPos < nPast overwrites the cache from there", () => {
    const model = loadVectorModel("gptneox-f32", refKernels);
    const a = [10, 20, 30, 40, 50];
    model.eval(Int32Array.from(a), 0);
    assert.equal(model.nPast, 5);
    const rewound = model.eval(Int32Array.of(99, 98), 2, { allLogits: true }).slice();
    assert.equal(model.nPast, 4);
    model.reset();
    assert.equal(model.nPast, 0);
    const fresh = model.eval(Int32Array.of(10, 20, 99, 98), 0, { allLogits: true });
    assert.equal(maxAbs(rewound, fresh.subarray(2 * model.nVocab)), 0);
  });

  test("input errors carry codes and numbers", () => {
    const model = loadVectorModel("gpt2-f32", refKernels, 8);
    expectCode(() => model.eval(new Int32Array(9), 0), "PROMPT_TOO_LONG", "9", "8");
    model.eval(new Int32Array(6), 0);
    expectCode(() => model.eval(new Int32Array(3), 6), "PROMPT_TOO_LONG", "9", "8");
    expectCode(() => model.eval(new Int32Array(1), 7 + 1), "MODEL_BAD_POSITION", "8");
    expectCode(() => model.eval(Int32Array.of(1, 2048), 0), "MODEL_BAD_TOKEN", "2048");
    expectCode(() => model.eval(Int32Array.of(-1), 0), "MODEL_BAD_TOKEN", "-1");
    expectCode(() => model.eval(new Int32Array(0), 0), "MODEL_EMPTY_INPUT");
    expectCode(() => model.eval(Int32Array.of(1), -1), "MODEL_BAD_POSITION");
    const g = GgufFile.open(vectorPath("llamacpp", "gpt2-f32.gguf"));
    expectCode(() => loadModel(g, refKernels, { nCtx: 513 }), "MODEL_BAD_OPTION", "513", "512");
    g.close();
  });
});

describe("output head and hooks", () => {
  test("a file without output.weight ties the head to token_embd", () => {
    const tied = editedGguf("llama-gqa-f32", (w) => { w.tensors = w.tensors.filter((t) => t.name !== "output.weight"); });
    const copied = editedGguf("llama-gqa-f32", (w) => {
      const emb = w.tensors.find((t) => t.name === "token_embd.weight")!;
      w.tensors = w.tensors.map((t) => t.name === "output.weight" ? { ...t, data: emb.data } : t);
    });
    const a = loadModel(tied, refKernels, { nCtx: 16 }) as LlamaModel;
    const b = loadModel(copied, refKernels, { nCtx: 16 }) as LlamaModel;
    assert.equal(a.output, a.tokEmbd);
    assert.notEqual(b.output, b.tokEmbd);
    const t = Int32Array.of(1, 15043, 29892);
    assert.equal(maxAbs(a.eval(t, 0, { allLogits: true }), b.eval(t, 0, { allLogits: true })), 0);
  });

  test("onActivation sees every named activation with its shape, and can intervene", () => {
    const model = loadVectorModel("qwen2-f32", refKernels);
    const hp = model.hparams;
    const seen: string[] = [];
    let resultNorm: Float32Array | undefined;
    model.onActivation = (layer, name, data, shape) => {
      seen.push(`${layer}:${name}`);
      assert.equal(data.length, shape.nTokens * shape.width, name);
      assert.equal(shape.pos0, name === "result_norm" ? 2 : 0, name); // only the last row gets the head
      if (name === "Kcur" || name === "Vcur") assert.equal(shape.width, hp.nEmbdKv);
      if (name === "ffn_act") assert.equal(shape.width, hp.nFf);
      if (name === "result_norm") { assert.equal(shape.nTokens, 1); resultNorm = data.slice(); }
    };
    const tokens = Int32Array.of(5, 6, 7);
    const base = model.eval(tokens, 0).slice();
    const perLayer = ["attn_norm", "Qcur", "Kcur", "Vcur", "kqv_out", "attn_out", "ffn_inp", "ffn_norm", "ffn_act", "ffn_out", "l_out"];
    assert.deepEqual(seen, ["-1:inp_embd", ...perLayer.map((n) => `0:${n}`), ...perLayer.map((n) => `1:${n}`), "-1:result_norm"]);
    assert.ok(resultNorm && resultNorm.every(Number.isFinite));
    // intervention: zero the last block's output at the last token -> logits change
    model.onActivation = (layer, name, data, shape) => {
      if (layer === hp.nLayer - 1 && name === "l_out") data.fill(0, (shape.nTokens - 1) * shape.width);
    };
    model.reset();
    const changed = model.eval(tokens, 0);
    assert.ok(maxAbs(base, changed) > 1);
    model.onActivation = undefined;
    model.reset();
    assert.equal(maxAbs(base, model.eval(tokens, 0)), 0);
  });
});
