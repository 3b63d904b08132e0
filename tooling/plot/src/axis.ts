import { decadeOf, formatTicks, logTicks, niceDomain, powerOfTen, ticksWithStep } from "./ticks.js";

export interface Tick {
  readonly value: number;
  readonly label: string;
}

/** A numeric axis in data space; pixels come later, once the layout knows its room. */
export interface Axis {
  readonly log: boolean;
  readonly lo: number;
  readonly hi: number;
  readonly ticks: readonly Tick[];
  readonly minor: readonly number[];
}

export interface AxisOptions {
  readonly log?: boolean;
  /** Fixed bounds, used as given (not widened); values outside are clipped by the chart. */
  readonly domain?: readonly [number, number];
  /** About how many labelled ticks a linear axis gets. */
  readonly count?: number;
  /** What the axis is, for error messages ("x", "y"). */
  readonly name: string;
}

/**
 * An axis covering `values` (finite ones; the caller has already rejected non-positive values
 * for a log axis, naming the series). Linear axes are widened to nice bounds, and keep integer
 * steps when every value is an integer (layers, epochs, counts); log axes to whole decades.
 */
export function makeAxis(values: readonly number[], options: AxisOptions): Axis {
  const log = options.log ?? false;
  const finite = values.filter(Number.isFinite);
  if (options.domain) return fixedAxis(options.domain, log, options);
  if (log) {
    if (finite.length === 0) return fixedAxis([1, 10], true, options);
    const [min, max] = extent(finite);
    // Decades past 1e-307 and 1e308 are not representable as bounds (subnormals, overflow).
    const lo = Math.min(307, Math.max(-307, Math.floor(decadeOf(min))));
    // A single decade value (all 100) still gets a decade of room.
    const hi = Math.min(308, Math.max(Math.ceil(decadeOf(max)), lo + 1));
    return fixedAxis([powerOfTen(lo), powerOfTen(hi)], true, options);
  }
  if (finite.length === 0) return fixedAxis([0, 1], false, options);
  const integral = finite.every(Number.isInteger);
  const [min, max] = extent(finite);
  const { lo, hi, step } = niceDomain(min, max, options.count ?? 5, integral ? 1 : 0);
  const tickValues = ticksWithStep(lo, hi, step);
  const labels = formatTicks(tickValues, step);
  return { log: false, lo, hi, ticks: tickValues.map((value, i) => ({ value, label: labels[i]! })), minor: [] };
}

function fixedAxis(domain: readonly [number, number], log: boolean, options: AxisOptions): Axis {
  const [lo, hi] = domain;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) throw new RangeError(`${options.name} axis: the domain must be two finite numbers, low before high, got [${lo}, ${hi}]`);
  if (log) {
    if (!(lo > 0)) throw new RangeError(`${options.name} axis: a log axis needs a positive domain, got [${lo}, ${hi}]`);
    const { major, minor } = logTicks(lo, hi);
    return { log, lo, hi, ticks: major, minor };
  }
  const count = options.count ?? 5;
  const { step } = niceDomain(lo, hi, count);
  const tickValues = ticksWithStep(lo, hi, step);
  const labels = formatTicks(tickValues, step);
  return { log, lo, hi, ticks: tickValues.map((value, i) => ({ value, label: labels[i]! })), minor: [] };
}

/** Where `v` lands between pixel `from` (at lo) and pixel `to` (at hi). */
export function project(axis: Axis, v: number, from: number, to: number): number {
  const t = axis.log ? (Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo)) : fraction(v, axis.lo, axis.hi);
  return from + t * (to - from);
}

function fraction(v: number, lo: number, hi: number): number {
  if (Number.isFinite(hi - lo) && Number.isFinite(v - lo)) return (v - lo) / (hi - lo);
  // Differences that overflow (data near both ends of the double range): halving is exact.
  return (v / 2 - lo / 2) / (hi / 2 - lo / 2);
}

/** Smallest and largest value, by a loop: Math.min(...values) overflows the stack on long training curves. */
function extent(values: readonly number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}
