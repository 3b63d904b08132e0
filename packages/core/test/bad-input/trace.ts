import { ShapeError, UnfoldError, energyProgram, input, ops, trace } from "../../src/index.js";
import type { BadInput } from "@unfold/testing/bad-input";
import { bad, oneTerm } from "./fixtures.js";

/** Tracing: operands of the ops, and the arguments of trace itself. */
const traced = (fn: Parameters<typeof trace<{ x: ReturnType<typeof input> }>>[1]) => () => trace({ x: input([3, 2]) }, fn);

export const traceCases: BadInput[] = [
  {
    name: "a string constant in ops.mul",
    call: traced(({ x }) => ops.mul(x, bad("2"))),
    error: UnfoldError,
    op: "mul",
    mentions: ["operand 2", "'2'", "string"],
  },
  {
    name: "a string constant as the first operand of ops.add",
    call: traced(({ x }) => ops.add(bad("1"), x)),
    error: UnfoldError,
    op: "add",
    mentions: ["operand 1", "'1'"],
  },
  {
    name: "undefined as an operand",
    call: traced(({ x }) => ops.sub(x, bad(undefined))),
    error: UnfoldError,
    op: "sub",
    mentions: ["operand 2", "undefined"],
  },
  {
    name: "NaN as a constant operand",
    call: traced(({ x }) => ops.mul(x, NaN)),
    error: UnfoldError,
    op: "mul",
    mentions: ["operand 2", "NaN"],
  },
  {
    name: "a nested array as an operand of matmul",
    call: traced(({ x }) => ops.matmul(x, bad([[1, 2]]))),
    error: UnfoldError,
    op: "matmul",
    mentions: ["operand 2", "array"],
  },
  {
    name: "an object as an operand of a Tensor method",
    call: traced(({ x }) => x.div(bad({ value: 2 }))),
    error: UnfoldError,
    op: "div",
    mentions: ["operand 2", "object"],
  },
  {
    name: "a string given to a unary op",
    call: () => ops.exp(bad("x")),
    error: UnfoldError,
    op: "exp",
    mentions: ["operand", "'x'"],
  },
  {
    name: "a string given to a reduction",
    call: () => ops.sum(bad("x")),
    error: UnfoldError,
    op: "sum",
    mentions: ["operand", "'x'"],
  },
  {
    name: "a string axis for a reduction",
    call: traced(({ x }) => x.sum(bad("0"))),
    error: ShapeError,
    op: "sum",
    mentions: ["axis", "'0'"],
  },
  {
    name: "a fractional dimension in reshape",
    call: traced(({ x }) => x.reshape([2, 1.5, 2])),
    error: ShapeError,
    op: "reshape",
    mentions: ["[2, 1.5, 2]"],
  },
  {
    name: "trace without a leaves object",
    call: () => trace(bad<Record<string, never>>(undefined), () => bad(1)),
    error: UnfoldError,
    op: "trace",
    mentions: ["leaves", "undefined"],
  },
  {
    name: "trace of something that is not a function",
    call: () => trace({ x: input([2]) }, bad("x => x")),
    error: UnfoldError,
    op: "trace",
    mentions: ["function", "'x => x'"],
  },
  {
    name: "a leaf whose shape is a number",
    call: () => trace({ x: input(bad(3)) }, ({ x }) => x),
    error: ShapeError,
    op: "input",
    mentions: ["shape", "3", "'x'"],
  },
  {
    name: "a leaf of an unknown kind",
    call: () => trace({ w: bad<ReturnType<typeof input>>({ shape: [2], kind: "parameter" }) }, ({ w }) => w),
    error: UnfoldError,
    op: "trace",
    mentions: ["leaf 'w'", "'parameter'", "'param'"],
  },
  {
    name: "a string constant inside an energy term names the energy and the term",
    call: () => energyProgram(oneTerm((x) => ops.sum(ops.mul(x, bad("2")))), [3, 2], "float64"),
    error: UnfoldError,
    op: "mul",
    mentions: ["'2'", "term 'pull'", "energy 'toy'"],
  },
];
