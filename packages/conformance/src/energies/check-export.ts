import { type HostTensor, type Program, type Shape, formatShape, unfoldedProgram } from "@unfold/core";
import type { ZooEntry } from "@unfold/energies/zoo";
import { ConformanceError, type OutputComparison, assertMatchesReference } from "../compare.js";
import { referenceRun } from "../check.js";
import { ZOO_TOLERANCE } from "./check-unfolding.js";
import { batchedState, exampleOf, programParams } from "./example.js";

/** The name the exported models give their symbolic leading axis. */
export const BATCH_AXIS = "batch";

/** An exported model and how the program's feed and output names map onto the graph's. */
export interface ExportedModel {
  readonly bytes: Uint8Array;
  /** Program feed name -> graph input name, for the feeds that stayed graph inputs. */
  readonly inputs: ReadonlyMap<string, string>;
  /** Program output name -> graph output name. */
  readonly outputs: ReadonlyMap<string, string>;
}

/**
 * An exporter and a runtime for its files. The suite does not depend on them (the ONNX backend's
 * tests give `buildOnnxModel` and a fresh onnxruntime-web session), so it stays a leaf package
 * and its checks can be run against deliberately wrong exporters.
 */
export interface ExportTarget {
  readonly name: string;
  /** Exports a program, baking in `params` as initializers, with `batchDim` as the symbolic leading axis. */
  export(program: Program, options: { readonly batchDim: string; readonly params?: Readonly<Record<string, HostTensor>> }): ExportedModel;
  /** Runs the file in a fresh session on host feeds (by graph input name); outputs by graph output name. */
  run(bytes: Uint8Array, feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>>;
}

/** What the export check measured, per batch size it ran the file at. */
export interface ZooExportResult {
  readonly entry: string;
  readonly bakedParams: boolean;
  readonly bytes: number;
  readonly runs: readonly { readonly batch: number; readonly comparison: OutputComparison }[];
}

/** The batch sizes a model is run at: the traced one, and 2B + 1 (larger, odd, never the traced size). */
export const exportBatches = (traced: number): readonly number[] => [traced, 2 * traced + 1];

/**
 * Exports the entry's float32 unfolded program (traced at the example's shape) with a symbolic
 * batch axis, its parameters baked in as initializers (`bakeParams`) or left as graph inputs, and
 * runs the file at the traced batch size and at another one, each against the float64 reference
 * interpreter on the program traced at that size. Fails with a ConformanceError naming the entry
 * when the export refuses, the runtime rejects the file or a batch size, or the state disagrees.
 */
export async function checkZooExport(entry: ZooEntry, target: ExportTarget, options: { readonly bakeParams: boolean }): Promise<ZooExportResult> {
  const example = exampleOf(entry, "float32");
  const params = programParams(example);
  const how = options.bakeParams ? "parameters baked in" : "parameters as graph inputs";
  const context = `zoo entry '${entry.name}', exported by ${target.name} with a symbolic batch axis '${BATCH_AXIS}' and ${how}`;
  const program = unfoldedProgram(example.unfolding, example.shape, "float32");
  let model: ExportedModel;
  try {
    model = target.export(program, { batchDim: BATCH_AXIS, ...(options.bakeParams ? { params } : {}) });
  } catch (error) {
    throw new ConformanceError(`${context}: the export failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  const stateOutput = model.outputs.get("state");
  if (stateOutput === undefined) throw new ConformanceError(`${context}: the model has no output for the program's 'state'`);

  const runs: { batch: number; comparison: OutputComparison }[] = [];
  for (const batch of exportBatches(example.shape[0]!)) {
    const state = batchedState(example.state, batch);
    const shape: Shape = state.shape;
    const feeds: Record<string, HostTensor> = {};
    for (const [feed, graphName] of model.inputs) {
      const value = feed === "state" ? state : params[feed];
      if (!value) throw new ConformanceError(`${context}: the model asks for input '${graphName}', which is no feed of the program`);
      feeds[graphName] = value;
    }
    const at = `${context}, run at batch ${batch} (state ${formatShape(shape)}; traced at ${example.shape[0]})`;
    let outputs: Record<string, HostTensor>;
    try {
      outputs = await target.run(model.bytes, feeds);
    } catch (error) {
      throw new ConformanceError(`${at}: the runtime rejected it: ${error instanceof Error ? error.message : String(error)}`);
    }
    // The reference runs the program traced at this size: the exported one at its own size.
    const traced = batch === example.shape[0] ? program : unfoldedProgram(example.unfolding, shape, "float32");
    const expected = referenceRun(traced, { state, ...params });
    const got = outputs[stateOutput];
    const [comparison] = assertMatchesReference(got ? { state: got } : {}, { state: expected["state"]! }, ZOO_TOLERANCE.float32, at);
    runs.push({ batch, comparison: comparison! });
  }
  return { entry: entry.name, bakedParams: options.bakeParams, bytes: model.bytes.byteLength, runs };
}

