import type * as Ort from "onnxruntime-web";
import type { EnergyProblem, ForwardProblem, MatmulProblem, Problem } from "../workloads/problem.js";
import { type Engine, EngineUnavailable, type PreparedRun, WorkloadUnsupported, messageOf } from "./engine.js";
import type * as OnnxGraphs from "./onnx-model.js";

type OrtModule = typeof Ort;
type Graphs = typeof OnnxGraphs;

/** Threads of onnxruntime-web's wasm execution provider (set once, before its first session). */
export const ORT_THREADS = 2;

let ortModule: Promise<OrtModule> | undefined;

function loadOrt(): Promise<OrtModule> {
  ortModule ??= import("onnxruntime-web").then((ort) => {
    ort.env.wasm.numThreads = ORT_THREADS;
    ort.env.logLevel = "error";
    return ort;
  });
  return ortModule;
}

/**
 * onnxruntime-web on its wasm execution provider, running ONNX graphs of standard operators built
 * here for the same math. Inference only: the package has no training API.
 */
export function ortEngine(): Engine {
  let ort: OrtModule | undefined;
  let graphs: Graphs | undefined;
  const init = async (): Promise<{ ort: OrtModule; graphs: Graphs }> => {
    if (ort && graphs) return { ort, graphs };
    try {
      ort = await loadOrt();
    } catch (error) {
      throw new EngineUnavailable(`onnxruntime-web failed to load: ${messageOf(error)}`);
    }
    try {
      // Loaded here, not at startup: the ONNX encoder is only needed by this engine.
      graphs = await import("./onnx-model.js");
    } catch (error) {
      throw new EngineUnavailable(`onnx-proto failed to load: ${messageOf(error)}`);
    }
    return { ort, graphs };
  };
  return {
    name: "ort-wasm",
    peer: true,
    describe: () =>
      `ort-wasm: onnxruntime-web ${ort?.env.versions.web ?? "?"}, wasm execution provider, ${ORT_THREADS} threads, float32; graphs of standard operators built here (energy-and-gradient: the gradient in closed form, as onnxruntime-web has no autodiff)`,
    init: async () => void (await init()),
    prepare: async (problem: Problem) => {
      const { ort: lib, graphs: g } = await init();
      switch (problem.kind) {
        case "matmul":
          return sessionRun(lib, g.matmulModel(problem), matmulFeeds(lib, problem), { C: "C" });
        case "unfold-forward":
        case "descent-step":
          return sessionRun(lib, g.forwardModel(problem.model), forwardFeeds(lib, problem), { out: "state" });
        case "energy-and-gradient":
          return sessionRun(lib, g.energyGradientModel(problem.model), forwardFeeds(lib, problem), { energy: "energy", grad: "grad" });
        case "train-step":
          throw new WorkloadUnsupported("onnxruntime-web is an inference runtime (no training API in this package)");
        case "hvp":
          throw new WorkloadUnsupported("onnxruntime-web has no autodiff, and no closed-form Hessian-vector product graph is written for it");
      }
    },
  };
}

function tensor(ort: OrtModule, a: { data: Float64Array; shape: readonly number[] }): Ort.Tensor {
  return new ort.Tensor("float32", Float32Array.from(a.data), [...a.shape]);
}

function matmulFeeds(ort: OrtModule, problem: MatmulProblem): Record<string, Ort.Tensor> {
  return { A: tensor(ort, problem.inputs.A), B: tensor(ort, problem.inputs.B) };
}

function forwardFeeds(ort: OrtModule, problem: ForwardProblem | EnergyProblem): Record<string, Ort.Tensor> {
  const { state, Wa, Wf, b } = problem.inputs;
  return { state: tensor(ort, state), Wa: tensor(ort, Wa), Wf: tensor(ort, Wf), b: tensor(ort, b) };
}

/** A session on `model`; `outputs` maps the graph's output names to the workload's. */
async function sessionRun(ort: OrtModule, model: Uint8Array, feeds: Record<string, Ort.Tensor>, outputs: Record<string, string>): Promise<PreparedRun> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  // Outputs arrive as host Float32Arrays already: reading them is the read-back.
  const once = async (): Promise<Record<string, Float32Array>> => {
    const result = await session.run(feeds);
    const data = Object.fromEntries(Object.entries(outputs).map(([output, as]) => [as, result[output]!.data as Float32Array]));
    for (const t of Object.values(result)) t.dispose();
    return data;
  };
  return {
    check: async () => Object.fromEntries(Object.entries(await once()).map(([name, data]) => [name, Float64Array.from(data)])),
    step: async () => void (await once()),
    dispose: async () => session.release(),
  };
}
