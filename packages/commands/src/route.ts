import { nearestWord } from "./nearest-word.js";
import { DEMO, DEMO_WORDS, SUBCOMMANDS, type Subcommand, subcommandNamed } from "./subcommands.js";

/** Flags every Unfold command takes anywhere on its line (runMain strips them): they never pick a subcommand. */
const ANYWHERE_FLAGS: readonly string[] = ["--verbose"];

export type Route =
  /** Run `subcommand` with `args`: the line less the subcommand's word (when one was given). */
  | { readonly kind: "run"; readonly subcommand: Subcommand; readonly args: readonly string[] }
  /** Print the list of subcommands. */
  | { readonly kind: "help" }
  /** Refuse the line: its first word is none that `unfold` takes. */
  | { readonly kind: "unknown"; readonly message: string };

/** The words that print the overview. */
const HELP_WORDS: readonly string[] = ["help", "--help", "-h"];

/** Every word `unfold` takes first: its subcommands, the demo's, and help. */
export const WORDS: readonly string[] = [...SUBCOMMANDS.map((s) => s.name), ...DEMO_WORDS, "help"];

/**
 * Where a command line goes. Its first word (flags that may stand anywhere skipped) names a
 * subcommand, or is `help`/`--help`/`-h`; an empty line, a line that starts with a flag, and one
 * that starts with a word of the demo's own are the demo's line as it is, so `unfold export
 * --out m.onnx` and `unfold --layers 3` mean what `pnpm unfold ...` means. Any other word is
 * refused here, where every word `unfold` takes is known: the demo knows only its own.
 */
export function route(argv: readonly string[]): Route {
  const at = argv.findIndex((a) => !ANYWHERE_FLAGS.includes(a));
  const word = at === -1 ? undefined : argv[at]!;
  if (word !== undefined && HELP_WORDS.includes(word)) return { kind: "help" };
  const named = word === undefined ? undefined : subcommandNamed(word);
  if (named) return { kind: "run", subcommand: named, args: [...argv.slice(0, at), ...argv.slice(at + 1)] };
  if (word !== undefined && !word.startsWith("-") && !DEMO_WORDS.includes(word)) return { kind: "unknown", message: unknownWord(word) };
  return { kind: "run", subcommand: subcommandNamed(DEMO)!, args: argv };
}

/** The refusal of a first word `unfold` does not take: the nearest word when one is close, and all of them. */
export function unknownWord(word: string): string {
  const nearest = nearestWord(word, WORDS);
  const guess = nearest === undefined ? "" : ` (did you mean '${nearest}'?)`;
  return `unknown subcommand '${word}'${guess}: unfold's subcommands are ${WORDS.slice(0, -1).join(", ")} and ${WORDS.at(-1)!}; a line that starts with a flag runs the demo (see unfold help)`;
}

/** `unfold help`: each subcommand with what it does. */
export function overview(): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length));
  return [
    "usage: unfold <subcommand> [flags]    (each subcommand's flags: unfold <subcommand> --help)",
    "",
    ...SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    "",
    `A line that starts with a flag, or with ${DEMO_WORDS.join(" or ")}, goes to the demo: \`unfold --layers 3\` is \`unfold demo --layers 3\`.`,
    "--verbose (or DEBUG=unfold) prints an error's stack.",
  ].join("\n");
}
