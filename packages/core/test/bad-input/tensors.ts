import { DTypeError, Random, ShapeError, UnfoldError, hostTensor, scalarTensor } from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { bad } from "./fixtures.js";

/** hostTensor and scalarTensor: the way host data becomes a tensor. */
export const tensorCases: BadInput[] = [
  {
    name: "hostTensor with a BigInt64Array",
    call: () => hostTensor(bad(new BigInt64Array(4)), [4]),
    error: UnfoldError,
    op: "hostTensor",
    mentions: ["numbers", "BigInt64Array"],
  },
  {
    name: "hostTensor with data shorter than its shape",
    call: () => hostTensor([1, 2, 3], [2, 2]),
    error: ShapeError,
    op: "hostTensor",
    mentions: ["3 values", "[2, 2]"],
  },
  {
    name: "hostTensor with data longer than its shape",
    call: () => hostTensor([1, 2, 3, 4, 5, 6, 7], [2, 3]),
    error: ShapeError,
    op: "hostTensor",
    mentions: ["7 values", "[2, 3]"],
  },
  {
    name: "hostTensor with a number for a shape",
    call: () => hostTensor([1, 2], bad(2)),
    error: ShapeError,
    op: "hostTensor",
    mentions: ["shape", "2"],
  },
  {
    name: "hostTensor with a negative dimension",
    call: () => hostTensor([], [2, -1]),
    error: ShapeError,
    op: "hostTensor",
    mentions: ["[2, -1]"],
  },
  {
    name: "hostTensor with a fractional dimension",
    call: () => hostTensor([1, 2, 3], [1.5, 2]),
    error: ShapeError,
    op: "hostTensor",
    mentions: ["[1.5, 2]"],
  },
  {
    name: "hostTensor with a string for data",
    call: () => hostTensor(bad("123"), [3]),
    error: UnfoldError,
    op: "hostTensor",
    mentions: ["data", "'123'"],
  },
  {
    name: "hostTensor with a string among the data",
    call: () => hostTensor(bad([1, "a", 3]), [3]),
    error: UnfoldError,
    op: "hostTensor",
    mentions: ["data[1]", "'a'"],
  },
  {
    name: "hostTensor with null among the data",
    call: () => hostTensor(bad([null, 2]), [2]),
    error: UnfoldError,
    op: "hostTensor",
    mentions: ["data[0]", "null"],
  },
  {
    name: "hostTensor with no data",
    call: () => hostTensor(bad(undefined), [2]),
    error: UnfoldError,
    op: "hostTensor",
    mentions: ["data", "undefined"],
  },
  {
    name: "hostTensor with an unknown dtype",
    call: () => hostTensor([1], [1], bad("int8")),
    error: DTypeError,
    op: "hostTensor",
    mentions: ["'int8'"],
  },
  {
    name: "scalarTensor with a string",
    call: () => scalarTensor(bad("1")),
    error: UnfoldError,
    op: "scalarTensor",
    mentions: ["value", "'1'"],
  },
];

tensorCases.push({
  name: "a Random seed that is not an integer",
  call: () => new Random(NaN),
  error: UnfoldError,
  op: "Random",
  mentions: ["seed", "NaN"],
});
