// The GGUF reader agrees with ggml's C reader (gguf_init_from_file) on every shared GGUF file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { GgufFile, ggmlTypeInfo, GGUF_VALUE_TYPE_NAMES, type GgufArray } from "../../src/formats/gguf/index.js";
import { vectorPath } from "../helpers/vectors.js";

interface CReader {
  file: string; version: number; alignment: number; data_offset: number; n_kv: number; n_tensors: number;
  kv: { key: string; type: string; arr_type?: string; arr_n?: number }[];
  tensors: { name: string; ggml_type: string; offset: number; size: number }[];
}

const FILES: [string, string][] = [
  ["gguf", "kv-and-tensor-types.gguf"], ["gguf", "alignment-64.gguf"],
  ...["llama-gqa-f32", "llama-gqa-f16", "llama-gqa-q8_0", "llama-gqa-q4_0", "qwen2-f32", "gpt2-f32", "gptneox-f32", "falcon-f32", "bloom-f32"]
    .map((m): [string, string] => ["llamacpp", `${m}.gguf`]),
];

for (const [dir, name] of FILES) {
  test(`GGUF header of ${name} matches ggml's C reader`, () => {
    const ref = JSON.parse(readFileSync(vectorPath("gguf", `${name}.c-reader.json`), "utf8")) as CReader;
    const f = GgufFile.open(vectorPath(dir, name));
    try {
      assert.equal(f.header.version, ref.version);
      assert.equal(f.header.alignment, ref.alignment);
      assert.equal(f.header.dataOffset, ref.data_offset);
      assert.equal(f.kv.size, ref.n_kv);
      assert.equal(f.tensors.length, ref.n_tensors);
      const keys = [...f.kv.values()];
      ref.kv.forEach((k, i) => {
        assert.equal(keys[i]!.key, k.key);
        const ours = keys[i]!;
        const name = (t: number) => { const n = GGUF_VALUE_TYPE_NAMES[t]; return n === "string" ? "str" : n === "array" ? "arr" : n; };
        assert.equal(name(ours.type), k.type, k.key);
        if (k.arr_type !== undefined) {
          const arr = ours.value as GgufArray;
          assert.equal(name(arr.elementType), k.arr_type, k.key);
          assert.equal(arr.items.length, k.arr_n, k.key);
        }
      });
      ref.tensors.forEach((t, i) => {
        const ours = f.tensors[i]!;
        assert.equal(ours.name, t.name);
        assert.equal(ggmlTypeInfo(ours.type)!.name, t.ggml_type);
        assert.equal(ours.offset, t.offset);
        assert.equal(ours.nbytes, t.size);
      });
    } finally {
      f.close();
    }
  });
}

test("withBytes: the parsed header over the file's bytes in memory reads the same tensors; a different length is GGUF_TRUNCATED", () => {
  const path = new URL("../../../models/example.gguf", import.meta.url).pathname;
  const f = GgufFile.open(path);
  try {
    const bytes = new Uint8Array(readFileSync(path));
    const m = f.withBytes(bytes);
    assert.equal(m.header, f.header, "the header object is reused, not parsed again");
    for (const t of f.tensors) assert.deepEqual(m.tensorBytes(t), f.tensorBytes(t), t.name);
    assert.throws(() => f.withBytes(bytes.subarray(0, bytes.length - 1)), /GGUF_TRUNCATED|did the file change/);
  } finally {
    f.close();
  }
});
