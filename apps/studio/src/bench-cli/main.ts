// `pnpm studio bench` (bin/studio.mjs runs this file through tsx with the workspace's source condition).
import { consoleIO, runMain } from "@unfold/cli";
import { studioBenchCommand } from "./command.js";

runMain(async (args) => {
  try {
    await studioBenchCommand(args, consoleIO);
  } finally {
    // Exit once the result (or runMain's error line, printed in a microtask before this runs)
    // is out: a WebGPU device opened in Node keeps the event loop alive after it is disposed.
    setImmediate(() => process.exit());
  }
});
