import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";

/**
 * Runs a CLI's TypeScript entry point in a child process, as a user would run the built one:
 * the tests of commands that must exit, hang, take signals or print to a real terminal stream.
 * Sources load through tsx with the "@unfold/source" condition, so no build is needed first.
 */

export interface CommandResult {
  /** Exit status; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
  /** The command was killed by the test's own deadline (a hang). */
  readonly timedOut: boolean;
}

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the command (SIGKILL) after this long and report timedOut. Default 120 s. */
  readonly timeoutMs?: number;
  /** Written to its standard input, which is then closed. */
  readonly input?: string;
}

export interface RunningCommand {
  readonly child: ChildProcess;
  /** Resolves once `pattern` appears in stderr + stdout (as printed so far), rejects if it exits first. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  readonly exited: Promise<CommandResult>;
}

const tsxLoader = (): string => createRequire(import.meta.url).resolve("tsx");

/** Starts `node <script> ...args` with tsx, returning at once; see RunningCommand. */
export function startCommand(script: string, args: readonly string[], options: CommandOptions = {}): RunningCommand {
  const started = performance.now();
  const child = spawn(process.execPath, ["--conditions=@unfold/source", "--import", tsxLoader(), script, ...args], {
    cwd: options.cwd ?? process.cwd(),
    // CI=true would make some commands behave differently (no terminal bar): the caller decides.
    env: { ...process.env, NODE_OPTIONS: "", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr) || w.pattern.test(stdout)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.setEncoding("utf8").on("data", (s: string) => ((stdout += s), check()));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => ((stderr += s), check()));
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 120_000);
  const exited = new Promise<CommandResult>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(deadline);
      const result = { code, signal, stdout, stderr, ms: performance.now() - started, timedOut };
      for (const w of waiters.splice(0)) w.reject(new Error(`the command exited (code ${code}, signal ${signal}) before printing ${w.pattern}; stderr:\n${stderr}`));
      resolve(result);
    });
  });
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          if (pattern.test(stderr) || pattern.test(stdout)) resolve();
          else reject(new Error(`the command already exited before printing ${pattern}`));
          return;
        }
        waiters.push({ pattern, resolve, reject });
        check();
      }),
  };
}

/** Runs a CLI entry point to its end; see startCommand. */
export function runCommand(script: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return startCommand(script, args, options).exited;
}

/** A CommandIO that keeps what a command prints: `lines` (results) and `progressed` (progress). */
export function captureIO(): { out(line: string): void; progress(message: string): void; lines: string[]; progressed: string[] } {
  const lines: string[] = [];
  const progressed: string[] = [];
  return { lines, progressed, out: (line) => void lines.push(line), progress: (message) => void progressed.push(message) };
}

/** The message of the error `run` rejects with; throws if it succeeds, so a bad-input case cannot pass by running. */
export async function rejectionOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("the command succeeded where it should have refused its input");
}
