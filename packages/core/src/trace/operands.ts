import { UnfoldError } from "../errors.js";
import { describeValue } from "../validate.js";
import { Tensor } from "./graph.js";

/**
 * Operand checks of the ops. A term is plain TypeScript, so a string, an undefined parameter or
 * a nested array can reach an op at run time; each is reported here, naming the op and the
 * operand, instead of as a TypeError from inside the graph (or, for a string, as "arguments come
 * from different traces").
 */

function notA(value: unknown, wanted: string): string {
  const hint = typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? `; write the number ${Number(value)} without quotes` : "";
  return `${describeValue(value)}, not ${wanted}${hint}`;
}

/**
 * The operand of a one-operand op must be a Tensor; `which` is its position among several
 * (operand 2), or the name of an option that takes a Tensor ("options.gamma").
 */
export function requireTensor(op: string, value: unknown, which?: number | string): Tensor {
  if (value instanceof Tensor) return value;
  const role = which === undefined ? "its operand" : typeof which === "number" ? `operand ${which}` : which;
  throw new UnfoldError(op, `${role} is ${notA(value, "a Tensor")}`);
}

/** Operand `position` of a binary op: a Tensor, or a number to become a constant like `like`. */
export function liftOperand(op: string, value: unknown, position: number, like: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  if (typeof value === "number") {
    // Infinities are fine as constants (masks); NaN never is: it poisons every value it meets.
    if (Number.isNaN(value)) throw new UnfoldError(op, `operand ${position} is NaN`);
    return like.graph.constant(value, [], like.dtype);
  }
  throw new UnfoldError(op, `operand ${position} is ${notA(value, "a Tensor or a number")}`);
}

/** Both operands of a binary op, numbers lifted to constants of the other's graph and dtype. */
export function operandPair(op: string, a: unknown, b: unknown): [Tensor, Tensor] {
  const anchor = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  if (!anchor) {
    for (const [value, position] of [[a, 1], [b, 2]] as const) {
      if (typeof value !== "number") throw new UnfoldError(op, `operand ${position} is ${notA(value, "a Tensor or a number")}`);
    }
    throw new UnfoldError(op, "needs at least one Tensor argument; both are numbers");
  }
  return [liftOperand(op, a, 1, anchor), liftOperand(op, b, 2, anchor)];
}
