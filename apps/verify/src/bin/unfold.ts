#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { unfoldCommand } from "../commands/unfold.js";

runMain(() => unfoldCommand(process.argv.slice(2), consoleIO));
