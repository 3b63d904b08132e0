#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { predictCommand } from "../commands/predict.js";
import { trainCommand } from "../commands/train.js";

runMain(async (args) => {
  if (args[0] === "predict") {
    await predictCommand(args.slice(1), consoleIO);
    return;
  }
  // Ctrl-C stops after the current step and saves a checkpoint; a second one exits at once.
  const controller = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\nstopping after this step and saving a checkpoint (Ctrl-C again to quit now)\n");
    controller.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  await trainCommand(args, consoleIO, { signal: controller.signal });
});
