/**
 * Tick positions on 1-2-5 steps. A step is kept as an integer mantissa times a power of ten, so
 * tick values are computed as integer / 10^k: 0.3 comes out as the double nearest 0.3, never
 * 0.30000000000000004, and labels need no rounding tricks.
 */
export interface NiceStep {
  readonly mantissa: 1 | 2 | 5;
  readonly exponent: number;
}

export function niceStep(raw: number, minimum = 0): NiceStep {
  if (!(raw > 0) || !Number.isFinite(raw)) throw new RangeError(`niceStep: the raw step must be positive and finite, got ${raw}`);
  let exponent = Math.floor(Math.log10(raw));
  let fraction = raw / 10 ** exponent;
  // log10 is not exact near powers of ten (log10(1000) < 3): repair the decade.
  if (fraction >= 10) {
    exponent += 1;
    fraction /= 10;
  } else if (fraction < 1) {
    exponent -= 1;
    fraction *= 10;
  }
  // The nearest of 1, 2, 5, 10 in log space.
  let step: NiceStep =
    fraction < Math.SQRT2 ? { mantissa: 1, exponent } : fraction < Math.sqrt(10) ? { mantissa: 2, exponent } : fraction < Math.sqrt(50) ? { mantissa: 5, exponent } : { mantissa: 1, exponent: exponent + 1 };
  while (stepValue(step) < minimum) step = nextStep(step);
  return step;
}

function nextStep(step: NiceStep): NiceStep {
  return step.mantissa === 1 ? { mantissa: 2, exponent: step.exponent } : step.mantissa === 2 ? { mantissa: 5, exponent: step.exponent } : { mantissa: 1, exponent: step.exponent + 1 };
}

export function stepValue(step: NiceStep): number {
  return multiple(1, step);
}

/** i * step, exactly rounded. */
export function multiple(i: number, step: NiceStep): number {
  return step.exponent >= 0 ? i * step.mantissa * 10 ** step.exponent : (i * step.mantissa) / 10 ** -step.exponent;
}

/** v / step, computed the same exact way (so 0.6 / 0.2 is 3, not 2.9999999999999996). */
function ratio(v: number, step: NiceStep): number {
  return step.exponent >= 0 ? v / (step.mantissa * 10 ** step.exponent) : (v * 10 ** -step.exponent) / step.mantissa;
}

// Data extremes that sit within this relative distance of a tick count as on it.
const SLACK = 1e-9;
// Doubles carry about 16 digits: a step finer than this fraction of the values cannot be told
// apart from rounding (and near 2^53 the tick counter itself would stop counting).
const RESOLUTION = 1e-12;
// Below this, 10^exponent underflows to subnormals and step arithmetic stops being exact.
const SMALLEST_STEP = 1e-290;
const MAX_TICKS = 10_000;

/** The multiples of `step` inside [lo, hi]. */
export function ticksWithStep(lo: number, hi: number, step: NiceStep): number[] {
  const first = Math.ceil(ratio(lo, step) - SLACK);
  const last = Math.floor(ratio(hi, step) + SLACK);
  if (last - first > MAX_TICKS) throw new RangeError(`ticks: a step of ${stepValue(step)} over [${lo}, ${hi}] gives more than ${MAX_TICKS} ticks`);
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(multiple(i, step) + 0); // + 0 turns -0 into 0
  return out;
}

function checkRange(what: string, lo: number, hi: number): void {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`${what}: lo and hi must be finite, got ${lo} and ${hi}`);
  if (lo > hi) throw new RangeError(`${what}: lo must not exceed hi, got ${lo} > ${hi}`);
}

/**
 * About `count` round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi];
 * [lo] when lo equals hi.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  checkRange("niceTicks", lo, hi);
  if (!(count >= 1)) throw new RangeError(`niceTicks: count must be at least 1, got ${count}`);
  if (lo === hi) return [lo];
  return ticksWithStep(lo, hi, resolvableStep(lo, hi, count, 0));
}

/**
 * [lo, hi] widened outward to multiples of a nice step, with that step: what a linear axis
 * shows, so the frame starts and ends on a labelled tick. A single value gets room around it.
 * `minimumStep` 1 keeps integer data (layers, epochs) on integer ticks.
 */
