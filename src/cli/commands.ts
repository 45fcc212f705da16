// The list of CLI commands: each entry registers one subcommand (one file per command).
import type { Command } from "commander";
import { registerChat } from "./chat.js";
import { registerFinetune } from "./finetune.js";
import { registerInspect } from "./inspect.js";
import { registerQuantize } from "./quantize.js";
import { registerRun } from "./run.js";
import { registerTokenizerTrain } from "./tokenizer-train.js";
import { registerTokenize } from "./tokenize.js";
import { registerTrain } from "./train.js";

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerInspect, registerQuantize, registerTokenizerTrain];
commands.push(registerTokenize);
commands.push(registerRun);
commands.push(registerChat);
commands.push(registerTrain);
commands.push(registerFinetune);
