// The training view's charts: loss and accuracy by step (uPlot, updated in place as steps come)
// and the energy by layer over test digits as box plots before and after training (Observable
// Plot's boxY: uPlot draws no box plots).
import * as Plot from "@observablehq/plot";
import uPlot from "uplot";
import type { TrainingPoint } from "./report.js";

function widthOf(parent: HTMLElement): number {
  return Math.max(240, Math.floor(parent.clientWidth || 320));
}

/** A step-by-step curve that appends points cheaply: setData on the one uPlot. */
export class Curve {
  private readonly plot: uPlot;
  private readonly steps: number[] = [];
  private readonly values: number[] = [];

  constructor(parent: HTMLElement, label: string, color: string, range?: [number, number]) {
    parent.replaceChildren();
    const width = widthOf(parent);
    this.plot = new uPlot(
      {
        width,
        height: Math.round(Math.min(220, width * 0.6)),
        title: label,
        scales: { x: { time: false }, ...(range ? { y: { range } } : {}) },
        series: [{ label: "step" }, { label, stroke: color, width: 1.5 }],
        axes: [{ label: "step" }, {}],
        legend: { show: false },
      },
      [[], []],
      parent,
    );
  }

  reset(): void {
    this.steps.length = 0;
    this.values.length = 0;
    this.plot.setData([[], []]);
  }

  add(points: readonly TrainingPoint[], value: (p: TrainingPoint) => number): void {
    for (const p of points) {
      this.steps.push(p.step);
      this.values.push(value(p));
    }
    this.plot.setData([this.steps, this.values]);
  }
}

/** Box plots of the energy E(Y^t) over the profiled test digits at each layer boundary t. */
export function drawEnergyBoxes(parent: HTMLElement, title: string, energies: readonly (readonly number[])[]): void {
  parent.replaceChildren();
  const rows = energies.flatMap((row) => row.map((energy, layer) => ({ layer, energy })));
  const width = widthOf(parent);
  const figure = Plot.plot({
    title,
    width,
    height: Math.round(Math.min(240, width * 0.7)),
    marginLeft: 60,
    x: { label: "layer boundary t", type: "band" },
    y: { label: "energy E(Y^t)", grid: true },
    marks: [Plot.boxY(rows, { x: "layer", y: "energy", fill: "#9ecae1" })],
  });
  parent.append(figure);
}
