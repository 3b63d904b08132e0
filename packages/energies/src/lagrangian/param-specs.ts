import type { ParamSpec, ParamSpecs } from "@unfold/core";

/** Parameter declarations from [name, spec] pairs, keyed by the names' literal types. */
export function paramSpecs<N extends string>(...entries: (readonly [N, ParamSpec])[]): ParamSpecs<N> {
  return Object.fromEntries(entries) as ParamSpecs<N>;
}
