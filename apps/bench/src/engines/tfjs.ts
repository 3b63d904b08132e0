import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { type ForwardProblem, type MatmulProblem, type Outputs, type Problem, TRAIN_PARAMS, type TrainProblem, type YangModel } from "../workloads/problem.js";
import { sharedGpu } from "./dawn.js";
import { float64, tensorOf } from "./tfjs-arrays.js";
import { tfjsEnergyRun } from "./tfjs-energy.js";
import { tensorBytes, withTensorPeak } from "./tfjs-memory.js";
import { type Engine, EngineUnavailable, type PreparedRun, messageOf } from "./engine.js";

type Tf = typeof TF;

let tfModule: Promise<Tf> | undefined;
let wasmPathsSet = false;

/**
 * One TensorFlow.js instance for both tfjs engines (and for unfold-tfjs, whose package resolves to
 * the same module); each switches the global backend in prepare.
 */
export function loadTf(): Promise<Tf> {
  tfModule ??= import("@tensorflow/tfjs").then((tf) => {
    // Production mode: no debug checks, and no console advice to install tfjs-node.
    tf.enableProdMode();
    return tf;
  });
  return tfModule;
}

/**
 * TensorFlow.js on its pure-JavaScript `cpu` backend or its WebAssembly `wasm` backend (XNNPACK,
 * SIMD; single-threaded in Node, where the package reports no multithread support). The math is
 * written here with TensorFlow.js's own ops, independently of Unfold's programs.
 */
export function tfjsEngine(backend: "cpu" | "wasm" | "webgpu"): Engine {
  let tf: Tf | undefined;
  let detail = "";
  const name = `tfjs-${backend}`;
  const init = async (): Promise<Tf> => {
    if (tf) return tf;
    let lib: Tf;
    try {
      lib = await loadTf();
      if (backend === "wasm") {
        const wasm = await import("@tensorflow/tfjs-backend-wasm");
        if (!wasmPathsSet) {
          const dir = join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
          wasm.setWasmPaths(`${dir}/`);
          wasmPathsSet = true;
        }
      }
      if (backend === "webgpu") {
        // navigator.gpu first: the webgpu backend registers against it when imported.
        await sharedGpu();
        await import("@tensorflow/tfjs-backend-webgpu");
      }
    } catch (error) {
      if (error instanceof EngineUnavailable) throw error;
      throw new EngineUnavailable(`TensorFlow.js failed to load: ${messageOf(error)}`);
    }
    if (!(await lib.setBackend(backend))) throw new EngineUnavailable(`TensorFlow.js backend '${backend}' failed to initialize`);
    if (backend === "wasm") detail = await wasmDetail(lib);
    tf = lib;
    return lib;
  };
  return {
    name,
    peer: true,
    describe: () => `${name}: TensorFlow.js ${tf?.version.tfjs ?? "?"} '${backend}' backend, float32${detail}`,
    init: async () => void (await init()),
    prepare: async (problem: Problem) => {
      const lib = await init();
      await lib.setBackend(backend);
      // Before the run makes its tensors: the pool figure counts them (tfjs-memory.ts).
      const before = tensorBytes(lib);
      switch (problem.kind) {
        case "matmul":
          return onBackend(lib, backend, before, matmulRun(lib, problem));
        case "unfold-forward":
        case "descent-step":
          return onBackend(lib, backend, before, forwardRun(lib, problem));
        case "train-step":
          return onBackend(lib, backend, before, trainRun(lib, problem));
        case "energy-and-gradient":
        case "hvp":
          return onBackend(lib, backend, before, tfjsEnergyRun(lib, problem));
      }
    },
  };
}

/**
 * The run with TensorFlow.js switched to `backend` before each call. The tfjs engines share one
 * TensorFlow.js and its global backend, and the runner interleaves engines' runs: without the
 * switch an engine's ops would run on whichever backend another engine chose last. For a backend
 * already initialized the switch completes synchronously, as backend-tfjs's own runs rely on.
 * The check run is profiled for the tensors' peak bytes (tfjs-memory.ts).
 */
function onBackend(tf: Tf, backend: string, bytesBefore: number, run: PreparedRun): PreparedRun {
  const select = (): void => {
    if (tf.getBackend() === backend) return;
    void tf.setBackend(backend);
    if (tf.getBackend() !== backend) throw new Error(`could not switch TensorFlow.js to '${backend}' synchronously`);
  };
  return withTensorPeak(tf, {
    check: () => (select(), run.check()),
    step: () => (select(), run.step()),
    dispose: () => (select(), run.dispose()),
  }, bytesBefore);
}

/** ", SIMD, 1 thread" or what else the wasm backend reports (its flags exist once it is imported). */
export async function wasmDetail(tf: Tf): Promise<string> {
  await import("@tensorflow/tfjs-backend-wasm");
  const threads = (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) ? "multithreaded" : "1 thread";
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) ? "SIMD" : "no SIMD";
  return `, ${simd}, ${threads}`;
}

function matmulRun(tf: Tf, problem: MatmulProblem): PreparedRun {
  const A = tensorOf(tf, problem.inputs.A);
  const B = tensorOf(tf, problem.inputs.B);
  const once = async (): Promise<TF.TypedArray> => {
    const C = tf.matMul(A, B);
    const data = await C.data();
    C.dispose();
    return data;
  };
  return {
    check: async () => ({ C: Float64Array.from(await once()) }),
    step: async () => void (await once()),
    dispose: async () => tf.dispose([A, B]),
  };
}

