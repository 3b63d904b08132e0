// Unfold Studio's page: pick an energy of the zoo, a backend and the sliders; the descent runs
// layer by layer and the charts follow. Every run is published on window.__studio (report.ts).
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { relativeError } from "@unfold/core";
import { BACKEND_DTYPES, BACKEND_LABELS, BACKEND_NAMES, type BackendName, type OpenBackend, openBackend, unavailableReason } from "./backends.js";
import { hasYangAttention, yangAttentionWeights } from "./attention.js";
import { drawEnergy, drawProjection } from "./charts.js";
import { drawHeatmap } from "./heatmap.js";
import { mountCurvatureView } from "./curvature-view/mount.js";
import { mountTrainingView } from "./train/view.js";
import { type StepBound, stepBound } from "./curvature.js";
import { type DescentResult, runDescent } from "./descent.js";
// Publishes window.__studioBench: live descent measured frame by frame (the browser test prints it).
import "./live-bench.js";
import { drawEachFrame } from "./live-frames.js";
import type { RunReport, StudioApi } from "./report.js";
import { serialRuns } from "./serial-runs.js";
import { SCENES, type Scene, type SceneInstance, sceneNamed, tunableStep } from "./scenes.js";
import { EDITOR_SCENE, editorScene } from "./editor-scene.js";
import { mountDescentControls } from "./descent-controls.js";
import { type DescentSettings, weightsOf } from "./descent-settings.js";
import { MNIST_SCENE, digitOf } from "./mnist-scene.js";
import { mountMnistPicker } from "./mnist-picker.js";
import { drawDigitTokens } from "./mnist-view.js";
import { type SharedDescentSettings } from "./editor/shared-state.js";
import { DEFAULT_ENERGY_SOURCE, DEFAULT_EXAMPLE_SHAPE, type EnergyEditor, encodeShare, mountEnergyEditor, sharedEnergyState } from "./editor/index.js";

const api: StudioApi = { ready: false, current: undefined, last: undefined, error: undefined };
window.__studio = api;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  energy: element<HTMLSelectElement>("energy"),
  reference: element<HTMLParagraphElement>("energy-reference"),
  backend: element<HTMLSelectElement>("backend"),
  layers: element<HTMLInputElement>("layers"),
  layersValue: element<HTMLOutputElement>("layers-value"),
  stepSize: element<HTMLInputElement>("step-size"),
  stepName: element<HTMLSpanElement>("step-name"),
  stepSizeValue: element<HTMLOutputElement>("step-size-value"),
  boundMark: element<HTMLDivElement>("bound-mark"),
  boundText: element<HTMLParagraphElement>("bound-text"),
  rerun: element<HTMLButtonElement>("rerun"),
  status: element<HTMLParagraphElement>("status"),
  energyChart: element<HTMLDivElement>("energy-chart"),
  guardText: element<HTMLParagraphElement>("guard-text"),
  projectionChart: element<HTMLDivElement>("projection-chart"),
  attentionChart: element<HTMLDivElement>("attention-chart"),
  source: element<HTMLDivElement>("energy-source"),
  editorRun: element<HTMLButtonElement>("editor-run"),
  editorShare: element<HTMLButtonElement>("editor-share"),
  editorStatus: element<HTMLParagraphElement>("editor-status"),
  sharedPrompt: element<HTMLDivElement>("shared-prompt"),
  sharedQuestion: element<HTMLParagraphElement>("shared-question"),
  sharedRun: element<HTMLButtonElement>("shared-run"),
  digitChart: element<HTMLDivElement>("digit-chart"),
};

const descentControls = mountDescentControls({
  damping: element<HTMLInputElement>("damping"),
  dampingValue: element<HTMLOutputElement>("damping-value"),
  dampingNote: element<HTMLParagraphElement>("damping-note"),
  tied: element<HTMLInputElement>("tied"),
  tiedNote: element<HTMLParagraphElement>("tied-note"),
});
const mnistPicker = mountMnistPicker({ control: element<HTMLDivElement>("digit-control"), input: element<HTMLInputElement>("digit"), label: element<HTMLOutputElement>("digit-label") });

let scene: Scene = SCENES[0]!;
let bound: StepBound | undefined;
/** The scene of the energy last compiled from the editor, once one has been run. */
let editorSceneNow: Scene | undefined;
const backends = new Map<BackendName, Promise<OpenBackend>>();

function backendFor(name: BackendName): Promise<OpenBackend> {
  let backend = backends.get(name);
  if (!backend) {
    backend = openBackend(name);
    // A backend that failed to open is tried afresh next time.
    backend.catch(() => backends.delete(name));
    backends.set(name, backend);
  }
  return backend;
}

