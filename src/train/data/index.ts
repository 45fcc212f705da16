// Training data: reading, chat loss masks, held-out split, packing, batches with a resumable cursor.
export * from "./types.js";
export { BadRecordLog, formatBadRecords, MAX_LISTED_BAD_RECORDS } from "./bad-records.js";
export { listDataFiles, DATA_FILE_EXTENSIONS } from "./list-files.js";
export { readDataFile, cutText, type ReadRecordsOptions, type FileRecords } from "./read-records.js";
export { parseChatRecord, CHAT_ROLES } from "./chat-record.js";
export { chatExamples, type ChatRenderer, type ChatExample, type ChatExamples } from "./chat-mask.js";
export { tokenizeRecords, makeChatRenderer, type DocumentOptions, type TokenizedRecords } from "./documents.js";
export { splitHeldOut, heldOutCount, type HeldOutOptions, type HeldOutSplit } from "./split.js";
export { packDocuments, checkPackOptions, documentLength, type PackOptions } from "./pack.js";
export { uniformInt, shuffleInPlace, epochSeed, epochPermutation } from "./shuffle.js";
export {
  BatchIterator, gatherBatch, sequentialBatches, packedFingerprint,
  type Batch, type BatchCursor, type BatchIteratorOptions, type BatchIteratorState,
} from "./batches.js";
export { loadTrainingData, describeDataSummary, type TrainingDataOptions, type TrainingData, type DataSummary } from "./dataset.js";
