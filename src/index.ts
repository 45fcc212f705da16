// Public library entry point: every CLI command is a thin layer over what is exported here.
export * from "./errors.js";
export * from "./formats/gguf/index.js";
