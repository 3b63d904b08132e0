import { join } from "node:path";
import { type CommandIO, fixed, formatAlignedTable } from "@unfold/cli";
import { Graph, type HostTensor, hostTensor, optimize, toFloat64 } from "@unfold/core";
import { writeFileAtomicSync } from "@unfold/files";
import { initParams, specLeaves } from "@unfold/nn";
import { lineChart, writeSvg } from "@unfold/plot";
import type { CrateModelConfig } from "../config/schema.js";
import { inputShape, crateModel, INPUT } from "@unfold/training";
import { createBackend } from "../train/backends.js";
import type { TrainRun } from "../train/loop.js";
import { compressionOf, nonZeroShare } from "./coding-rate.js";

/** What a CRATE run writes besides the common figures: the two plots and the figures as JSON. */
export const CRATE_LAYER_FILES = { codingRate: "coding-rate.svg", sparsity: "sparsity.svg", figures: "crate-layers.json" } as const;

/**
 * The CRATE papers' figure, by layer, as means over test inputs: row 0 is the embedding Z^0
 * (measured with layer 1's bases); row l is layer l, its compression term R^c(Z^(l-1/2); U^l)
 * after MSSA and the non-zero share ||Z^l||_0 / (n d) after ISTA.
 */
export interface CrateLayerFigures {
  readonly inputs: number;
  readonly codingRate: { readonly before: number[]; readonly after: number[] };
  readonly nonZero: { readonly before: number[]; readonly after: number[] };
}

/** Per-layer means for one parameter set: runs the layer-states program on the run's backend. */
async function measure(run: TrainRun, config: CrateModelConfig, params: Record<string, HostTensor>, indices: number[]): Promise<{ codingRate: number[]; nonZero: number[] }> {
  const { task } = run;
  const model = crateModel(config, task);
  const graph = new Graph();
  const input = graph.leaf("input", INPUT, inputShape(task, indices.length), run.config.dtype);
  const states = model.layerStates(input, specLeaves(graph, model.specs, run.config.dtype));
  const outputs: Record<string, typeof input> = { "z.0": states.input };
  states.compressed.forEach((t, l) => (outputs[`half.${l}`] = t));
  states.sparse.forEach((t, l) => (outputs[`z.${l + 1}`] = t));
  const backend = await createBackend(run.config.backend, run.config.dtype);
  try {
    const executable = await backend.compile(optimize(graph.toProgram(outputs)));
    const data = task.batch("test", indices);
    const outs = await executable.run({ ...params, [INPUT]: hostTensor(data.inputs, inputShape(task, indices.length), run.config.dtype) });
    const read = async (name: string): Promise<Float64Array> => toFloat64(await outs[name]!.read());
    const [n, d] = [task.input.tokens, config.dim];
    const heads = config.heads;
    const headDim = config.headDim ?? config.dim / heads;
    const mean = (f: (offset: number) => number): number => indices.reduce((s, _, i) => s + f(i * n * d), 0) / indices.length;
    const basis = (l: number): Float64Array => toFloat64(params[model.basisName(l)]!);
    const rate = (z: Float64Array, l: number): number => mean((o) => compressionOf(z, o, n, d, basis(l), heads, headDim, config.eps));
    const z0 = await read("z.0");
    const codingRate = [rate(z0, 0)];
    const nonZero = [mean((o) => nonZeroShare(z0, o, n * d))];
    for (let l = 0; l < config.layers; l++) {
      codingRate.push(rate(await read(`half.${l}`), l));
      const z = await read(`z.${l + 1}`);
      nonZero.push(mean((o) => nonZeroShare(z, o, n * d)));
    }
    for (const t of Object.values(outs)) t.dispose();
    return { codingRate, nonZero };
  } finally {
    await backend.dispose();
  }
}

/**
 * The figures of a finished unrolled CRATE run (undefined for other models), before and after
 * training. A fixed-point CRATE run has none: its map is not the unrolled MSSA + ISTA layer (see
 * docs/fixed-points.md, section 6), and its energy figure is the solver's trace instead.
 */
export async function crateLayerFigures(run: TrainRun): Promise<CrateLayerFigures | undefined> {
  const config = run.config.model;
  if (config.kind !== "crate" || config.fixedPoint !== undefined) return undefined;
  // train() checked the count against the test split before the first step (lowering only the
  // default, and saying so): a run that gets here with more was not made by train(), and is refused, not clamped.
  const count = run.config.energyInputs;
  if (count > run.task.testCount) {
    throw new Error(`crate figures: energyInputs is ${count}, but the test split has ${run.task.testCount} examples; give at most ${run.task.testCount}`);
  }
  const indices = Array.from({ length: count }, (_, i) => i);
  // The untrained model is the run's own initialization: the same specs and seed.
  const initial = initParams(crateModel(config, run.task).specs, { seed: run.config.train.seed, dtype: run.config.dtype });
  const before = await measure(run, config, initial, indices);
  const after = await measure(run, config, run.params, indices);
  return { inputs: count, codingRate: { before: before.codingRate, after: after.codingRate }, nonZero: { before: before.nonZero, after: after.nonZero } };
}

/** Writes the two plots and the JSON figures into the run's directory; returns their paths. */
export function writeCrateLayerFiles(outDir: string, figures: CrateLayerFigures): string[] {
  const layers = figures.codingRate.after.map((_, l) => l);
  const chart = (title: string, yLabel: string, values: { before: number[]; after: number[] }): string =>
    lineChart({
      title: `${title} over ${figures.inputs} test inputs`,
      xLabel: "layer (0: embedding)",
      yLabel,
      series: [
        { name: "before training", x: layers, y: values.before, dashed: true, markers: true },
        { name: "after training", x: layers, y: values.after, markers: true },
      ],
    });
  const paths = [join(outDir, CRATE_LAYER_FILES.codingRate), join(outDir, CRATE_LAYER_FILES.sparsity), join(outDir, CRATE_LAYER_FILES.figures)];
  writeSvg(paths[0]!, chart("Compression term R^c after MSSA", "R^c(Z^(l-1/2); U^l)", figures.codingRate));
  writeSvg(paths[1]!, chart("Non-zero share after ISTA (lower is sparser)", "||Z^l||_0 / (n d)", figures.nonZero));
  writeFileAtomicSync(paths[2]!, `${JSON.stringify(figures)}\n`);
  return paths;
}

/** A CRATE run's layer table and files, printed after the run's summary; nothing for other models. */
export async function reportCrateLayers(io: CommandIO, run: TrainRun): Promise<CrateLayerFigures | undefined> {
  const figures = await crateLayerFigures(run);
  if (!figures) return undefined;
  const paths = writeCrateLayerFiles(run.outDir, figures);
  const { codingRate: r, nonZero: z } = figures;
  io.out("");
  io.out(`CRATE by layer, means over ${figures.inputs} test inputs: compression R^c after MSSA, non-zero share after ISTA (layer 0: the embedding)`);
  const rows = r.after.map((_, l) => [String(l), fixed(r.before[l]!, 3), fixed(r.after[l]!, 3), fixed(z.before[l]!, 3), fixed(z.after[l]!, 3)]);
  io.out(formatAlignedTable(["layer", "R^c before", "R^c after", "non-zero before", "non-zero after"], rows, [true, true, true, true, true]));
  io.out(`crate figures: ${paths.join(", ")}`);
  return figures;
}
