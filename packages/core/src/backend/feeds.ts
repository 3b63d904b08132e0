import { DTypeError, FeedError, formatShape } from "../errors.js";
import type { FeedSpec, Program } from "../ir/program.js";
import { sameShape, sizeOf, stridesOf } from "../shape.js";
import { type Feeds, isDeviceTensor } from "./backend.js";

/**
 * Checks feeds against a program before anything runs: every name known and present, shapes
 * and dtypes exact, device tensors alive and on this backend, host data free of NaN. Every
 * backend calls this, so the same mistake gives the same message everywhere.
 */
export function checkFeeds(program: Program, feeds: Feeds, backend: string): void {
  const expected = new Map<string, FeedSpec>(program.feeds.map((f) => [f.name, f]));
  const list = (): string => [...expected.keys()].join(", ") || "(none)";
  for (const name of Object.keys(feeds)) {
    if (!expected.has(name)) throw new FeedError("run", `unknown feed '${name}'; the program takes: ${list()}`);
  }
  for (const spec of program.feeds) {
    const feed = feeds[spec.name];
    if (!feed) throw new FeedError("run", `missing feed '${spec.name}' (${spec.kind} ${spec.dtype}${formatShape(spec.shape)})`);
    if (!sameShape(feed.shape, spec.shape)) {
      throw new FeedError("run", `feed '${spec.name}' has shape ${formatShape(feed.shape)}, the program expects ${formatShape(spec.shape)}`);
    }
    if (feed.dtype !== spec.dtype) {
      throw new DTypeError("run", `feed '${spec.name}' is ${feed.dtype}, the program expects ${spec.dtype}`);
    }
    if (isDeviceTensor(feed)) {
      if (feed.disposed) throw new FeedError("run", `feed '${spec.name}' was disposed`);
      if (feed.backend !== backend) {
        throw new FeedError("run", `feed '${spec.name}' lives on backend '${feed.backend}', not '${backend}'`);
      }
      continue;
    }
    // A hand-built HostTensor can claim a shape its data does not fill; the interpreter would
    // then read past the end and compute with undefined (NaN) without a word.
    if (feed.data.length !== sizeOf(spec.shape)) {
      throw new FeedError("run", `feed '${spec.name}' has ${feed.data.length} values for shape ${formatShape(spec.shape)}`);
    }
    const nan = findNaN(feed.data, spec.shape);
    if (nan) throw new FeedError("run", `feed '${spec.name}' contains NaN at element ${formatShape(nan)}`);
  }
}

/** The index of the first NaN in row-major data, or undefined when there is none. */
export function findNaN(data: ArrayLike<number>, shape: readonly number[]): number[] | undefined {
  // One loop per array type, so each stays monomorphic: every run of every backend scans its
  // host feeds, and a loop shared by Float32Array, Float64Array and arrays ran ~8x slower.
  const at = data instanceof Float32Array ? firstNaN32(data) : data instanceof Float64Array ? firstNaN64(data) : firstNaN(data);
  return at < 0 ? undefined : unravel(at, shape);
}

function firstNaN32(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (data[i] !== data[i]) return i;
  return -1;
}

function firstNaN64(data: Float64Array): number {
  for (let i = 0; i < data.length; i++) if (data[i] !== data[i]) return i;
  return -1;
}

function firstNaN(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (Number.isNaN(data[i])) return i;
  return -1;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  return stridesOf(shape).map((s, i) => Math.floor(flat / s) % shape[i]!);
}
