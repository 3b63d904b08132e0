import { type DType, type Graph, type HostTensor, Random, ShapeError, type Tensor, UnfoldError, formatShape, hostTensor, sizeOf } from "@unfold/core";
import { requireDType, requireFinite, requireInteger } from "./check.js";

/** How a parameter's first values are drawn. */
export type Initializer =
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "constant"; value: number }
  | { kind: "normal"; std: number }
  | { kind: "uniform"; limit: number }
  /** Uniform in +-sqrt(6 / (fanIn + fanOut)), the fans being the last two axes (Glorot & Bengio). */
  | { kind: "glorot" }
  /** The identity on the last two axes (stacked over leading axes), plus normal noise of this std. */
  | { kind: "identity"; noise?: number };

/** A trainable parameter: its shape, its initializer, and whether AdamW decays it. */
export interface TrainableSpec {
  readonly shape: readonly number[];
  readonly init: Initializer;
  /** Whether AdamW decays it; by default matrices and larger do (rank >= 2), vectors and scalars do not. */
  readonly decay?: boolean;
}

/** Trainable parameters by name. */
export type TrainableSpecs = Readonly<Record<string, TrainableSpec>>;

/** Names in a fixed order, so leaves, initial values and reports never depend on insertion order. */
export function sortedNames(specs: TrainableSpecs): string[] {
  return Object.keys(specs).sort();
}

/** Checks one spec: the shape, the initializer's fields, and that it can apply to that shape. */
export function checkTrainableSpec(op: string, name: string, spec: TrainableSpec): void {
  if (typeof spec !== "object" || spec === null) throw new UnfoldError(op, `parameter '${name}' has no spec`);
  const { shape, init } = spec;
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(op, `parameter '${name}' has an invalid shape ${Array.isArray(shape) ? formatShape(shape) : String(shape)}`);
  }
  if (spec.decay !== undefined && typeof spec.decay !== "boolean") {
    throw new UnfoldError(op, `parameter '${name}': decay must be a boolean, got ${String(spec.decay)}`);
  }
  const field = (f: string): string => `parameter '${name}': init.${f}`;
  switch (init?.kind) {
    case "zeros":
    case "ones":
      return;
    case "constant":
      requireFinite(op, field("value"), init.value);
      return;
    case "normal":
      if (requireFinite(op, field("std"), init.std) < 0) throw new UnfoldError(op, `${field("std")} must be >= 0, got ${init.std}`);
      return;
    case "uniform":
      if (requireFinite(op, field("limit"), init.limit) < 0) throw new UnfoldError(op, `${field("limit")} must be >= 0, got ${init.limit}`);
      return;
    case "glorot":
    case "identity":
      if (shape.length < 2) {
        throw new ShapeError(op, `parameter '${name}' ${formatShape(shape)}: the '${init.kind}' initializer needs rank >= 2 (it reads the last two axes)`);
      }
      if (init.kind === "identity" && init.noise !== undefined && requireFinite(op, field("noise"), init.noise) < 0) {
        throw new UnfoldError(op, `${field("noise")} must be >= 0, got ${init.noise}`);
      }
      return;
    default:
      throw new UnfoldError(op, `parameter '${name}' has an unknown initializer ${JSON.stringify(init)}`);
  }
}

/** Checks every spec, naming `op` and the parameter in an error. */
export function checkTrainableSpecs(op: string, specs: TrainableSpecs): void {
  if (typeof specs !== "object" || specs === null) throw new UnfoldError(op, "specs must be a record of parameter specs");
  for (const name of Object.keys(specs)) {
    if (name.length === 0) throw new UnfoldError(op, "a parameter name is empty");
    checkTrainableSpec(op, name, specs[name]!);
  }
}

/** Whether AdamW decays the parameter: the spec's word, else rank >= 2. */
export function decaysParam(spec: TrainableSpec): boolean {
  return spec.decay ?? spec.shape.length >= 2;
}

/** The decay flag of every parameter, as AdamWState wants it. */
export function decayFlags(specs: TrainableSpecs): Record<string, boolean> {
  checkTrainableSpecs("decayFlags", specs);
  return Object.fromEntries(sortedNames(specs).map((n) => [n, decaysParam(specs[n]!)]));
}

