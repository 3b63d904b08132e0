/** Flags every CLI accepts, taken off the argument list before the command parses it. */
const VERBOSE_FLAG = "--verbose";

/** Whether errors should carry their stack: `--verbose`, or DEBUG naming unfold (DEBUG=unfold, DEBUG=*). */
export function verboseErrors(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  const debug = (env["DEBUG"] ?? "").split(/[\s,]+/);
  return argv.includes(VERBOSE_FLAG) || debug.includes("unfold") || debug.includes("*");
}

/** The one line (or, verbose, the stack and its causes) printed for an error. */
export function formatError(error: unknown, verbose: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  // A message spanning lines stays readable, but the first line must say what went wrong.
  const line = `error: ${message.trim() === "" ? (error instanceof Error ? error.name : "unknown error") : message}`;
  if (!verbose) {
    // An error that is no user mistake of ours (a TypeError from a bug) gets a hint where to look.
    const internal = error instanceof Error && ["TypeError", "ReferenceError", "RangeError", "SyntaxError"].includes(error.name) && !("code" in error);
    return internal ? `${line} (an internal error: rerun with --verbose or DEBUG=unfold for the stack)` : line;
  }
  const parts = [line];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e === error ? (e.stack ?? "") : `caused by: ${e.stack ?? e.message}`);
  return parts.join("\n");
}

/**
 * Runs a CLI's main with the arguments after `node script` (less --verbose). A failure prints
 * one line, `error: <message>`, and sets exit status 1; with --verbose or DEBUG=unfold, the stack
 * follows. Errors that escape main's promise (a throw in a timer or an event handler, an
 * unhandled rejection) are reported the same way and end the process with status 1, instead of
 * Node's multi-line dump.
 */
export function runMain(main: (args: string[]) => Promise<void>): void {
  const verbose = verboseErrors();
  const args = process.argv.slice(2).filter((a) => a !== VERBOSE_FLAG);
  const escaped = (error: unknown): void => {
    console.error(formatError(error, verbose));
    process.exit(1);
  };
  process.on("uncaughtException", escaped);
  process.on("unhandledRejection", escaped);
  main(args).catch((error: unknown) => {
    console.error(formatError(error, verbose));
    process.exitCode = 1;
  });
}