/**
 * The Yang forward with TensorFlow.js ops: per layer, the softmax_beta attention step
 * Y + a (softmax(Y Ws Y^T - 1/2 q^T) Y - Y) with q_j = y_j^T Ws y_j and Ws = Wa^T Wa, then the
 * feed-forward step ReLU(Y - f (Y Wf + Y - b)) (the gradient of E_ff for a symmetric Wf).
 */
export function tfjsYangForward(tf: Tf, model: YangModel, state: TF.Tensor, Wa: TF.Tensor, Wf: TF.Tensor, b: TF.Tensor): TF.Tensor {
  const { batch, tokens, dim } = model;
  const rows = batch * tokens;
  const wa = tf.reshape(Wa, [dim, dim]) as TF.Tensor2D;
  const Ws = tf.matMul(wa, wa, true, false);
  let Y = state as TF.Tensor3D;
  for (let layer = 0; layer < model.layers; layer++) {
    const YW = tf.reshape(tf.matMul(tf.reshape(Y, [rows, dim]) as TF.Tensor2D, Ws), [batch, tokens, dim]) as TF.Tensor3D;
    const logits = tf.matMul(YW, Y, false, true);
    const q = tf.reshape(tf.sum(tf.mul(YW, Y), -1), [batch, 1, tokens]);
    const weights = tf.softmax(tf.sub(logits, tf.mul(q, 0.5)));
    const mixed = tf.matMul(weights as TF.Tensor3D, Y);
    Y = tf.add(Y, tf.mul(tf.sub(mixed, Y), model.attentionStepSize));
    const YWf = tf.reshape(tf.matMul(tf.reshape(Y, [rows, dim]) as TF.Tensor2D, Wf as TF.Tensor2D), [batch, tokens, dim]);
    const gradient = tf.sub(tf.add(YWf, Y), b);
    Y = tf.relu(tf.sub(Y, tf.mul(gradient, model.feedForwardStepSize)));
  }
  return Y;
}

function forwardRun(tf: Tf, problem: ForwardProblem): PreparedRun {
  const { state, Wa, Wf, b } = problem.inputs;
  const inputs = [state, Wa, Wf, b].map((a) => tensorOf(tf, a)) as [TF.Tensor, TF.Tensor, TF.Tensor, TF.Tensor];
  const once = async (): Promise<TF.TypedArray> => {
    const out = tf.tidy(() => tfjsYangForward(tf, problem.model, ...inputs));
    const data = await out.data();
    out.dispose();
    return data;
  };
  return {
    check: async () => ({ state: Float64Array.from(await once()) }),
    step: async () => void (await once()),
    dispose: async () => tf.dispose(inputs),
  };
}

let variableSerial = 0;

/**
 * The training step with TensorFlow.js's own machinery: tf.variableGrads for the gradient of
 * every variable, tf.train.adam for the update (its moments live in the optimizer).
 */
function trainRun(tf: Tf, problem: TrainProblem): PreparedRun {
  const { inputs, model, adam } = problem;
  const prefix = `bench${++variableSerial}`;
  const state = tensorOf(tf, inputs.state);
  const labels = tensorOf(tf, inputs.labels);
  // tidy releases the initial values the variables were made from.
  const vars = Object.fromEntries(TRAIN_PARAMS.map((p) => [p, tf.tidy(() => tf.variable(tensorOf(tf, inputs[p]), true, `${prefix}/${p}`))])) as Record<
    (typeof TRAIN_PARAMS)[number],
    TF.Variable
  >;
  const optimizer = tf.train.adam(adam.learningRate, adam.beta1, adam.beta2, adam.epsilon);
  const loss = (): TF.Scalar => {
    const Wf = tf.mul(tf.add(vars.M, tf.transpose(vars.M)), 0.5);
    const Y = tfjsYangForward(tf, model, state, vars.Wa, Wf, vars.b);
    const logits = tf.add(tf.matMul(tf.mean(Y, 1) as TF.Tensor2D, vars.W), vars.c);
    return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.MEAN) as TF.Scalar;
  };
  const varList = TRAIN_PARAMS.map((p) => vars[p]);
  const once = async (): Promise<number> => {
    const { value, grads } = tf.variableGrads(loss, varList);
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    const [result] = await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    return result!;
  };
  return {
    check: async () => {
      const out: Outputs = { loss: Float64Array.of(await once()) };
      const weights = await optimizer.getWeights();
      const moments = new Map(weights.map((w) => [w.name, w.tensor]));
      for (const p of TRAIN_PARAMS) {
        out[`new.${p}`] = await float64(vars[p]);
        const m = moments.get(`${prefix}/${p}/m`);
        const v = moments.get(`${prefix}/${p}/v`);
        if (!m || !v) throw new Error(`tf.train.adam holds no moments for '${p}'`);
        out[`m.${p}`] = await float64(m);
        out[`v.${p}`] = await float64(v);
      }
      // getWeights makes a fresh iteration-count tensor; the moments are the optimizer's own.
      for (const w of weights) if (w.name === "iter") w.tensor.dispose();
      return out;
    },
    step: async () => void (await once()),
    dispose: async () => {
      optimizer.dispose();
      tf.dispose([state, labels, ...varList]);
    },
  };
}
