#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { sweepMain } from "../commands/main.js";
import { listenForStopSignals } from "../embedded/signals.js";

/** The commands that run jobs and stop them gracefully on the first Ctrl-C or SIGTERM; the others keep the default (they end at once). */
const STOPPABLE = ["run", "worker", "timing"];

runMain(async (args) => {
  if (!STOPPABLE.includes(args[0] ?? "")) return sweepMain(args, consoleIO);
  // The first signal stops the sweep (see `sweep run --help`); listenForStopSignals lets a second one end the process at once.
  const controller = new AbortController();
  const listener = listenForStopSignals((signal) => controller.abort(signal));
  try {
    await sweepMain(args, consoleIO, { signal: controller.signal });
  } finally {
    listener.remove();
  }
});