export function niceDomain(lo: number, hi: number, count = 5, minimumStep = 0): { lo: number; hi: number; step: NiceStep } {
  checkRange("niceDomain", lo, hi);
  if (lo === hi) {
    // 10% either side; 1 around zero (or a subnormal, whose 10% is zero).
    const pad = Math.max(Math.abs(lo) * 0.1, minimumStep) || 1;
    return niceDomain(Math.max(lo - pad, -Number.MAX_VALUE), Math.min(hi + pad, Number.MAX_VALUE), count, minimumStep);
  }
  const step = resolvableStep(lo, hi, count, minimumStep);
  const first = Math.floor(ratio(lo, step) + SLACK);
  // A span finer than the resolvable step still gets one whole step, never an empty domain.
  const last = Math.max(Math.ceil(ratio(hi, step) - SLACK), first + 1);
  const wideLo = multiple(first, step) + 0;
  const wideHi = multiple(last, step) + 0;
  // Widening next to the largest double would overflow: keep the data's own bounds there.
  if (!Number.isFinite(wideLo) || !Number.isFinite(wideHi)) return { lo, hi, step };
  return { lo: wideLo, hi: wideHi, step };
}

/** lo..hi in about `count` steps, but never finer than doubles can resolve at that magnitude. */
function resolvableStep(lo: number, hi: number, count: number, minimumStep: number): NiceStep {
  const finest = Math.max(Math.abs(lo) * RESOLUTION, Math.abs(hi) * RESOLUTION, SMALLEST_STEP);
  // hi - lo overflows for data near both ends of the double range; halves of it do not.
  const raw = Number.isFinite(hi - lo) ? (hi - lo) / count : hi / count - lo / count;
  return niceStep(Math.max(raw, finest), minimumStep);
}

/**
 * Tick labels with just the decimals the step needs. The whole axis switches to exponent form
 * when its largest label would be huge or tiny, so one axis never mixes 500000 with 1e6.
 */
export function formatTicks(values: readonly number[], step: NiceStep): string[] {
  const largest = Math.max(0, ...values.map(Math.abs));
  const exponential = largest >= 1e6 || (largest > 0 && largest < 1e-4);
  return values.map((value) => {
    if (value === 0) return "0";
    if (!exponential) return value.toFixed(Math.max(0, -step.exponent));
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(value)) + SLACK) - step.exponent);
    // Trailing zeros of the mantissa say nothing: 1e6, not 1.0e6.
    return value.toExponential(Math.min(digits, 20)).replace(/(\.\d*?)0+e/, "$1e").replace(".e", "e").replace("e+", "e");
  });
}

/** 10^e, exactly rounded for negative e too. */
export function powerOfTen(e: number): number {
  return e >= 0 ? 10 ** e : 1 / 10 ** -e;
}

/** A decade label: plain decimals where they stay short (0.001 .. 100000), else 1e-7. */
export function formatPower(e: number, mantissa = 1): string {
  if (e >= -4 && e <= 5) return (mantissa * powerOfTen(e)).toFixed(Math.max(0, -e));
  return `${mantissa}e${e}`;
}

/** log10 rounded to the nearest integer when it is within float noise of one. */
export function decadeOf(v: number): number {
  const l = Math.log10(v);
  const r = Math.round(l);
  return Math.abs(l - r) < 1e-9 ? r : l;
}

export interface LogTick {
  readonly value: number;
  readonly label: string;
}

/**
 * Log-axis ticks inside [lo, hi] (both > 0): every decade (or every k-th when there are many),
 * plus labelled 2 and 5 when the axis spans two decades or less, so a short log axis is not
 * left with one or two labels. `minor` holds the unlabelled 2..9 marks.
 */
export function logTicks(lo: number, hi: number): { major: LogTick[]; minor: number[] } {
  checkRange("logTicks", lo, hi);
  if (!(lo > 0)) throw new RangeError(`logTicks: a log axis needs positive bounds, got ${lo}`);
  const first = Math.ceil(decadeOf(lo));
  const last = Math.floor(decadeOf(hi));
  const span = decadeOf(hi) - decadeOf(lo);
  const every = Math.max(1, Math.ceil(span / 8));
  const major: LogTick[] = [];
  const minor: number[] = [];
  const inside = (v: number): boolean => v >= lo * (1 - SLACK) && v <= hi * (1 + SLACK);
  for (let e = Math.floor(decadeOf(lo)); e <= Math.ceil(decadeOf(hi)); e++) {
    if (e >= first && e <= last && (e - first) % every === 0) major.push({ value: powerOfTen(e), label: formatPower(e) });
    for (const m of [2, 3, 4, 5, 6, 7, 8, 9]) {
      const v = m * powerOfTen(e);
      if (!inside(v)) continue;
      if (span <= 2 && (m === 2 || m === 5)) major.push({ value: v, label: formatPower(e, m) });
      else if (span <= 6 && every === 1) minor.push(v);
    }
  }
  major.sort((a, b) => a.value - b.value);
  return { major, minor };
}
