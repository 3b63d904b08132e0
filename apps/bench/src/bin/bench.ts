#!/usr/bin/env node
import { runMain } from "../args.js";
import { benchCommand } from "../commands/bench.js";
import { consoleIO } from "../commands/io.js";

runMain(() => benchCommand(process.argv.slice(2), consoleIO));
