#!/usr/bin/env node
import { runMain } from "../args.js";
import { consoleIO } from "../commands/io.js";
import { hessianMain } from "../commands/main.js";

runMain(() => hessianMain(process.argv.slice(2), consoleIO));
