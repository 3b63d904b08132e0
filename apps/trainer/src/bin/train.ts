#!/usr/bin/env node
import { consoleIO, runMain } from "@unfold/cli";
import { predictCommand } from "../commands/predict.js";
import { trainCommand } from "../commands/train.js";
import { listenForStopSignals } from "../train/stop.js";

/** Resolves once everything written to `stream` so far has been handed to the system. */
const flushed = (stream: NodeJS.WriteStream): Promise<void> => new Promise((resolve) => stream.write("", () => resolve()));

runMain(async (args) => {
  if (args[0] === "predict") {
    await predictCommand(args.slice(1), consoleIO);
    return;
  }
  // Ctrl-C or SIGTERM stops after the current step and saves a checkpoint (exit 130 or 143);
  // a second one exits at once.
  const controller = new AbortController();
  const signals = listenForStopSignals((signal) => controller.abort(signal));
  try {
    await trainCommand(args, consoleIO, { signal: controller.signal });
  } finally {
    signals.remove();
  }
  if (controller.signal.aborted) {
    // Stopped and saved: exit now. Left to itself, Node would first wait for onnxruntime's wasm
    // worker threads to wind down, seconds after the run is over.
    await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
    process.exit();
  }
});
