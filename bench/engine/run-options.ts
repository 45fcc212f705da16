// The options every single-engine bench script takes (ours.ts, nlc.ts), in bench/args.ts form.
export const ENGINE_RUN_OPTIONS = {
  model: { type: "string", required: true, help: "GGUF model file" },
  threads: { type: "string", default: "1", number: true, help: "threads" },
  pp: { type: "string", default: "512", number: true, help: "prompt tokens of the prefill test (0: none)" },
  tg: { type: "string", default: "128", number: true, help: "generated tokens of the decode test (0: none)" },
  reps: { type: "string", default: "3", number: true, help: "repetitions (best is reported)" },
} as const;
