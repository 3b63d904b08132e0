#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { hessianMain } from "../commands/main.js";

runMain((args) => hessianMain(args, consoleIO));
