import type { Launcher } from "../job/launcher.js";

/**
 * A small Node program between a queue worker and a job's command. It starts the command, passes
 * its output through, forwards SIGTERM / SIGINT to it and exits as it exits. Its purpose: when the
 * worker dies without a word (SIGKILL, out of memory), the command would live on as an orphan,
 * holding the job's folder while BullMQ hands the job to another worker. The tether notices its
 * parent is gone (its parent pid changes) and sends the command SIGTERM, so a trainer saves its
 * checkpoint and leaves, and the retry resumes from it. The command's output goes through pipes
 * the tether holds, so a command still printing after the worker died does not fail on a closed
 * pipe; the tether drops that output.
 *
 * Plain CommonJS for `node -e`, so it runs the same from the sources and from a build.
 */
export const TETHER_SOURCE = String.raw`
const { spawn } = require("node:child_process");
const [executable, ...args] = process.argv.slice(1);
const parent = process.ppid;
const child = spawn(executable, args, { stdio: ["ignore", "pipe", "pipe"] });
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
child.stdout.on("data", (chunk) => { if (process.ppid === parent) process.stdout.write(chunk); });
child.stderr.on("data", (chunk) => { if (process.ppid === parent) process.stderr.write(chunk); });
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
let orphaned = false;
const watch = setInterval(() => {
  if (process.ppid !== parent && !orphaned) { orphaned = true; child.kill("SIGTERM"); }
}, TETHER_POLL_MS);
child.on("error", (error) => { process.stderr.write("error: cannot start " + executable + ": " + error.message + "\n"); process.exit(127); });
child.on("close", (code, signal) => {
  clearInterval(watch);
  if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
  else process.exit(code ?? 1);
});
`;

/** How often the tether checks that its worker is alive. */
export const TETHER_POLL_MS = 200;

/** `launcher`, started through the tether: the job's command dies with its worker, after a SIGTERM it can save on. */
export function tetheredLauncher(launcher: Launcher): Launcher {
  return {
    executable: process.execPath,
    args: ["-e", TETHER_SOURCE.replace("TETHER_POLL_MS", String(TETHER_POLL_MS)), "--", launcher.executable, ...launcher.args],
    describe: launcher.describe,
  };
}
