#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { benchCommand } from "../commands/bench.js";

runMain(() => benchCommand(process.argv.slice(2), consoleIO));