function fillSelects(): void {
  for (const s of SCENES) ui.energy.add(new Option(s.name, s.name));
  ui.energy.add(new Option(`${MNIST_SCENE} (a test digit's patches as tokens)`, MNIST_SCENE));
  ui.energy.add(new Option(`${EDITOR_SCENE} (the energy source below)`, EDITOR_SCENE));
  for (const name of BACKEND_NAMES) {
    const option = new Option(BACKEND_LABELS[name], name);
    const reason = unavailableReason(name);
    if (reason) {
      option.disabled = true;
      option.text += " (unavailable)";
      option.title = reason;
    }
    ui.backend.add(option);
  }
}

function stepSizeSetting(): number | undefined {
  return tunableStep(scene.build("float64").unfolding) ? Number(ui.stepSize.value) : undefined;
}

function showStepSize(): void {
  const size = Number(ui.stepSize.value);
  ui.stepSizeValue.value = size.toPrecision(3);
  // A proximal step is a gradient step on its smooth terms then a prox: 2/L bounds it as it bounds a gradient step.
  const past = bound !== undefined && (bound.kind === "gradient" || bound.kind === "proximal") && size >= bound.bound;
  ui.stepSizeValue.classList.toggle("past-bound", past);
}

/** Sets the sliders to the scene's own layers and step size, and draws the curvature bound. */
async function loadScene(name: string): Promise<void> {
  mnistPicker.show(name === MNIST_SCENE);
  scene = name === EDITOR_SCENE ? editorSceneNow ?? editorSceneFromSource() : name === MNIST_SCENE ? await mnistPicker.scene() : sceneNamed(name);
  ui.reference.textContent = scene.reference;
  void curvatureView.showScene(scene);
  const instance = scene.build("float64");
  ui.layers.value = String(instance.unfolding.layers);
  ui.layersValue.value = ui.layers.value;
  descentControls.showScene(scene.name, instance);
  const tunable = tunableStep(instance.unfolding);
  ui.stepSize.disabled = !tunable;
  ui.stepName.textContent = tunable ? `('${tunable.step.name}')` : "(no step takes a size)";
  bound = await stepBound(instance);
  if (!tunable) return;
  const own = tunable.step.stepSize;
  const finite = bound !== undefined && Number.isFinite(bound.bound);
  const max = finite ? Math.max(2 * bound!.bound, 2 * own) : 4 * own;
  ui.stepSize.min = String(max / 100);
  ui.stepSize.max = String(max);
  // "any": the slider must hold the scene's own size exactly, not the nearest hundredth of its range.
  ui.stepSize.step = "any";
  ui.stepSize.value = String(own);
  if (finite) {
    const at = (bound!.bound - max / 100) / (max - max / 100);
    ui.boundMark.style.left = `calc(${(100 * at).toFixed(2)}% - 1px)`;
    ui.boundMark.style.display = "block";
    ui.boundText.textContent = `Curvature bound 2/L = ${bound!.bound.toPrecision(3)} (L = ${bound!.lambdaMax.toPrecision(3)}, the Hessian of the terms of step '${bound!.step}' at the input): past the red mark a gradient step may raise the energy.` +
      (bound!.kind === "gradient" || bound!.kind === "proximal" ? "" : ` Step '${bound!.step}' is a ${bound!.kind} step: its descent does not rest on this bound, which is drawn for comparison.`);
  } else {
    ui.boundMark.style.display = "none";
    ui.boundText.textContent = "No positive curvature at the input: the Hessian bounds no step size here.";
  }
  showStepSize();
}

