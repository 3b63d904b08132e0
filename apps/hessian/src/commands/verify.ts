import { CANONICAL_BLOCKS, verifyClosedForm } from "@unfold/hessian";
import { type CommandIO, formatTable, integerFlag, parse } from "@unfold/cli";

const USAGE = `usage: unfold hessian verify [--seed S] [--json]
Checks every closed-form block of the self-attention Hessian (outer-product, functional and full
parts) against the dense Hessian, Gauss-Newton matrix and functional part assembled from the
core's autodiff products, in float64, on random instances of several shapes with both losses.`;

/** Target of the check: the closed form and autodiff agree to rounding. */
export const VERIFY_TOLERANCE = 1e-8;

export async function verifyCommand(argv: string[], io: CommandIO): Promise<void> {
  const flags = parse(argv, { seed: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(USAGE);
  const report = await verifyClosedForm({ seed: integerFlag("seed", flags["seed"], 1, 0), onProgress: (m) => io.progress(m) });
  if (flags["json"]) {
    io.out(JSON.stringify({ blocks: report.blocks, maxRelErr: report.maxRelErr }));
    return;
  }
  io.out(
    formatTable(
      ["shape (L, d_V, d_K, d_out)", "loss", ...CANONICAL_BLOCKS],
      report.cases.map((c) => [`${c.shape.tokens}, ${c.shape.model}, ${c.shape.key}, ${c.shape.out ?? c.shape.model}`, c.loss, ...CANONICAL_BLOCKS.map((b) => c.blocks[b])]),
    ),
  );
  const ok = report.maxRelErr <= VERIFY_TOLERANCE;
  io.out(`\nworst relative error ${report.maxRelErr.toExponential(3)} (target <= ${VERIFY_TOLERANCE}): ${ok ? "ok" : "FAILED"}`);
}
