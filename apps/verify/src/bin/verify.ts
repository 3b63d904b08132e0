#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { verifyCommand } from "../commands/verify.js";

runMain((args) => verifyCommand(args, consoleIO));
