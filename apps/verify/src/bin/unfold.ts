#!/usr/bin/env node
import { runMain } from "../args.js";
import { consoleIO } from "../commands/io.js";
import { unfoldCommand } from "../commands/unfold.js";

runMain(() => unfoldCommand(process.argv.slice(2), consoleIO));
