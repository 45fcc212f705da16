#!/usr/bin/env node
// The `glassbox` executable: dispatches to one file per command under cli/.
import { main } from "./cli/main.js";

process.exitCode = await main(process.argv);
