import { CurvatureProducts, QUICK_SCALING, additionTransformer, assembleDense, blockOfLayout, logGrid, scalingStudy } from "@unfold/hessian";
import { join } from "node:path";
import { type CommandIO, integerFlag, parse, positiveFlag } from "@unfold/cli";
import { prepareOutputDirectory } from "@unfold/files";
import { backendNamed, checkBackendName } from "../backends.js";
import { writingTo } from "@unfold/files";
import { writeGrowthPlot } from "../plots/growth.js";
import { writeHeatmap } from "../plots/heatmap.js";
import { writeHistograms } from "../plots/histogram.js";

const USAGE = `usage: unfold hessian plots --out DIR [--d-model D] [--sigma S] [--seeds S] [--points N] [--backend cpu|reference]
Writes the figures as SVG into DIR:
  heatmap.svg     |H| over W_Q, W_K, W_V, W_O of the 1-layer model on 5-digit addition (d_model 16)
  histograms.svg  |entries| of H_VV against H_QQ, softmax and linear attention
  growth.svg      block norms against the data scale with the predicted slopes dashed (the --quick grid)`;

export async function plotsCommand(argv: string[], io: CommandIO): Promise<void> {
  const flags = parse(argv, {
    out: { type: "string" },
    "d-model": { type: "string" },
    sigma: { type: "string" },
    seeds: { type: "string" },
    points: { type: "string" },
    backend: { type: "string" },
    help: { type: "boolean" },
  });
  if (flags["help"]) return io.out(USAGE);
  if (typeof flags["out"] !== "string" || flags["out"] === "") throw new Error("--out DIR is required: the folder the SVG figures go to");
  // Every flag is checked, and the folder made and proved writable, before any figure is computed.
  const dModel = integerFlag("d-model", flags["d-model"], 16);
  const sigma = positiveFlag("sigma", flags["sigma"], 1);
  const seeds = integerFlag("seeds", flags["seeds"], QUICK_SCALING.seeds);
  const points = integerFlag("points", flags["points"], QUICK_SCALING.sigmas.length, 2);
  checkBackendName(flags["backend"]);
  const dir = prepareOutputDirectory(flags["out"], "--out");
  const backend = backendNamed(flags["backend"], "cpu");
  const written: string[] = [];
  try {
    const softmax = additionTransformer({ dModel, batch: 8, seed: 1, sigma });
    const products = await CurvatureProducts.create(backend, softmax.model, { ...softmax, kinds: ["hessian"] });
    io.progress(`assembling the ${products.size} x ${products.size} Hessian from products ...`);
    const full = await assembleDense(products.operator("hessian"));
    products.dispose();
    const layout = products.layout;
    const heatmap = join(dir, "heatmap.svg");
    writingTo("--out", heatmap, () => writeHeatmap(heatmap, `|H| over the attention weights, 5-digit addition, d_model ${dModel}, sigma ${sigma}`, full, layout.blocks.map((b) => ({ name: `W_${b.name}`, offset: layout.offset(b.name), size: layout.blockSize(b.name) }))));
    written.push(heatmap);

    const linear = additionTransformer({ dModel, batch: 8, seed: 1, sigma, variant: "linear" });
    const linearProducts = await CurvatureProducts.create(backend, linear.model, { ...linear, kinds: ["hessian"] });
    io.progress("assembling H_VV and H_QQ of linear attention ...");
    const linearVV = await assembleDense(linearProducts.block("hessian", "V"));
    const linearQQ = await assembleDense(linearProducts.block("hessian", "Q"));
    linearProducts.dispose();
    const histograms = join(dir, "histograms.svg");
    writingTo("--out", histograms, () =>
      writeHistograms(histograms, `|entries| of H_VV and H_QQ (d_model ${dModel}, sigma ${sigma})`, [
        { title: "softmax attention", series: [{ name: "H_VV", values: blockOfLayout(layout, full, "V", "V").data }, { name: "H_QQ", values: blockOfLayout(layout, full, "Q", "Q").data }] },
        { title: "linear attention", series: [{ name: "H_VV", values: linearVV.data }, { name: "H_QQ", values: linearQQ.data }] },
      ]),
    );
    written.push(histograms);

    io.progress("growth rates (the --quick grid) ...");
    const growth = await scalingStudy({
      ...QUICK_SCALING,
      seeds,
      sigmas: logGrid(1e-2, 1e1, points),
      backend,
      onProgress: (m) => io.progress(m),
    });
    const growthPath = join(dir, "growth.svg");
    writingTo("--out", growthPath, () => writeGrowthPlot(growthPath, growth));
    written.push(growthPath);
  } finally {
    await backend.dispose();
  }
  for (const path of written) io.out(path);
}
