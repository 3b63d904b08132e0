// The curvature view: the self-attention Hessian blocks of the chosen scene's tokens as heatmaps,
// and the growth of the block norms with the data scale, from @unfold/hessian's closed form.
// A data-scale slider (log sigma) redraws the blocks and the marked point; a new scene redraws all.
import type { StudioApi } from "../report.js";
import type { Scene } from "../scenes.js";
import { drawMatrix } from "../heatmap.js";
import { type HessianBlock, hessianBlocks } from "./blocks.js";
import { type GrowthCurves, SIGMA_RANGE, growthCurves, growthPoint } from "./growth.js";
import { drawGrowthPlot } from "./growth-plot.js";
import { sceneAttentionInstance } from "./instance.js";
import type { CurvatureApi, CurvatureReport } from "./report.js";
import { serialRuns } from "../serial-runs.js";

/** The slider holds log10 sigma in tenths of a decade. */
const SLIDER_STEP = 0.1;
const DEFAULT_LOG_SIGMA = 0;

export interface CurvatureView {
  /** Recomputes everything for the scene's tokens (at the slider's data scale). */
  showScene(scene: Scene): Promise<CurvatureReport>;
}

/** The data scale a slider position stands for. */
export function sliderSigma(value: string): number {
  return 10 ** Number(value);
}

function create<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}): HTMLElementTagNameMap[K] {
  return Object.assign(document.createElement(tag), props);
}

export function mountCurvatureView(section: HTMLElement, studio: StudioApi): CurvatureView {
  const api: CurvatureApi = { current: undefined, last: undefined, error: undefined };
  studio.curvature = api;
  const label = create("label", { htmlFor: "data-scale" });
  const value = create("output", { id: "data-scale-value" });
  value.htmlFor.add("data-scale");
  label.append("Data scale sigma (the tokens' standard deviation): ", value);
  const slider = create("input", { id: "data-scale", type: "range", min: String(Math.log10(SIGMA_RANGE[0])), max: String(Math.log10(SIGMA_RANGE[1])), step: String(SLIDER_STEP), value: String(DEFAULT_LOG_SIGMA) });
  const about = create("p", { className: "note", id: "curvature-about" });
  const status = create("p", { className: "note", id: "curvature-status", role: "status" });
  const blocksTitle = create("h3", { textContent: "Hessian blocks at sigma (full Hessian: Gauss-Newton and functional parts)" });
  const blocks = create("div", { id: "curvature-blocks", className: "heatmaps" });
  const growthTitle = create("h3", { textContent: "Block norms against the data scale (log-log)" });
  const growth = create("div", { id: "curvature-growth" });
  section.append(label, slider, about, blocksTitle, blocks, growthTitle, growth, status);

  let scene: Scene | undefined;
  let curves: GrowthCurves | undefined;
  // Updates never overlap: a change during one asks for one more after it (the slider fires often);
  // a scene change waiting merges with scale changes into one full update.
  const updates = serialRuns<"scene" | "scale", CurvatureReport>({
    run: async (kind) => {
      // Let the page paint the slider's new position before the numbers are computed.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return compute(kind === "scene");
    },
    merge: (waiting, next) => (waiting === "scene" || next === "scene" ? "scene" : "scale"),
    settled: (outcome) => {
      if ("result" in outcome) {
        api.last = outcome.result;
        api.error = undefined;
        return;
      }
      api.error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      status.textContent = `error: ${api.error}`;
    },
  });

  function update(kind: "scene" | "scale"): Promise<CurvatureReport> {
    const running = updates.request(kind);
    api.current = running;
    running.catch(() => undefined);
    return running;
  }

  function compute(full: boolean): CurvatureReport {
    if (!scene) throw new Error("curvature: no scene chosen yet");
    const start = performance.now();
    const { state } = scene.build("float64");
    const sigma = sliderSigma(slider.value);
    value.value = sigma.toPrecision(3);
    const instance = sceneAttentionInstance(state, scene.name, sigma);
    if (full || !curves) curves = growthCurves(state, scene.name);
    const current = { sigma, norms: growthPoint(state, scene.name, sigma) };
    const computed = hessianBlocks(instance);
    drawBlocks(computed, sigma);
    drawGrowthPlot(growth, curves, current);
    const { rows: tokens, cols: width } = instance.X;
    about.textContent = `The first sequence of '${scene.name}' (${tokens} tokens of width ${width}) rescaled to standard deviation sigma, under one seeded attention head (W_Q, W_K, W_V of ${width} x ${width}) with a mean-squared-error target. Slopes are fitted below softmax saturation, as pnpm hessian scaling fits them.`;
    const ms = performance.now() - start;
    status.textContent = `${full ? "blocks and growth curves" : "blocks and the marked point"} in ${ms.toFixed(0)} ms`;
    return {
      scene: scene.name,
      sigma,
      tokens,
      width,
      blocks: computed.map((b) => ({ name: b.name, rows: b.rows, cols: b.cols, values: Array.from(b.values), frobenius: b.frobenius })),
      growth: { ...curves, current },
      ms,
    };
  }

  function drawBlocks(computed: readonly HessianBlock[], sigma: number): void {
    blocks.replaceChildren();
    for (const b of computed) {
      drawMatrix(blocks, {
        title: `H(${b.name[0]}, ${b.name[1]}): ${b.rows} x ${b.cols}, ||.||_F ${b.frobenius.toPrecision(3)}`,
        rows: b.rows,
        cols: b.cols,
        values: b.values,
        label: `H(${b.name[0]}, ${b.name[1]})`,
        description: `Hessian block ${b.name} at sigma ${sigma.toPrecision(3)}: rows index vec(W_${b.name[0]}), columns vec(W_${b.name[1]}); red negative, blue positive`,
        signed: true,
        size: 180,
      });
    }
  }

  slider.addEventListener("input", () => {
    value.value = sliderSigma(slider.value).toPrecision(3);
    void update("scale");
  });
  value.value = sliderSigma(slider.value).toPrecision(3);
  return {
    showScene(next) {
      scene = next;
      return update("scene");
    },
  };
}
