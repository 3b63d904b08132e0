import { UnfoldError, locatedError } from "../errors.js";
import type { Tensor } from "../trace/graph.js";
import { describeValue } from "../validate.js";
import type { Energy, Params } from "./energy.js";

/** Guarded views back to the records they wrap, so a view is never wrapped twice. */
const unguarded = new WeakMap<object, Params>();

/** Keys that code reads of any object without meaning a parameter (await, JSON, printing). */
const PASS_THROUGH = new Set(["then", "toJSON", "constructor", "$$typeof", "asymmetricMatch", "nodeType", "@@__IMMUTABLE_ITERABLE__@@"]);

/**
 * The parameters as `reader` (a term, an activation, a step's prox) sees them: reading a name the
 * energy does not declare, or one it declares that was not given, is an error naming the reader,
 * the name and the declared parameters, where a plain record would hand back undefined and the
 * next op would fail with a TypeError. Only reads are checked; keys, spreads and `in` behave as
 * on the record itself, so `'W' in params` still asks whether a parameter was given.
 */
export function guardParams(energy: Energy, params: Params, reader: string): Params {
  if (typeof params !== "object" || params === null) {
    throw new UnfoldError("params", `${reader} was given ${describeValue(params)} for its parameters, not an object of Tensors`);
  }
  const record = unguarded.get(params) ?? params;
  const declared = (): string => Object.keys(energy.params).join(", ") || "none";
  const view = new Proxy(record, {
    get(target, key, receiver): unknown {
      if (typeof key === "symbol") return Reflect.get(target, key, receiver);
      if (Object.hasOwn(energy.params, key)) {
        const value = Reflect.get(target, key, receiver) as Tensor | undefined;
        if (value === undefined) {
          const given = Object.keys(target).join(", ") || "none";
          throw locatedError(new UnfoldError("params", `${reader} reads parameter '${key}', which was not given (given: ${given})`));
        }
        return value;
      }
      if (key in Object.prototype || PASS_THROUGH.has(key)) return Reflect.get(target, key, receiver);
      throw locatedError(new UnfoldError("params", `${reader} reads parameter '${key}', which energy '${energy.name}' does not declare (declared: ${declared()})`));
    },
  });
  unguarded.set(view, record);
  return view;
}
