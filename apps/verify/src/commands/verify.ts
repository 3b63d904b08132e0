import { type CommandIO, formatTable, parse } from "@unfold/cli";
import { fidelityReport } from "../report.js";

const USAGE = "usage: unfold verify [--json]";

/** `pnpm verify`: the fidelity report as a table, or with --json as one JSON object on the last line. */
export async function verifyCommand(argv: string[], io: CommandIO): Promise<void> {
  const flags = parse(argv, { json: { type: "boolean" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(USAGE);
  const report = await fidelityReport({ onProgress: (m) => io.progress(m) });
  if (flags["json"]) {
    io.out(JSON.stringify(report));
    return;
  }
  io.out(
    formatTable(
      ["check", "value", "requirement"],
      [
        ["closed-form MM step vs preconditioned autodiff step (rel. err.)", report.closedFormStepRelErr.toExponential(3), "<= 1e-10"],
        ["unfolded layer vs standard Transformer layer (rel. err.)", report.transformerLayerRelErr.toExponential(3), "<= 1e-10"],
        ["softmax_beta MM step: trials", String(report.mmTrials), ""],
        ["softmax_beta MM step: increases of E_att", String(report.mmIncreases), "0"],
        ["plain softmax step: increases of E_att", String(report.plainSoftmaxIncreases), "reported"],
      ],
    ),
  );
  const terms = Object.keys(report.unfolded[0]!.terms);
  io.out("\n12 tied layers on MNIST tokens:");
  io.out(formatTable(["layer", "energy", ...terms], report.unfolded.map((l) => [l.layer, l.energy, ...terms.map((t) => l.terms[t]!)])));
}
