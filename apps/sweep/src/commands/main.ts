import type { CommandIO } from "@unfold/cli";
import type { SweepCommandOptions } from "./options.js";
import { resultsCommand } from "./results.js";
import { runCommand } from "./run.js";
import { statusCommand } from "./status.js";
import { timingCommand } from "./timing.js";
import { workerCommand } from "./worker.js";

/** The sweep's commands: each takes its arguments, where to print, and the bin's options. */
export const COMMANDS: Readonly<Record<string, (args: string[], io: CommandIO, options: SweepCommandOptions) => Promise<void>>> = {
  run: runCommand,
  worker: workerCommand,
  status: (args, io) => statusCommand(args, io),
  results: (args, io) => resultsCommand(args, io),
  timing: timingCommand,
};

const USAGE = `usage: unfold sweep <command> [flags]   (--help after a command for its flags)
  run       run a sweep spec's jobs on this machine, or with --queue on BullMQ + Redis
  worker    take a queued sweep's jobs and run them here (--queue redis://HOST:PORT)
  status    a queued sweep's progress (--queue redis://HOST:PORT)
  results   collate a sweep's results folder: results.jsonl, results.md, plots/
  timing    a sweep's wall time with 1, 2, ... workers on this machine
The spec, the commands and the results: docs/sweeps.md.`;

/** `unfold sweep <command>`: dispatches to one command; an unknown one is an error listing them. */
export async function sweepMain(argv: string[], io: CommandIO, options: SweepCommandOptions = {}): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "help") return io.out(USAGE);
  const command = COMMANDS[name];
  if (!command) throw new Error(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(", ")})`);
  await command(rest, io, options);
}
