import { DEMO, SUBCOMMANDS, type Subcommand, subcommandNamed } from "./subcommands.js";

/** Flags every Unfold command takes anywhere on its line (runMain strips them): they never pick a subcommand. */
const ANYWHERE_FLAGS: readonly string[] = ["--verbose"];

export type Route =
  /** Run `subcommand` with `args`: the line less the subcommand's word (when one was given). */
  | { readonly kind: "run"; readonly subcommand: Subcommand; readonly args: readonly string[] }
  /** Print the list of subcommands. */
  | { readonly kind: "help" };

/**
 * Where a command line goes. Its first word (flags that may stand anywhere skipped) names a
 * subcommand, or is `help`/`--help`/`-h`; anything else, an empty line, a flag or a word no
 * subcommand has, is the demo's line as it is, so `unfold export --out m.onnx` and `unfold
 * --layers 3` mean what `pnpm unfold ...` means, and the demo names a word it does not know.
 */
export function route(argv: readonly string[]): Route {
  const at = argv.findIndex((a) => !ANYWHERE_FLAGS.includes(a));
  const word = at === -1 ? undefined : argv[at]!;
  if (word === "help" || word === "--help" || word === "-h") return { kind: "help" };
  const named = word === undefined ? undefined : subcommandNamed(word);
  if (named) return { kind: "run", subcommand: named, args: [...argv.slice(0, at), ...argv.slice(at + 1)] };
  return { kind: "run", subcommand: subcommandNamed(DEMO)!, args: argv };
}

/** `unfold help`: each subcommand with what it does. */
export function overview(): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length));
  return [
    "usage: unfold <subcommand> [flags]    (each subcommand's flags: unfold <subcommand> --help)",
    "",
    ...SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    "",
    "A line whose first word is no subcommand goes to the demo: `unfold --layers 3` is `unfold demo --layers 3`.",
    "--verbose (or DEBUG=unfold) prints an error's stack.",
  ].join("\n");
}
