#!/usr/bin/env node
import { runMain } from "@unfold/cli";
import { overview, route } from "../route.js";

// The picked app's bin reads its arguments from process.argv, as when it runs on its own: the
// subcommand's word is taken out of the line before the bin is loaded.
const picked = route(process.argv.slice(2));
if (picked.kind === "help") {
  console.log(overview());
} else if (picked.kind === "unknown") {
  // Refused as every subcommand refuses a line: one `error: ...` line, status 1 (the stack with --verbose).
  runMain(() => Promise.reject(new Error(picked.message)));
} else {
  process.argv.splice(2, process.argv.length - 2, ...picked.args);
  await picked.subcommand.load();
}
