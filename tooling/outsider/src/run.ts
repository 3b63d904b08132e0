import { spawn } from "node:child_process";

export interface Ran {
  readonly code: number | null;
  readonly output: string;
  readonly seconds: number;
}

/** Runs a command to its end, its stdout and stderr collected together (and echoed when `echo`). */
export function run(command: string, args: readonly string[], options: { cwd: string; echo?: boolean; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (options.echo) process.stdout.write(chunk);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

/** Runs a command that must succeed: a failure throws with its output's last lines. */
export async function mustRun(what: string, command: string, args: readonly string[], options: { cwd: string; echo?: boolean; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  const ran = await run(command, args, options);
  if (ran.code !== 0) throw new Error(`${what} failed (exit ${ran.code}): ${command} ${args.join(" ")} in ${options.cwd}\n${ran.output.split("\n").slice(-30).join("\n")}`);
  return ran;
}
