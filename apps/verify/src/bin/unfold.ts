#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { unfoldCommand } from "../commands/unfold.js";

runMain((args) => unfoldCommand(args, consoleIO));
