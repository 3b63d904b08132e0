// The training view: the trainer's quick MNIST config trained in the page on the backend the
// page's Backend menu picks, with live loss and accuracy curves, pause and resume (an
// AbortSignal through TrainingSession.steps), the energy by layer before and after as box plots,
// and downloads of the checkpoint and the ONNX model that `pnpm train predict` runs.
import { type Backend, type DType } from "@unfold/core";
import { type TaskData, type TrainerModel, TrainingSession, buildModel } from "@unfold/training";
import { BACKEND_DTYPES, type BackendName } from "../backends.js";
import { Curve, drawEnergyBoxes } from "./charts.js";
import { fetchPageDigits } from "./digits.js";
import type { PageDigits } from "./digits-format.js";
import { DOWNLOAD_NAMES, checkpointBytes, onnxBytes, predictSample, sha256Line } from "./export.js";
import { QUICK_NAME, QUICK_PATCH, QUICK_TRAIN, quickModelConfig, quickTrainConfig } from "./quick-config.js";
import type { TrainingApi, TrainingPoint } from "./report.js";
import { pageMnistTask } from "./task.js";
import { openTrainingBackend } from "./training-backend.js";

/** Test digits whose energy at every layer the box plots show. */
const PROFILED_DIGITS = 64;
/** Test digits in the predict sample download. */
const SAMPLE_DIGITS = 100;

/** Why a backend does not train here, or undefined when it does. */
export function trainingUnavailable(name: BackendName): string | undefined {
  // The interpreter runs the quick config's training step (batch 64, 16 tokens, width 64, 4
  // layers, forward and backward) in float64 node by node: minutes per epoch, not a live view.
  if (name === "reference") return "the float64 reference interpreter is too slow to train the quick config live; pick the CPU, WebGPU, ONNX or TensorFlow.js backend in the Backend menu";
  return undefined;
}

interface Run {
  readonly backendName: BackendName;
  readonly model: TrainerModel;
  readonly task: TaskData;
  readonly session: TrainingSession;
}

function button(text: string): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  return b;
}

function block(className: string): HTMLDivElement {
  const d = document.createElement("div");
  d.className = className;
  return d;
}

