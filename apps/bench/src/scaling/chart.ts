/**
 * The scaling study drawn and written up: one log-log chart per axis (time against the swept
 * value, one line per engine, the counted FLOPs as a dashed grey guide) and a Markdown page with
 * the fitted exponents. On log-log axes a power law is a straight line whose slope is its
 * exponent, so an engine's line running parallel to the guide scales as its arithmetic does.
 */
import { PALETTE, lineChart } from "@unfold/plot";
import type { NamedChart } from "../report/charts.js";
import { escapeCell, formatMs } from "../report/markdown.js";
import { SCALING_AXES, type ScalingAxis, type ScalingFit, type ScalingPoint, type ScalingResult, loggable } from "./study.js";

const GUIDE_COLOR = "#999999";

/** An exponent as the legend and tables print it: 1.83, or "-" when it could not be fitted. */
export function formatExponent(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "-" : x.toFixed(2);
}

export const chartName = (axis: ScalingAxis): string => `scaling-${axis}.svg`;

const axisLabel = (axis: ScalingAxis): string => (axis === "tokens" ? "tokens" : "width d");

/** What stays fixed along an axis: "d 64" on the tokens sweep, "128 tokens" on the dim sweep. */
function fixedOf(result: ScalingResult, axis: ScalingAxis): string {
  const { grid } = result;
  return `${axis === "tokens" ? `d ${grid.fixedDim}` : `${grid.fixedTokens} tokens`}, batch ${grid.batch}, ${grid.layers} layers`;
}

/** The swept values of an axis in sweep order, each once. */
const valuesOf = (points: readonly ScalingPoint[]): number[] => [...new Set(points.map((p) => p.value))];

/**
 * One chart per axis that has a timed point. Each engine keeps its color on both charts; an
 * engine never timed on an axis is left out of that chart (its fit would be "-" anyway). The
 * FLOP guide passes through the first engine's first timed point: only its slope matters.
 */
export function scalingCharts(result: ScalingResult): NamedChart[] {
  const charts: NamedChart[] = [];
  const colorOf = (engine: string): string => PALETTE[result.engines.indexOf(engine) % PALETTE.length] ?? "#333";
  for (const axis of SCALING_AXES) {
    const onAxis = result.points.filter((p) => p.axis === axis);
    const values = valuesOf(onAxis);
    const fitOf = (engine: string): ScalingFit | undefined => result.fits.find((f) => f.engine === engine && f.axis === axis);
    const timeAt = (engine: string, value: number): number => {
      const ms = onAxis.find((p) => p.engine === engine && p.value === value)?.medianMs ?? null;
      // NaN breaks the line there rather than joining across a shape the engine did not run.
      return loggable(ms) ? ms : Number.NaN;
    };
    const engines = result.engines.filter((e) => values.some((v) => Number.isFinite(timeAt(e, v))));
    if (engines.length === 0) continue;
    const series = engines.map((engine) => ({
      name: `${engine}: slope ${formatExponent(fitOf(engine)?.exponent ?? null)}`,
      x: values,
      y: values.map((v) => timeAt(engine, v)),
      color: colorOf(engine),
      markers: true,
    }));
    const anchorEngine = engines[0]!;
    const anchor = values.find((v) => Number.isFinite(timeAt(anchorEngine, v)))!;
    const flopsAt = (value: number): number => onAxis.find((p) => p.value === value)?.flops ?? Number.NaN;
    const scale = timeAt(anchorEngine, anchor) / flopsAt(anchor);
    const guide = {
      name: `counted FLOPs: slope ${formatExponent(fitOf(anchorEngine)?.flopExponent ?? null)}`,
      x: values,
      y: values.map((v) => (loggable(flopsAt(v)) ? flopsAt(v) * scale : Number.NaN)),
      color: GUIDE_COLOR,
      dashed: true,
    };
    const svg = lineChart({
      title: `unfold-forward: time against ${axisLabel(axis)} (${fixedOf(result, axis)})`,
      xLabel: `${axisLabel(axis)} (log)`,
      yLabel: "median ms per forward (log)",
      series: [...series, guide],
      logX: true,
      logY: true,
      legend: true,
    });
    charts.push({ name: chartName(axis), svg });
  }
  return charts;
}

export interface ScalingReportInput {
  readonly result: ScalingResult;
  readonly repeats: number;
  /** File names of the charts, beside the report. */
  readonly charts?: readonly string[];
  /** One description line per engine (Engine.describe()). */
  readonly engineDescriptions?: readonly string[];
}

/** The study as Markdown. Reads no clock: the same result gives the same bytes. */
export function scalingMarkdown(input: ScalingReportInput): string {
  const { result } = input;
  const { grid } = result;
  const lines = [
    "# Scaling of unfold-forward",
    "",
    `Time of one forward (batch ${grid.batch}, ${grid.layers} layers) against the number of tokens at d ${grid.fixedDim},`,
    `and against the width d at ${grid.fixedTokens} tokens; the median of ${input.repeats} timed run(s) per point.`,
    "Exponent: the least-squares slope of log(time) against log(value); counted-FLOP exponent: the same",
    "fit of the forward's counted FLOPs (attention grows as tokens^2 d, the weight products as tokens d^2).",
    "",
    "## Fitted exponents",
    "",
    "| engine | axis | exponent | ± std. error | counted-FLOP exponent | timed points |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
    ...result.fits.map((f) => `| ${escapeCell(f.engine)} | ${f.axis} | ${formatExponent(f.exponent)} | ${formatExponent(f.standardError)} | ${formatExponent(f.flopExponent)} | ${f.points} |`),
  ];
  for (const axis of SCALING_AXES) {
    const onAxis = result.points.filter((p) => p.axis === axis);
    if (onAxis.length === 0) continue;
    lines.push("", `## Against ${axisLabel(axis)} (${fixedOf(result, axis)})`, "");
    lines.push(`| ${axis} | GFLOP | ${result.engines.map((e) => `${escapeCell(e)} ms`).join(" | ")} |`);
    lines.push(`| ---: | ---: | ${result.engines.map(() => "---:").join(" | ")} |`);
    for (const value of valuesOf(onAxis)) {
      const at = onAxis.filter((p) => p.value === value);
      const cells = result.engines.map((e) => formatMs(at.find((p) => p.engine === e)?.medianMs ?? null));
      lines.push(`| ${value} | ${((at[0]?.flops ?? 0) / 1e9).toPrecision(3)} | ${cells.join(" | ")} |`);
    }
  }
  const notes = result.points.filter((p) => p.note !== undefined);
  if (notes.length > 0) {
    lines.push("", "## Notes", "");
    // A shape on both sweeps carries the same note twice: once is enough.
    const seen = new Set<string>();
    for (const p of notes) {
      const line = `- ${escapeCell(p.engine)} at ${escapeCell(p.size)}: ${escapeCell(p.note!)}`;
      if (!seen.has(line)) lines.push(line);
      seen.add(line);
    }
  }
  if (input.engineDescriptions?.length) lines.push("", "## Engines", "", ...input.engineDescriptions.map((d) => `- ${escapeCell(d)}`));
  if (input.charts?.length) lines.push("", "## Charts", "", ...input.charts.map((c) => `![${escapeCell(c)}](${c})`));
  return `${lines.join("\n")}\n`;
}
