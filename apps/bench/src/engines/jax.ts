import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker as NodeWorker } from "node:worker_threads";
import { dirname, join } from "node:path";
import type * as Jax from "@jax-js/jax";
import { type ForwardProblem, type MatmulProblem, type Outputs, type Problem, TRAIN_PARAMS, type TrainParam, type TrainProblem, type YangModel } from "../workloads/problem.js";
import { type Engine, EngineUnavailable, type PreparedRun, WorkloadUnsupported, messageOf } from "./engine.js";
import { type JArray, arrayOf, float64, release } from "./jax-arrays.js";
import { jaxEnergyRun } from "./jax-energy.js";

type JaxModule = typeof Jax;

const PACKAGE = "@jax-js/jax";

let jaxModule: Promise<JaxModule> | undefined;

/**
 * Loads jax-js once and starts only its wasm backend. A bare `init()` would also probe WebGPU,
 * and that probe reads the global `navigator`, which Node 20 does not define: it throws instead
 * of reporting WebGPU unavailable.
 */
function loadJax(): Promise<JaxModule> {
  jaxModule ??= (async () => {
    // The import too: jax-js may make its backends as it loads.
    const { jax, started } = await withoutNodeWorkerGlobal(async () => {
      let lib: JaxModule;
      try {
        lib = await import("@jax-js/jax");
      } catch (error) {
        throw new EngineUnavailable(`${PACKAGE} failed to load: ${messageOf(error)}`);
      }
      try {
        const backends = await lib.init("wasm");
        // The backend (and its choice of threads) may also be made on first use: use it here.
        lib.numpy.zeros([1], { dtype: lib.numpy.float32, device: "wasm" }).dispose();
        return { jax: lib, started: backends };
      } catch (error) {
        throw new EngineUnavailable(`${PACKAGE}'s wasm backend failed to start: ${messageOf(error)}`);
      }
    });
    if (!started.includes("wasm")) throw new EngineUnavailable(`${PACKAGE}'s wasm backend is not available here (WebAssembly missing?)`);
    // wasm is already the default; set it anyway so nothing here depends on the library's choice.
    jax.defaultDevice("wasm");
    return jax;
  })();
  // A failed load is not cached: a later init may try again.
  jaxModule.catch(() => (jaxModule = undefined));
  return jaxModule;
}

/**
 * Runs `work` with no global `Worker` when the global is Node's worker_threads Worker.
 * onnxruntime-web installs that one as a global in Node. jax-js takes any global `Worker` for a
 * Web Worker: it then builds a worker pool from a blob: URL, which Node refuses, and compiles its
 * kernels for a shared memory it did not make (it asks again at every compile). Every jax-js
 * call here therefore runs with the global hidden, keeping jax-js on the one thread it has in
 * Node (WASM_THREADS) whichever engine loaded first. The runner awaits one engine's call before
 * starting another's, so no other engine runs while the global is hidden.
 */
async function withoutNodeWorkerGlobal<T>(work: () => Promise<T>): Promise<T> {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  if (!descriptor || descriptor.value !== NodeWorker || !descriptor.configurable) return work();
  Reflect.deleteProperty(globalThis, "Worker");
  try {
    return await work();
  } finally {
    Object.defineProperty(globalThis, "Worker", descriptor);
  }
}

/** The run with every call inside withoutNodeWorkerGlobal. */
function shielded(run: PreparedRun): PreparedRun {
  return {
    check: () => withoutNodeWorkerGlobal(() => run.check()),
    step: () => withoutNodeWorkerGlobal(() => run.step()),
    dispose: () => withoutNodeWorkerGlobal(() => run.dispose()),
  };
}

/**
 * The installed version, read from the package's package.json. Its `exports` map does not list
 * "./package.json", so the file is found next to the resolved entry point (dist/index.cjs).
 */
function installedVersion(): string {
  try {
    const entry = createRequire(import.meta.url).resolve(PACKAGE);
    const manifest = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as { name?: string; version?: string };
    return manifest.name === PACKAGE && manifest.version ? manifest.version : "?";
  } catch {
    return "?";
  }
}

/**
 * jax-js's wasm backend runs its kernels on a pool of Web Workers only when both `Worker` and
 * `SharedArrayBuffer` are globals. Node has no Web Workers, so here it runs on one thread (and
 * its WebAssembly memory is not shared, so V8's `external` figure, the heap column, counts it).
 */
const WASM_THREADS = "1 thread";

/**
 * jax-js (NumPy/JAX-style arrays, autodiff and jit in JavaScript) on its WebAssembly backend,
 * float32. The math is written here with jax-js's own ops, `valueAndGrad` and `jit`,
 * independently of Unfold's programs; each workload's function is jit-compiled (traced once per
 * shape, its kernels fused), which is how the library is meant to be used for speed.
 *
 * Memory: jax-js frees device buffers by reference counting with move semantics. An array starts
 * with count 1; passing it to any jax-js function or method (jit-compiled ones included) consumes
 * one count, `.ref` adds one and returns the same array, `dispose()` drops one, and `data()`
 * consumes the array it reads. Everything held across steps here is passed as `x.ref`, and every
 * result is either read (consumed) or kept in place of the array it replaces, so a step leaves
 * exactly the arrays it found.
 */