async function runOnce(): Promise<RunReport> {
  const backendName = ui.backend.value as BackendName;
  const settings: DescentSettings = { layers: Number(ui.layers.value), ...(stepSizeSetting() !== undefined ? { stepSize: stepSizeSetting()! } : {}), ...descentControls.settings() };
  ui.status.classList.remove("error");
  ui.status.textContent = `running ${scene.name} on ${backendName}…`;
  const { backend, engine } = await backendFor(backendName);
  const instance = scene.build(BACKEND_DTYPES[backendName]);
  // Live: the charts follow the tokens one layer per animation frame (redrawn in full below).
  const result: DescentResult = await runDescent(instance, backend, settings, drawEachFrame((sofar) => {
    drawEnergy(ui.energyChart, sofar);
    drawProjection(ui.projectionChart, sofar);
  }));
  let difference = 0;
  if (backendName !== "reference") {
    const reference = await runDescent(scene.build("float64"), (await backendFor("reference")).backend, settings);
    difference = relativeError(result.layers.map((l) => l.energy), reference.layers.map((l) => l.energy));
  }
  const attention = drawAttention(instance, settings, result);
  if (digitOf(scene)) drawDigitTokens(ui.digitChart, result);
  else ui.digitChart.replaceChildren();
  drawEnergy(ui.energyChart, result);
  drawProjection(ui.projectionChart, result);
  const events = result.guardEvents;
  ui.guardText.textContent = events.length === 0
    ? "Guard: every step lowered what it descends."
    : `Guard: ${events.length} step(s) raised their terms (red markers): ${events.slice(0, 4).map((e) => `layer ${e.layer} '${e.step}'`).join(", ")}${events.length > 4 ? ", …" : ""}`;
  ui.status.textContent = `${scene.name} on ${backendName} (${engine}): ${result.layers.length - 1} layers in ${result.ms.toFixed(1)} ms` +
    (backendName === "reference" ? "" : `; max relative difference to the float64 reference ${difference.toExponential(2)}`);
  return {
    energy: scene.name,
    backend: backendName,
    engine,
    layerCount: settings.layers,
    stepSize: settings.stepSize,
    damping: settings.damping,
    tied: settings.tied ?? instance.unfolding.tiedWeights,
    digit: digitOf(scene),
    layers: result.layers,
    guardEvents: events,
    ms: result.ms,
    maxRelativeDifference: difference,
    bound,
    attention,
  };
}

/**
 * The Yang attention weights of the first sequence, head 0, at the input and after the last
 * layer (each with the parameters of the layer that reads those tokens next), where the energy
 * has that term; a note where it has not.
 */
function drawAttention(instance: SceneInstance, settings: DescentSettings, result: DescentResult): RunReport["attention"] {
  ui.attentionChart.replaceChildren();
  const sets = instance.params;
  if (!hasYangAttention(sets[0]!)) {
    const note = document.createElement("p");
    note.className = "note";
    note.textContent = `'${scene.name}' has no Yang attention term (a parameter Wa), so there are no weights gamma to show.`;
    ui.attentionChart.append(note);
    return undefined;
  }
  const last = result.states.length - 1;
  const input = yangAttentionWeights(result.states[0]!, result.shape, sets[0]!["Wa"]!);
  const output = yangAttentionWeights(result.states[last]!, result.shape, weightsOf(instance, settings)(last)["Wa"]!);
  drawHeatmap(ui.attentionChart, "input (layer 0)", input);
  drawHeatmap(ui.attentionChart, `after layer ${last}`, output);
  return { tokens: input.tokens, input: Array.from(input.weights), last: Array.from(output.weights) };
}

// Runs never overlap: a change during a run asks for one more run after it (sliders fire often).
const runs = serialRuns<null, RunReport>({
  run: () => runOnce(),
  merge: () => null,
  settled: (outcome) => {
    if ("result" in outcome) {
      api.last = outcome.result;
      api.error = undefined;
      return;
    }
    api.error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    ui.status.textContent = `error: ${api.error}`;
    ui.status.classList.add("error");
  },
});

function requestRun(): Promise<RunReport> {
  const running = runs.request(null);
  api.current = running;
  running.catch(() => undefined);
  return running;
}

function wire(): void {
  ui.energy.addEventListener("change", () => {
    api.current = loadScene(ui.energy.value).then(requestRun);
    api.current.catch((error: unknown) => showError(error));
  });
  ui.backend.addEventListener("change", () => void requestRun());
  ui.layers.addEventListener("input", () => {
    ui.layersValue.value = ui.layers.value;
    void requestRun();
  });
  ui.stepSize.addEventListener("input", () => {
    showStepSize();
    void requestRun();
  });
  ui.rerun.addEventListener("click", () => void requestRun());
  descentControls.onChange(() => void requestRun());
  // Another digit is another scene: its curvature bound and its own slider values load with it.
  mnistPicker.onChange(() => {
    api.current = loadScene(MNIST_SCENE).then(requestRun);
    api.current.catch((error: unknown) => showError(error));
  });
}

/** Shows a failed scene load (a digit that is not one, a digits file that did not come) as the status. */
function showError(error: unknown): void {
  api.error = error instanceof Error ? error.message : String(error);
  ui.status.textContent = `error: ${api.error}`;
  ui.status.classList.add("error");
}

