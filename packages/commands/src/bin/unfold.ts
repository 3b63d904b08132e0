#!/usr/bin/env node
import { overview, route } from "../route.js";

// The picked app's bin reads its arguments from process.argv, as when it runs on its own: the
// subcommand's word is taken out of the line before the bin is loaded.
const picked = route(process.argv.slice(2));
if (picked.kind === "help") {
  console.log(overview());
} else {
  process.argv.splice(2, process.argv.length - 2, ...picked.args);
  await picked.subcommand.load();
}
