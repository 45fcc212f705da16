/** Text generation: sampler chain, logprobs, stop strings and the generation loop. */
export { Candidates } from "./candidates.js";
export { checkPromptLength } from "./context.js";
export { generate, generateAll, type GenerationResult } from "./generate.js";
export { logSumExp, topLogprobsRaw, type TopLogprob } from "./logprobs.js";
export {
  DEFAULT_SAMPLING,
  generateOptionsSchema,
  parseGenerateOptions,
  parseSamplingOptions,
  samplingOptionsSchema,
  samplingPart,
  type GenerateOptions,
  type GenerateOptionsInput,
  type SamplingOptions,
  type SamplingOptionsInput,
} from "./options.js";
export { randomSeed, Xoshiro128 } from "./rng.js";
export { Sampler, type TokenLogprobs } from "./sampler.js";
export { partialSortByKey, ranksBefore, selectTop, selectTopInto, sortByKey } from "./select.js";
export { sampleDist } from "./stages/dist.js";
export { applyLogitBias, makeLogitBias, type LogitBiasInput, type LogitBiasTable } from "./stages/logit-bias.js";
export { applyPenalties, PenaltyHistory } from "./stages/penalties.js";
export { applyTemperature } from "./stages/temperature.js";
export { minP, topK, topP } from "./stages/truncate.js";
export { StopMatcher, type StopPush } from "./stop.js";
export type {
  DoneEvent,
  FinishReason,
  GenerateEvent,
  LogitsSource,
  StreamDecoderLike,
  TokenEvent,
  TokenizerLike,
  Timings,
  Usage,
} from "./types.js";
