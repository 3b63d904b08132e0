import { seededRandom } from "./random.js";
import { type AxisValue, type SweepSpec, rangeValues, tidy } from "./schema.js";

/** One run of a sweep: a point of its axes and a repeat. */
export interface SweepJob {
  /** The sweep's name. */
  readonly sweep: string;
  /** "j0000", "j0001", ...: the job's folder name and table key, in expansion order. */
  readonly id: string;
  readonly index: number;
  /** Axis name -> the value this job gives it. */
  readonly point: Readonly<Record<string, AxisValue>>;
  /** 0 .. repeats - 1. */
  readonly repeat: number;
}

/** What a job id looks like: "j" and at least four digits. */
export const JOB_ID = /^j\d{4,}$/;

/** The id of the job at `index`: j0000 ... j9999. */
export const jobId = (index: number): string => `j${String(index).padStart(4, "0")}`;

/**
 * The sweep's jobs, in a fixed order that depends only on the spec: a grid is the product of the
 * axes in the order the spec lists them (the last axis changing fastest); a random search draws
 * its points from search.random.seed. Each point is repeated `repeats` times, the repeats of a
 * point next to each other. A queue worker re-expands the spec it is handed and finds the same
 * jobs under the same ids.
 */
export function expandSpec(spec: SweepSpec): SweepJob[] {
  const points = spec.search === "grid" ? gridPoints(spec) : randomPoints(spec, spec.search.random.count, spec.search.random.seed);
  const jobs: SweepJob[] = [];
  for (const point of points) {
    for (let repeat = 0; repeat < spec.repeats; repeat++) {
      const index = jobs.length;
      jobs.push({ sweep: spec.name, id: jobId(index), index, point, repeat });
    }
  }
  return jobs;
}

/** The values each axis takes on a grid. */
export function axisValues(spec: SweepSpec): Record<string, AxisValue[]> {
  return Object.fromEntries(Object.entries(spec.axes).map(([name, axis]) => [name, axis.values ? [...axis.values] : rangeValues(axis.range!)]));
}

function gridPoints(spec: SweepSpec): Record<string, AxisValue>[] {
  let points: Record<string, AxisValue>[] = [{}];
  for (const [name, values] of Object.entries(axisValues(spec))) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

/** Each axis drawn independently per point: a list uniformly, a range uniformly on its scale (log-uniform for "log"). */
function randomPoints(spec: SweepSpec, count: number, seed: number): Record<string, AxisValue>[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Object.fromEntries(
      Object.entries(spec.axes).map(([name, axis]) => {
        const u = next();
        if (axis.values) return [name, axis.values[Math.min(axis.values.length - 1, Math.floor(u * axis.values.length))]!];
        const r = axis.range!;
        const v = r.scale === "log" ? Math.exp(Math.log(r.from) + u * (Math.log(r.to) - Math.log(r.from))) : r.from + u * (r.to - r.from);
        return [name, tidy(v, r.integer)];
      }),
    ),
  );
}
