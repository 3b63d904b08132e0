import { DTypeError, FeedError, hostTensor } from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { backend, bad, goodFeeds, runFeeds } from "./fixtures.js";

/** Feeds of a run and tensors given to upload: what reaches a backend from the host. */
export const feedCases: BadInput[] = [
  {
    name: "Infinity in a float64 run feed",
    call: () => runFeeds({ ...goodFeeds(), x: hostTensor([1, 2, 3, 4, 5, Infinity], [2, 3]) }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'x'", "Infinity", "element [1, 2]"],
  },
  {
    name: "-Infinity in a float32 run feed",
    call: () => runFeeds({ ...goodFeeds("float32"), w: hostTensor([1, -Infinity, 0], [3], "float32") }, "float32"),
    error: FeedError,
    op: "run",
    mentions: ["feed 'w'", "-Infinity", "element [1]"],
  },
  {
    name: "NaN in a run feed",
    call: () => runFeeds({ ...goodFeeds(), x: hostTensor([NaN, 2, 3, 4, 5, 6], [2, 3]) }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'x'", "NaN", "element [0, 0]"],
  },
  {
    name: "a plain array as a feed",
    call: () => runFeeds({ ...goodFeeds(), x: [1, 2, 3, 4, 5, 6] }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'x'", "plain array", "hostTensor(data, shape)"],
  },
  {
    name: "a typed array as a feed",
    call: () => runFeeds({ ...goodFeeds(), w: new Float64Array([1, 2, 3]) }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'w'", "Float64Array", "hostTensor(data, shape)"],
  },
  {
    name: "an object without data or shape as a feed",
    call: () => runFeeds({ ...goodFeeds(), x: { values: [1, 2, 3, 4, 5, 6] } }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'x'", "hostTensor(data, shape)"],
  },
  {
    name: "a number as a feed",
    call: () => runFeeds({ ...goodFeeds(), w: 3 }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'w'", "3", "hostTensor(data, shape)"],
  },
  {
    name: "a host tensor whose dtype disagrees with its data",
    call: () => runFeeds({ ...goodFeeds("float32"), x: { shape: [2, 3], dtype: "float32", data: new Float64Array(6) } }, "float32"),
    error: DTypeError,
    op: "run",
    mentions: ["feed 'x'", "float32", "Float64Array"],
  },
  {
    name: "a hand-built host tensor holding a plain array",
    call: () => runFeeds({ ...goodFeeds(), x: { shape: [2, 3], dtype: "float64", data: [1, 2, 3, 4, 5, 6] } }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'x'", "plain array", "hostTensor(data, shape)"],
  },
  {
    name: "a host tensor whose shape is not an array",
    call: () => runFeeds({ ...goodFeeds(), w: { shape: 3, dtype: "float64", data: new Float64Array(3) } }),
    error: FeedError,
    op: "run",
    mentions: ["feed 'w'", "shape", "3"],
  },
  {
    name: "no feeds object at all",
    call: () => runFeeds(undefined),
    error: FeedError,
    op: "run",
    mentions: ["feeds", "undefined"],
  },
  {
    name: "Infinity in an uploaded tensor",
    call: () => backend.upload(hostTensor([1, 2, Infinity, 4, 5, 6], [2, 3])),
    error: FeedError,
    op: "upload",
    mentions: ["[2, 3]", "Infinity", "element [0, 2]"],
  },
  {
    name: "-Infinity in an uploaded tensor",
    call: () => backend.upload(hostTensor([1, 2, 3, -Infinity], [4], "float32")),
    error: FeedError,
    op: "upload",
    mentions: ["[4]", "-Infinity", "element [3]"],
  },
  {
    name: "NaN in an uploaded tensor",
    call: () => backend.upload(hostTensor([1, NaN], [2])),
    error: FeedError,
    op: "upload",
    mentions: ["[2]", "NaN", "element [1]"],
  },
  {
    name: "a plain array given to upload",
    call: () => backend.upload(bad([1, 2, 3])),
    error: FeedError,
    op: "upload",
    mentions: ["plain array", "hostTensor(data, shape)"],
  },
  {
    name: "an uploaded tensor whose data does not fill its shape",
    call: () => backend.upload(bad({ shape: [2, 3], dtype: "float64", data: new Float64Array(5) })),
    error: FeedError,
    op: "upload",
    mentions: ["5 values", "[2, 3]"],
  },
];
