// What Unfold's apps draw with: dependency-free SVG charts for reports, written atomically.
export { type LineChartOptions, type Series, lineChart } from "./line-chart.js";
export { type BoxGroup, type BoxPlotOptions, boxPlot } from "./box-plot.js";
export { type BarChartOptions, type BarGroup, barChart } from "./bar-chart.js";
export { chartGrid } from "./grid.js";
export { type ChartOptions } from "./frame.js";
export { type BoxStats, type Quartiles, boxStats, quartiles } from "./stats.js";
export { type NiceStep, formatTicks, logTicks, niceDomain, niceStep, niceTicks } from "./ticks.js";
export { type Axis, type AxisOptions, type Tick, makeAxis, project } from "./axis.js";
export { escapeXml } from "./escape.js";
export { PALETTE, svgDocument } from "./svg.js";
export { writeFileAtomically, writeSvg } from "./write.js";
