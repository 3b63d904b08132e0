#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { benchMain } from "../commands/main.js";

runMain((argv) => benchMain(argv, consoleIO));
