import { execFile } from "node:child_process";
import { createRequire } from "node:module";

/** What one `turbo boundaries` run gave: its exit code, its findings' headlines, and its whole output. */
export interface BoundariesRun {
  readonly code: number;
  readonly findings: readonly string[];
  readonly output: string;
}

// The turbo this package declares, run by path: no global install, no version inference.
const TURBO = createRequire(import.meta.url).resolve("turbo/bin/turbo");

/** A generous deadline: a run takes well under a second; this only turns a hang into a failure. */
const DEADLINE_MS = 120_000;

/** Runs `turbo boundaries` in `root` (a workspace root) and collects its findings. */
export function turboBoundaries(root: string): Promise<BoundariesRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [TURBO, "boundaries", "--skip-infer", "--no-update-notifier", "--no-color"],
      { cwd: root, timeout: DEADLINE_MS, env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error && typeof error.code !== "number") return reject(new Error(`turbo boundaries in '${root}' did not finish (${error.message}):\n${output}`));
        resolve({ code: error ? (error.code as number) : 0, findings: headlines(output), output });
      },
    );
  });
}

/**
 * The headline of each finding, e.g. "Package `@unfold/x` found with tag listed in denylist for
 * `@unfold/y`: `backend`". turbo prints a headline after "  x ", wrapped at 80 columns onto
 * lines that start with "  | ".
 */
function headlines(output: string): string[] {
  const found: string[] = [];
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    const start = /^ {2}x (.*)$/.exec(line);
    const more = /^ {2}\| (.*)$/.exec(line);
    if (start) {
      if (current) found.push(current.join(" "));
      current = [start[1]!];
    } else if (more && current) {
      current.push(more[1]!);
    } else if (current) {
      found.push(current.join(" "));
      current = undefined;
    }
  }
  if (current) found.push(current.join(" "));
  return found;
}

/** `text` without whitespace: turbo wraps a headline wherever it likes, in a name or between words. */
export function squashed(text: string): string {
  return text.replace(/\s+/g, "");
}