export function jaxEngine(): Engine {
  let jax: JaxModule | undefined;
  let version = "?";
  const init = async (): Promise<JaxModule> => {
    if (jax) return jax;
    jax = await loadJax();
    version = installedVersion();
    return jax;
  };
  return {
    name: "jax-js",
    peer: true,
    describe: () => `jax-js: ${PACKAGE} ${version}, 'wasm' backend, ${WASM_THREADS}, jit-compiled, float32`,
    init: async () => void (await init()),
    prepare: (problem: Problem) => withoutNodeWorkerGlobal(async () => shielded(await prepareRun(await init(), problem))),
  };
}

function prepareRun(lib: JaxModule, problem: Problem): PreparedRun {
  // Read before the switch: once every kind written here is handled, `problem` is narrowed to
  // the remaining ones, whatever the Problem union holds at the time.
  const kind: string = problem.kind;
  switch (problem.kind) {
    case "matmul":
      return matmulRun(lib, problem);
    case "unfold-forward":
    case "descent-step":
      // descent-step is the same problem type and math with one layer.
      return forwardRun(lib, problem);
    case "train-step":
      return trainRun(lib, problem);
    case "energy-and-gradient":
    case "hvp":
      return jaxEnergyRun(lib, problem);
    default:
      throw new WorkloadUnsupported(`jax-js: no '${kind}' workload is written for this engine`);
  }
}

function matmulRun(jax: JaxModule, problem: MatmulProblem): PreparedRun {
  const np = jax.numpy;
  const A = arrayOf(jax, problem.inputs.A);
  const B = arrayOf(jax, problem.inputs.B);
  const product = jax.jit((a: JArray, b: JArray) => np.matmul(a, b));
  // The jit-compiled function consumes its arguments: pass new references to the held inputs.
  const once = (): Promise<Float64Array> => float64(product(A.ref, B.ref));
  return {
    check: async () => ({ C: await once() }),
    step: async () => void (await once()),
    dispose: async () => {
      release(A);
      release(B);
      product.dispose();
    },
  };
}

/**
 * The Yang forward with jax-js ops: per layer, the softmax_beta attention step
 * Y + a (softmax(Y Ws Y^T - 1/2 q^T) Y - Y) with q_j = y_j^T Ws y_j and Ws = Wa^T Wa, then the
 * feed-forward step ReLU(Y - f (Y Wf + Y - b)). Like every jax-js function it consumes its array
 * arguments, and each array it makes is consumed exactly once: Y is read six times by the
 * attention step (five `.ref`s and the final move), Ws and Wf once per layer through `.ref`.
 * That discipline is what grad and jit rely on, and it keeps an eager call leak-free too.
 */
function yangForward(jax: JaxModule, model: YangModel, state: JArray, Wa: JArray, Wf: JArray, b: JArray): JArray {
  const { numpy: np, nn } = jax;
  const { batch, tokens, dim } = model;
  const wa = Wa.reshape([dim, dim]);
  const Ws = np.matmul(wa.ref.transpose(), wa);
  let Y = state;
  for (let layer = 0; layer < model.layers; layer++) {
    // [batch, tokens, dim] x [dim, dim] broadcasts over the batch.
    const YW = np.matmul(Y.ref, Ws.ref);
    const logits = np.matmul(YW.ref, Y.ref.transpose([0, 2, 1]));
    // q_j = y_j^T Ws y_j, laid out as a row so it is subtracted from every row of the logits.
    const q = YW.mul(Y.ref).sum(-1).reshape([batch, 1, tokens]);
    const weights = nn.softmax(logits.sub(q.mul(0.5)), -1);
    const mixed = np.matmul(weights, Y.ref);
    Y = Y.ref.add(mixed.sub(Y).mul(model.attentionStepSize));
    const gradient = np.matmul(Y.ref, Wf.ref).add(Y.ref).sub(b.ref);
    Y = nn.relu(Y.sub(gradient.mul(model.feedForwardStepSize)));
  }
  Ws.dispose();
  Wf.dispose();
  b.dispose();
  return Y;
}

function forwardRun(jax: JaxModule, problem: ForwardProblem): PreparedRun {
  const { state, Wa, Wf, b } = problem.inputs;
  const held = [state, Wa, Wf, b].map((a) => arrayOf(jax, a)) as [JArray, JArray, JArray, JArray];
  const forward = jax.jit((Y: JArray, wa: JArray, wf: JArray, bias: JArray) => yangForward(jax, problem.model, Y, wa, wf, bias));
  const once = (): Promise<Float64Array> => float64(forward(...(held.map((a) => a.ref) as [JArray, JArray, JArray, JArray])));
  return {
    check: async () => ({ state: await once() }),
    step: async () => void (await once()),
    dispose: async () => {
      held.forEach(release);
      forward.dispose();
    },
  };
}