/**
 * A 32-bit seed for one parameter's stream, mixed from the run's seed and the parameter's name
 * (FNV-1a over the name, then a murmur3 finalizer), so adding or renaming one parameter never
 * changes another's initial values.
 */
export function streamSeed(seed: number, name: string): number {
  // The high word too, so seeds that differ only above 2^32 still give different streams.
  let h = 0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x85ebca77);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function initialValues(shape: readonly number[], init: Initializer, rng: Random): Float64Array {
  const size = sizeOf(shape);
  switch (init.kind) {
    case "zeros":
      return new Float64Array(size);
    case "ones":
      return new Float64Array(size).fill(1);
    case "constant":
      return new Float64Array(size).fill(init.value);
    case "normal":
      return rng.normals(size, init.std);
    case "uniform":
      return rng.uniforms(size, -init.limit, init.limit);
    case "glorot": {
      const [fanIn, fanOut] = shape.slice(-2) as [number, number];
      const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
      return rng.uniforms(size, -limit, limit);
    }
    case "identity": {
      const [rows, cols] = shape.slice(-2) as [number, number];
      const noise = init.noise ?? 0;
      const out = noise > 0 ? rng.normals(size, noise) : new Float64Array(size);
      // Rectangular matrices get ones on their leading diagonal, as a partial identity.
      for (let base = 0; base < size; base += rows * cols) {
        for (let i = 0; i < Math.min(rows, cols); i++) out[base + i * cols + i]! += 1;
      }
      return out;
    }
  }
}

/** Initial values for every parameter, deterministic in `seed` (names visited in sorted order). */
export function initParams(specs: TrainableSpecs, options: { seed: number; dtype?: DType }): Record<string, HostTensor> {
  checkTrainableSpecs("initParams", specs);
  const seed = requireInteger("initParams", "seed", options?.seed, Number.MIN_SAFE_INTEGER);
  const dtype = requireDType("initParams", options.dtype ?? "float64");
  const out: Record<string, HostTensor> = {};
  for (const name of sortedNames(specs)) {
    const spec = specs[name]!;
    out[name] = hostTensor(initialValues(spec.shape, spec.init, new Random(streamSeed(seed, name))), spec.shape, dtype);
  }
  return out;
}

/** The total number of scalar parameters. */
export function countParams(specs: TrainableSpecs): number {
  checkTrainableSpecs("countParams", specs);
  return Object.values(specs).reduce((n, s) => n + sizeOf(s.shape), 0);
}

/** Every parameter as a `param` leaf of the graph, declared in sorted name order. */
export function specLeaves(graph: Graph, specs: TrainableSpecs, dtype: DType): Record<string, Tensor> {
  checkTrainableSpecs("specLeaves", specs);
  requireDType("specLeaves", dtype);
  return Object.fromEntries(sortedNames(specs).map((n) => [n, graph.leaf("param", n, specs[n]!.shape, dtype)]));
}

/** One spec set from several; a name declared twice is an error, never a silent overwrite. */
export function mergeSpecs(...parts: TrainableSpecs[]): TrainableSpecs {
  const out: Record<string, TrainableSpec> = {};
  parts.forEach((part, i) => {
    checkTrainableSpecs("mergeSpecs", part);
    for (const [name, spec] of Object.entries(part)) {
      if (name in out) throw new UnfoldError("mergeSpecs", `parameter '${name}' is declared twice (again in part ${i})`);
      out[name] = spec;
    }
  });
  return out;
}

/** The same specs with every name `${prefix}.${name}`. */
export function prefixSpecs(prefix: string, specs: TrainableSpecs): TrainableSpecs {
  if (typeof prefix !== "string" || prefix.length === 0) throw new UnfoldError("prefixSpecs", `prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
  checkTrainableSpecs("prefixSpecs", specs);
  return Object.fromEntries(Object.entries(specs).map(([n, s]) => [`${prefix}.${n}`, s]));
}

/** The parameters whose names start with `${prefix}.`, with that prefix removed: prefixSpecs undone on values. */
export function unprefix<T>(prefix: string, values: Readonly<Record<string, T>>): Record<string, T> {
  const head = `${prefix}.`;
  return Object.fromEntries(Object.entries(values).flatMap(([n, v]) => (n.startsWith(head) ? [[n.slice(head.length), v]] : [])));
}
