#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { benchCommand } from "../commands/bench.js";
import { fidelityCommand } from "../commands/fidelity.js";
import { scalingCommand } from "../commands/scaling.js";

// `pnpm bench scaling ...` and `pnpm bench fidelity ...` are studies of their own; anything else is the benchmark table.
runMain((argv) => {
  if (argv[0] === "scaling") return scalingCommand(argv.slice(1), consoleIO);
  if (argv[0] === "fidelity") return fidelityCommand(argv.slice(1), consoleIO);
  return benchCommand(argv, consoleIO);
});