// Type aliases, not interfaces: jax-js's JsTree (its pytrees) accepts only index-signature types.
type Params = Record<TrainParam, JArray>;
type TrainState = { params: Params; m: Params; v: Params };
type StepResult = TrainState & { loss: JArray };

/** Mean-pooling over tokens, the linear head and the mean cross-entropy against one-hot labels. */
function trainLoss(jax: JaxModule, model: YangModel, params: Params, state: JArray, labels: JArray): JArray {
  const { numpy: np, nn } = jax;
  const { M } = params;
  // Wf = (M + M^T) / 2 keeps W_f symmetric.
  const Wf = M.ref.add(M.transpose()).mul(0.5);
  const Y = yangForward(jax, model, state, params.Wa, Wf, params.b);
  const logits = np.matmul(Y.mean(1), params.W).add(params.c);
  return labels.mul(nn.logSoftmax(logits, -1)).sum(-1).mean().neg();
}

/**
 * One training step: jax-js's valueAndGrad of the loss in the parameters, then Adam by hand,
 * m' = b1 m + (1 - b1) g, v' = b2 v + (1 - b2) g^2,
 * p' = p - lr (m' / c1) / (sqrt(v' / c2) + eps) with c1 = 1 - b1^t, c2 = 1 - b2^t.
 * The corrections come in as scalar arrays, so one compiled step serves every t.
 */
function trainStep(jax: JaxModule, problem: TrainProblem) {
  const { beta1, beta2, epsilon, learningRate } = problem.adam;
  const valueAndGrad = jax.valueAndGrad((params: Params, state: JArray, labels: JArray) => trainLoss(jax, problem.model, params, state, labels));
  return (params: Params, m: Params, v: Params, state: JArray, labels: JArray, correction1: JArray, correction2: JArray): StepResult => {
    // valueAndGrad consumes its arguments; the parameters are needed again for the update.
    const [loss, grads] = valueAndGrad(jax.tree.ref(params), state, labels);
    const next: TrainState = { params: {} as Params, m: {} as Params, v: {} as Params };
    for (const p of TRAIN_PARAMS) {
      const g = grads[p];
      const m1 = m[p].mul(beta1).add(g.ref.mul(1 - beta1));
      const v1 = v[p].mul(beta2).add(g.ref.mul(g).mul(1 - beta2));
      const mHat = m1.ref.div(correction1.ref);
      const vHat = v1.ref.div(correction2.ref);
      next.params[p] = params[p].sub(mHat.div(jax.numpy.sqrt(vHat).add(epsilon)).mul(learningRate));
      next.m[p] = m1;
      next.v[p] = v1;
    }
    correction1.dispose();
    correction2.dispose();
    return { loss, ...next };
  };
}

/**
 * Training on jax-js: the whole step (loss, gradient, Adam) as one jit-compiled function. The
 * parameters and moments move into each call and its results take their place; step() reads
 * back the loss, as a training loop would, and carries on from the previous step (t = 2, 3, ...).
 */
function trainRun(jax: JaxModule, problem: TrainProblem): PreparedRun {
  const np = jax.numpy;
  const { inputs, adam } = problem;
  const state = arrayOf(jax, inputs.state);
  const labels = arrayOf(jax, inputs.labels);
  const step = jax.jit(trainStep(jax, problem));
  const fresh = (): TrainState => {
    const params = {} as Params;
    const m = {} as Params;
    const v = {} as Params;
    for (const p of TRAIN_PARAMS) {
      params[p] = arrayOf(jax, inputs[p]);
      // Adam's moments start at zero.
      m[p] = np.zeros([...inputs[p].shape], { dtype: np.float32, device: "wasm" });
      v[p] = np.zeros([...inputs[p].shape], { dtype: np.float32, device: "wasm" });
    }
    return { params, m, v };
  };
  const releaseAll = (s: TrainState): void => {
    for (const p of TRAIN_PARAMS) [s.params[p], s.m[p], s.v[p]].forEach(release);
  };
  let current = fresh();
  let t = 0;
  const scalar = (x: number): JArray => np.array(x, { dtype: np.float32, device: "wasm" });
  const once = (): JArray => {
    t += 1;
    const out = step(current.params, current.m, current.v, state.ref, labels.ref, scalar(1 - adam.beta1 ** t), scalar(1 - adam.beta2 ** t));
    current = { params: out.params, m: out.m, v: out.v };
    return out.loss;
  };
  return {
    // The first step from the problem's inputs, whatever ran before: start over at t = 1.
    check: async () => {
      releaseAll(current);
      current = fresh();
      t = 0;
      const out: Outputs = { loss: await float64(once()) };
      for (const p of TRAIN_PARAMS) {
        // .ref: reading consumes a count, and the state must outlive the read.
        out[`new.${p}`] = await float64(current.params[p].ref);
        out[`m.${p}`] = await float64(current.m[p].ref);
        out[`v.${p}`] = await float64(current.v[p].ref);
      }
      return out;
    },
    step: async () => void (await once().data()),
    dispose: async () => {
      releaseAll(current);
      release(state);
      release(labels);
      step.dispose();
    },
  };
}
