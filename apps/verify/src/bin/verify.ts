#!/usr/bin/env node
import { runMain } from "../args.js";
import { consoleIO } from "../commands/io.js";
import { verifyCommand } from "../commands/verify.js";

runMain(() => verifyCommand(process.argv.slice(2), consoleIO));