function save(bytes: Uint8Array | string, fileName: string): void {
  const blob = new Blob([bytes as BlobPart], { type: typeof bytes === "string" ? "text/plain" : "application/octet-stream" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Builds the view inside `container`; the page's Backend menu `backendSelect` picks the backend. */
export function mountTrainingView(container: HTMLElement, backendSelect: HTMLSelectElement): TrainingApi {
  const api: TrainingApi = {
    ready: false,
    state: "idle",
    runs: 0,
    backend: undefined,
    engine: undefined,
    totalSteps: 0,
    points: [],
    stepsPerSecond: undefined,
    testBefore: undefined,
    testAfter: undefined,
    energyBefore: undefined,
    energyAfter: undefined,
    energyIncreases: undefined,
    error: undefined,
  };
  window.__studioTraining = api;

  const title = document.createElement("h2");
  title.textContent = "Train on MNIST";
  const intro = document.createElement("p");
  intro.className = "note";
  intro.textContent =
    `The trainer's '${QUICK_NAME}' config: a 4-layer untied Yang et al. model of width 64 on 7 x 7 patches of the bundled digits, ` +
    `${QUICK_TRAIN.epochs} epochs of batch ${QUICK_TRAIN.batchSize}, on the backend the Backend menu picks.`;
  const start = button("Train");
  const pause = button("Pause");
  const resume = button("Resume");
  const downloads = {
    checkpoint: button("Checkpoint (.safetensors)"),
    onnx: button("Model (.onnx)"),
    checksum: button("Model checksum (.sha256)"),
    sample: button("Predict sample (.jsonl)"),
  };
  start.id = "train-start";
  pause.id = "train-pause";
  resume.id = "train-resume";
  for (const [key, b] of Object.entries(downloads)) b.id = `train-download-${key}`;
  const actions = block("train-actions");
  actions.append(start, pause, resume);
  const saves = block("train-actions");
  const savesLabel = document.createElement("span");
  savesLabel.textContent = "Download: ";
  saves.append(savesLabel, ...Object.values(downloads));
  const status = document.createElement("p");
  status.id = "train-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  status.textContent = "Press Train to start.";
  const curves = block("train-charts");
  const lossBox = block("train-chart");
  const accuracyBox = block("train-chart");
  curves.append(lossBox, accuracyBox);
  const boxes = block("train-charts");
  const beforeBox = block("train-chart");
  const afterBox = block("train-chart");
  beforeBox.id = "train-energy-before";
  afterBox.id = "train-energy-after";
  boxes.append(beforeBox, afterBox);
  container.replaceChildren(title, intro, actions, status, curves, boxes, saves);

  let loss: Curve | undefined;
  let accuracy: Curve | undefined;
  let digits: PageDigits | undefined;
  let run: Run | undefined;
  let pauser: AbortController | undefined;
  let trainingMs = 0;
  const backends = new Map<BackendName, { backend: Backend; engine: string }>();

  const setState = (state: TrainingApi["state"]): void => {
    api.state = state;
    // Train stays open while paused: picking another backend and pressing Train starts a new run.
    start.disabled = state === "loading" || state === "running";
    pause.disabled = state !== "running";
    resume.disabled = state !== "paused";
    const trained = state === "paused" || state === "done";
    for (const b of Object.values(downloads)) b.disabled = !trained;
  };
  const fail = (error: unknown): void => {
    api.error = error instanceof Error ? error.message : String(error);
    status.textContent = `error: ${api.error}`;
    setState("error");
  };

  async function backendFor(name: BackendName): Promise<{ backend: Backend; engine: string }> {
    let open = backends.get(name);
    if (!open) {
      open = await openTrainingBackend(name);
      backends.set(name, open);
    }
    return open;
  }

  async function begin(): Promise<void> {
    const name = backendSelect.value as BackendName;
    const unavailable = trainingUnavailable(name);
    if (unavailable) throw new Error(`backend '${name}': ${unavailable}`);
    setState("loading");
    run?.session.dispose();
    run = undefined;
    Object.assign(api, { points: [], stepsPerSecond: undefined, testBefore: undefined, testAfter: undefined, energyBefore: undefined, energyAfter: undefined, energyIncreases: undefined, error: undefined });
    trainingMs = 0;
    status.textContent = "loading the digits…";
    digits ??= await fetchPageDigits();
    const task = pageMnistTask(digits, QUICK_PATCH);
    const model = buildModel(quickModelConfig(), task);
    status.textContent = `compiling the training step on ${name}…`;
    const { backend, engine } = await backendFor(name);
    const dtype: DType = BACKEND_DTYPES[name];
    const session = await TrainingSession.open(backend, { model, task, train: quickTrainConfig(), dtype, energyInputs: PROFILED_DIGITS });
    run = { backendName: name, model, task, session };
    api.runs++;
    api.backend = name;
    api.engine = engine;
    api.totalSteps = session.plan.totalSteps;
    const before = await session.evaluate();
    api.testBefore = { accuracy: before.accuracy, predictions: Array.from(before.predictions) };
    const profile = await session.energyProfile();
    api.energyBefore = profile?.meanByLayer;
    if (profile) drawEnergyBoxes(beforeBox, "Energy by layer, before training", profile.energies);
    afterBox.replaceChildren();
    loss = new Curve(lossBox, "training loss", "#d62728");
    accuracy = new Curve(accuracyBox, "training accuracy", "#1f77b4", [0, 1]);
    await train();
  }

  async function train(): Promise<void> {
    if (!run) return;
    const { session } = run;
    pauser = new AbortController();
    setState("running");
    let since = performance.now();
    const pending: TrainingPoint[] = [];
    // Charts redraw at most once a frame; steps can come faster than that.
    const flush = (): void => {
      loss!.add(pending, (p) => p.loss);
      accuracy!.add(pending, (p) => p.accuracy);
      pending.length = 0;
    };
    for await (const step of session.steps(pauser.signal)) {
      const now = performance.now();
      trainingMs += now - since;
      since = now;
      const point = { step: step.step, loss: step.loss, accuracy: step.accuracy, seconds: trainingMs / 1000 };
      api.points.push(point);
      pending.push(point);
      api.stepsPerSecond = api.points.length / (trainingMs / 1000);
      status.textContent = `step ${step.step} / ${session.plan.totalSteps} (epoch ${step.epoch}) on ${api.engine}: loss ${step.loss.toFixed(3)}, batch accuracy ${(100 * step.accuracy).toFixed(0)}%, ${api.stepsPerSecond.toFixed(1)} steps/s`;
      if (pending.length >= 4 || step.step === session.plan.totalSteps) flush();
    }
    flush();
    const test = await session.evaluate();
    const scored = { accuracy: test.accuracy, predictions: Array.from(test.predictions) };
    if (session.finished) {
      api.testAfter = scored;
      const profile = await session.energyProfile();
      api.energyAfter = profile?.meanByLayer;
      api.energyIncreases = profile?.increases;
      if (profile) drawEnergyBoxes(afterBox, "Energy by layer, after training", profile.energies);
      status.textContent = `trained ${session.step} steps on ${api.engine} (${api.stepsPerSecond?.toFixed(1)} steps/s): test accuracy ${(100 * test.accuracy).toFixed(1)}% (before: ${(100 * api.testBefore!.accuracy).toFixed(1)}%)`;
      setState("done");
    } else {
      api.testAfter = scored;
      status.textContent = `paused at step ${session.step} / ${session.plan.totalSteps} on ${api.engine}: test accuracy ${(100 * test.accuracy).toFixed(1)}%; Resume continues the same run`;
      setState("paused");
    }
  }

  async function download(what: keyof typeof downloads): Promise<void> {
    if (!run) return;
    const { session, model, task } = run;
    const params = await session.params();
    switch (what) {
      case "checkpoint":
        save(checkpointBytes(params, { config: QUICK_NAME, step: String(session.step), backend: run.backendName, model: JSON.stringify(quickModelConfig()) }), DOWNLOAD_NAMES.checkpoint);
        return;
      case "onnx":
        save(await onnxBytes(model, task, params), DOWNLOAD_NAMES.onnx);
        return;
      case "checksum":
        save(await sha256Line(await onnxBytes(model, task, params), DOWNLOAD_NAMES.onnx), DOWNLOAD_NAMES.checksum);
        return;
      case "sample":
        save(predictSample(task, SAMPLE_DIGITS), DOWNLOAD_NAMES.sample);
        return;
    }
  }

  start.addEventListener("click", () => void begin().catch(fail));
  pause.addEventListener("click", () => pauser?.abort());
  resume.addEventListener("click", () => void train().catch(fail));
  for (const [key, b] of Object.entries(downloads)) {
    b.addEventListener("click", () => void download(key as keyof typeof downloads).catch(fail));
  }
  setState("idle");
  api.ready = true;
  return api;
}
