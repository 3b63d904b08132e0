import { MNIST_SIDE } from "@unfold/datasets";
import { writeFileAtomic, writingTo } from "@unfold/files";
import { type CommandIO, formatTable, integerFlag, outputFileFlag, parse } from "@unfold/cli";
import { exportCommand } from "./export.js";
import { hopfieldCommand } from "./hopfield.js";
import { integerInRange, integerOneOf } from "../flags.js";
import { PATCH_SIZES, mnistDigitsAvailable } from "../mnist-digits.js";
import { unfoldMnist } from "../mnist-unfolding.js";
import { linePlotSvg } from "../plot.js";

const DEFAULT_PLOT = "out/unfold-energy.svg";

const usage = (): string => `usage: unfold [--digits N] [--layers K] [--patch P] [--seed S] [--plot FILE.svg] [--json]
       unfold export [--out FILE.onnx] ... (see unfold export --help)
       unfold hopfield [--memories N] [--beta B] ... (see unfold hopfield --help)
Unfolds the Yang et al. energy for K tied layers (default 12) on tokens cut from bundled MNIST
digits and prints each layer's energy with its per-term breakdown. \`export\` writes that
unfolded model as a standalone ONNX file instead.
  --digits N    bundled MNIST digits to unfold, 1 to ${mnistDigitsAvailable()} (default 8)
  --layers K    tied layers (default 12)
  --patch P     the patch side in pixels, a divisor of ${MNIST_SIDE}: ${PATCH_SIZES.join(", ")} (default 4)
  --seed S      the parameters' seed, an integer >= 0 (default 0)
  --plot FILE   where the energy plot goes (default ${DEFAULT_PLOT}); written atomically
  --json        print one JSON object on the last line instead of the table`;

/** `pnpm unfold`: the unfolding demo. Prints each layer's energy and term breakdown and writes a plot. */
export async function unfoldCommand(argv: string[], io: CommandIO): Promise<void> {
  // A leading "export" picks the subcommand; every other argument list is the demo's, whose
  // flags allow no positionals, so no command line that ran before means something else now.
  if (argv[0] === "export") return exportCommand(argv.slice(1), io);
  if (argv[0] === "hopfield") return hopfieldCommand(argv.slice(1), io);
  // A word where a flag belongs is most likely a mistyped subcommand: say which ones there are.
  // `unfold` refuses a first word it does not know itself, naming all of its own; a line reaches
  // this as `unfold demo <word>`, so this names the demo's.
  if (argv[0] !== undefined && !argv[0].startsWith("-")) {
    throw new Error(`unknown subcommand '${argv[0]}': the demo takes flags (see unfold demo --help) or its subcommands export, hopfield; unfold help lists the other commands`);
  }
  const flags = parse(argv, {
    digits: { type: "string" },
    layers: { type: "string" },
    patch: { type: "string" },
    seed: { type: "string" },
    plot: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(usage());
  // Every flag is checked, and the plot's folder made and proved writable, before the unfolding runs.
  const layers = integerFlag("layers", flags["layers"], 12);
  const digits = integerInRange("digits", flags["digits"], 8, 1, mnistDigitsAvailable());
  const patch = integerOneOf("patch", flags["patch"], 4, PATCH_SIZES, `a divisor of the digits' side ${MNIST_SIDE}`);
  const seed = integerFlag("seed", flags["seed"], 0, 0);
  const plotPath = outputFileFlag("plot", flags["plot"], DEFAULT_PLOT);
  const result = await unfoldMnist({ digits, layers, patch, seed, onLayer: (r) => io.progress(`layer ${r.layer}/${layers}`) });
  const { trace, tokens } = result;
  const terms = Object.keys(trace.layers[0]!.terms);
  const svg = linePlotSvg(`Yang energy, ${layers} tied layers, MNIST tokens`, "layer", [
    { name: "total energy", values: trace.layers.map((l) => l.energy) },
    ...terms.map((t) => ({ name: t, values: trace.layers.map((l) => l.terms[t]!) })),
  ]);
  await writingTo("--plot", plotPath, () => writeFileAtomic(plotPath, svg));
  if (flags["json"]) {
    io.out(JSON.stringify({ tokens, feedForwardStepSize: result.feedForwardStepSize, layers: trace.layers, warnings: trace.warnings }));
    return;
  }
  io.out(`${tokens.batch} digits as ${tokens.n} tokens of dimension ${tokens.d}; feed-forward step ${result.feedForwardStepSize.toFixed(4)} (bound 2/L = ${result.feedForwardStepBound.toFixed(4)})`);
  io.out(formatTable(["layer", "energy", ...terms], trace.layers.map((l) => [l.layer, l.energy, ...terms.map((t) => l.terms[t]!)])));
  const rises = trace.steps.filter((s) => s.increased).length;
  io.out(`\nevery sub-step lowered its own term: ${rises === 0 ? "yes" : `no (${rises} rises: ${trace.warnings.join("; ")})`}`);
  io.out(`plot: ${plotPath}`);
}
