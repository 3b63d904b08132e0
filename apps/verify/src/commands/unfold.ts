import { resolve } from "node:path";
import { type CommandIO, formatTable, integerFlag, parse } from "@unfold/cli";
import { exportCommand } from "./export.js";
import { unfoldMnist } from "../mnist-unfolding.js";
import { writeLinePlot } from "../plot.js";

const USAGE = `usage: pnpm unfold [--digits N] [--layers K] [--patch P] [--seed S] [--plot FILE.svg] [--json]
       pnpm unfold export [--out FILE.onnx] ... (see pnpm unfold export --help)
Unfolds the Yang et al. energy for K tied layers (default 12) on tokens cut from bundled MNIST
digits and prints each layer's energy with its per-term breakdown. \`export\` writes that
unfolded model as a standalone ONNX file instead.`;

/** `pnpm unfold`: the unfolding demo. Prints each layer's energy and term breakdown and writes a plot. */
export async function unfoldCommand(argv: string[], io: CommandIO): Promise<void> {
  // A leading "export" picks the subcommand; every other argument list is the demo's, whose
  // flags allow no positionals, so no command line that ran before means something else now.
  if (argv[0] === "export") return exportCommand(argv.slice(1), io);
  const flags = parse(argv, {
    digits: { type: "string" },
    layers: { type: "string" },
    patch: { type: "string" },
    seed: { type: "string" },
    plot: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(USAGE);
  const layers = integerFlag("layers", flags["layers"], 12);
  const result = await unfoldMnist({
    digits: integerFlag("digits", flags["digits"], 8),
    layers,
    patch: integerFlag("patch", flags["patch"], 4),
    seed: integerFlag("seed", flags["seed"], 0, 0),
    onLayer: (r) => io.progress(`layer ${r.layer}/${layers}`),
  });
  const { trace, tokens } = result;
  const terms = Object.keys(trace.layers[0]!.terms);
  const plotPath = resolve((flags["plot"] as string | undefined) ?? "out/unfold-energy.svg");
  writeLinePlot(plotPath, `Yang energy, ${layers} tied layers, MNIST tokens`, "layer", [
    { name: "total energy", values: trace.layers.map((l) => l.energy) },
    ...terms.map((t) => ({ name: t, values: trace.layers.map((l) => l.terms[t]!) })),
  ]);
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
