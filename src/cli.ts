#!/usr/bin/env node
// The `glassbox` executable: dispatches to one file per command under cli/.
import { main } from "./cli/main.js";

// A closed pipe (`glassbox inspect big.gguf | head`) ends output quietly instead of crashing.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

process.exitCode = await main(process.argv);
