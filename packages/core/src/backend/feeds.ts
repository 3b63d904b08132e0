import { DTypeError, FeedError, formatShape } from "../errors.js";
import type { FeedSpec, Program } from "../ir/program.js";
import { sameShape } from "../shape.js";
import { describeValue } from "../validate.js";
import { type Feeds, isDeviceTensor } from "./backend.js";
import { checkFinite, checkHostData, checkHostShape } from "./host-data.js";
import { checkIndexFeeds } from "./index-feeds.js";
import type { HostTensor } from "./tensor.js";

/**
 * Checks feeds against a program before anything runs: every name known and present, each feed
 * a HostTensor or DeviceTensor, shapes and dtypes exact, device tensors alive and on this
 * backend, host data finite, host index feeds of gather and scatterAdd in range. Every backend calls this, so the same mistake gives the same message
 * everywhere.
 *
 * NaN and both infinities are refused, with no opt-out: a non-finite feed is nearly always an
 * overflow or a parse error upstream, and the derivative of anything fed an infinity is NaN
 * (0 * Infinity) once it meets a zero. A program that needs an infinity, or a mask of -Infinity,
 * holds it as a constant (constants may be infinite); masks fed at run time use a large finite
 * value (as @unfold/nn's MASKED_LOGIT, -1e9, does). Device tensors are checked once, on upload.
 */
export function checkFeeds(program: Program, feeds: Feeds, backend: string): void {
  if (typeof feeds !== "object" || feeds === null || Array.isArray(feeds)) {
    throw new FeedError("run", `feeds must be an object of named tensors, got ${describeValue(feeds)}`);
  }
  const expected = new Map<string, FeedSpec>(program.feeds.map((f) => [f.name, f]));
  const list = (): string => [...expected.keys()].join(", ") || "(none)";
  for (const name of Object.keys(feeds)) {
    if (!expected.has(name)) throw new FeedError("run", `unknown feed '${name}'; the program takes: ${list()}`);
  }
  const hostFeeds: Record<string, HostTensor> = {};
  for (const spec of program.feeds) {
    const feed = feeds[spec.name];
    const what = `feed '${spec.name}'`;
    if (feed === undefined || feed === null) throw new FeedError("run", `missing feed '${spec.name}' (${spec.kind} ${spec.dtype}${formatShape(spec.shape)})`);
    const device = typeof feed === "object" && isDeviceTensor(feed);
    const t = device ? feed : checkHostShape("run", what, feed, "a HostTensor or DeviceTensor");
    if (!sameShape(t.shape, spec.shape)) {
      throw new FeedError("run", `${what} has shape ${formatShape(t.shape)}, the program expects ${formatShape(spec.shape)}`);
    }
    if (t.dtype !== spec.dtype) throw new DTypeError("run", `${what} is ${t.dtype}, the program expects ${spec.dtype}`);
    if (isDeviceTensor(t)) {
      if (t.disposed) throw new FeedError("run", `${what} was disposed`);
      if (t.backend !== backend) throw new FeedError("run", `${what} lives on backend '${t.backend}', not '${backend}'`);
      continue;
    }
    // A hand-built HostTensor can claim a shape its data does not fill; the interpreter would
    // then read past the end and compute with undefined (NaN) without a word.
    checkHostData("run", what, t);
    checkFinite("run", what, t, true);
    hostFeeds[spec.name] = t;
  }
  checkIndexFeeds(program, hostFeeds);
}