/**
 * Sets the sliders to a link's settings (after the scene has set its own). A value a slider
 * cannot hold is an error naming it: the range of the step-size slider widens to take the value,
 * the layer slider's does not (a deeper run than it offers could not be shown on it).
 */
function applySharedSettings(shared: SharedDescentSettings): void {
  if (shared.layers !== undefined) {
    if (shared.layers > Number(ui.layers.max)) throw new Error(`layers ${shared.layers}: the page runs at most ${ui.layers.max} layers`);
    ui.layers.value = String(shared.layers);
    ui.layersValue.value = ui.layers.value;
  }
  if (shared.stepSize !== undefined) {
    if (ui.stepSize.disabled) throw new Error(`step size ${shared.stepSize}: ${ui.stepName.textContent}`);
    ui.stepSize.min = String(Math.min(Number(ui.stepSize.min), shared.stepSize));
    ui.stepSize.max = String(Math.max(Number(ui.stepSize.max), shared.stepSize));
    ui.stepSize.value = String(shared.stepSize);
    showStepSize();
  }
  descentControls.apply(shared);
}

let editor: EnergyEditor | undefined;

/**
 * The editor's energy as a scene, compiled now (at the example shape, traced once so a mistake
 * shows at its line); throws, naming the count of mistakes, where it does not compile.
 */
function editorSceneFromSource(): Scene {
  if (!editor) throw new Error("the energy editor is not ready");
  const result = editor.compileNow();
  if (!result.ok) {
    const first = result.diagnostics[0]!;
    throw new Error(`the energy source has ${result.diagnostics.length} mistake(s), marked at their lines; the first, line ${first.line}: ${first.message}`);
  }
  editorSceneNow = editorScene(result.energy, DEFAULT_EXAMPLE_SHAPE);
  return editorSceneNow;
}

/** Runs the editor's energy: compiles it, selects it, and descends it (with the settings a link gave, else its own). */
function runEditorEnergy(shared: SharedDescentSettings = {}): void {
  editorSceneNow = undefined;
  ui.energy.value = EDITOR_SCENE;
  ui.editorStatus.textContent = "";
  api.current = loadScene(EDITOR_SCENE).then(() => {
    applySharedSettings(shared);
    return requestRun();
  });
  api.current.catch((error: unknown) => {
    api.error = error instanceof Error ? error.message : String(error);
    ui.editorStatus.textContent = `error: ${api.error}`;
  });
}

/** Puts the source and the sliders into the page's address, as a link that asks before it runs. */
async function shareEditorEnergy(): Promise<void> {
  if (!editor) return;
  // The sliders speak for the editor's energy only once it is the scene descended; else only the layer count goes.
  const settings = scene.name === EDITOR_SCENE ? { layers: Number(ui.layers.value), ...(stepSizeSetting() !== undefined ? { stepSize: stepSizeSetting()! } : {}), ...descentControls.settings() } : { layers: Number(ui.layers.value) };
  const fragment = await encodeShare({ source: editor.source(), settings });
  history.replaceState(null, "", `#${fragment}`);
  ui.editorStatus.textContent = `The address now holds this energy (${fragment.length} characters); copy it to share.`;
}

/**
 * Mounts the editor with the default energy, or with the energy a shared link carries: that one
 * is shown, never run, until the reader presses the prompt's button.
 */
async function mountEditor(): Promise<void> {
  ui.source.replaceChildren();
  const shared = await sharedEnergyState(location.hash);
  editor = mountEnergyEditor(ui.source, {
    initial: shared.status === "pending" ? shared.source : DEFAULT_ENERGY_SOURCE,
    compile: { exampleShape: DEFAULT_EXAMPLE_SHAPE },
    onRun: () => runEditorEnergy(),
  });
  ui.editorRun.addEventListener("click", () => runEditorEnergy());
  ui.editorShare.addEventListener("click", () => void shareEditorEnergy());
  if (shared.status === "invalid") ui.editorStatus.textContent = `The link's energy could not be read: ${shared.error}`;
  if (shared.status === "pending") {
    ui.sharedQuestion.textContent = shared.question;
    ui.sharedPrompt.hidden = false;
    ui.sharedRun.addEventListener("click", () => {
      ui.sharedPrompt.hidden = true;
      runEditorEnergy(shared.descent);
    });
  }
}

const curvatureView = mountCurvatureView(element<HTMLElement>("curvature-view"), api);
mountTrainingView(element<HTMLElement>("training-view"), ui.backend);
fillSelects();
wire();
api.current = mountEditor()
  .then(() => loadScene(scene.name))
  .then(requestRun);
api.current.catch(() => undefined);
api.ready = true;
