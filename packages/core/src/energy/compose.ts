import { UnfoldError, locatedError } from "../errors.js";
import type { Tensor } from "../trace/graph.js";
import { describeValue, requireFunction, requireName, requireOptions, requireRecord } from "../validate.js";
import { requireEnergy } from "./check-energy.js";
import { type Energy, type EnergyTerm, type ParamNames, type ParamSpec, type Params, defineEnergy } from "./energy.js";

/** A map from some of the names N to new names: `{ W: "W2" }`. */
export type Renames<N extends string> = { readonly [K in N]?: string };

/** The names N after renaming by M: each name that M maps is replaced by its new name. */
export type Renamed<N extends string, M> = { [K in N]: K extends keyof M ? (M[K] extends string ? M[K] : K) : K }[N];

/**
 * The sum of several energies, declaring the union of their parameters. Term and parameter names
 * must not collide (two energies that both declare `W` would silently share it); reuse an energy
 * twice through renameEnergy.
 */
export function sumEnergies<const E extends readonly Energy[]>(name: string, parts: E): Energy<ParamNames<E[number]>> {
  const op = "sumEnergies";
  requireName(op, "name", name);
  if (!Array.isArray(parts as unknown) || parts.length === 0) {
    throw new UnfoldError(op, `energy '${name}' needs at least one energy to sum, got ${describeValue(parts)}`);
  }
  parts.forEach((part, i) => requireEnergy(op, `parts[${i}]`, part));
  const label = (i: number): string => `parts[${i}] (energy '${parts[i]!.name}')`;
  const params: Record<string, ParamSpec> = {};
  const paramOwner = new Map<string, number>();
  const termOwner = new Map<string, number>();
  parts.forEach((part, i) => {
    if (part.activation) throw new UnfoldError(op, `energy '${part.name}' has an activation; sum its terms instead`);
    for (const [p, spec] of Object.entries(part.params)) {
      const first = paramOwner.get(p);
      if (first !== undefined) {
        throw new UnfoldError(op, `parameter '${p}' is declared by both ${label(first)} and ${label(i)}; rename one with renameEnergy(energy, { name, params: { ${p}: '...' } })`);
      }
      paramOwner.set(p, i);
      params[p] = spec;
    }
    for (const term of part.terms) {
      const first = termOwner.get(term.name);
      if (first !== undefined) {
        throw new UnfoldError(op, `term '${term.name}' is a term of both ${label(first)} and ${label(i)}; rename one with renameEnergy(energy, { name, terms: { ${term.name}: '...' } })`);
      }
      termOwner.set(term.name, i);
    }
  });
  return defineEnergy({ name, terms: parts.flatMap((p) => p.terms), params }) as Energy<ParamNames<E[number]>>;
}

/**
 * A term that reads its parameters under new names: `renameParams(synapse, { W: "W12" })` reads
 * `W12` wherever `synapse` reads `W`, so one term can serve several energies, or one energy
 * several times (give each copy its own `name`). Its closed-form step and prox are renamed alike.
 */
export function renameParams<N extends string, const M extends Renames<N>>(
  term: EnergyTerm<N>,
  renames: M,
  options: { readonly name?: string } = {},
): EnergyTerm<Renamed<N, M>> {
  const op = "renameParams";
  const record = requireRecord(op, "term", term);
  const termName = requireName(op, "the term's name", record["name"]);
  requireFunction(op, `the value of term '${termName}'`, record["value"]);
  requireOptions(op, "options", options, ["name"]);
  const name = options.name === undefined ? termName : requireName(op, "options.name", options.name);
  const map = checkRenames(op, `the renames of term '${termName}'`, renames);
  return renamedTerm(term as EnergyTerm, map, name) as EnergyTerm<Renamed<N, M>>;
}

/** What renameEnergy takes: the copy's name and the renames (old name -> new name). */
export interface RenameEnergyOptions<M> {
  /** The renamed energy's name. */
  readonly name: string;
  /** New names for some of its parameters. */
  readonly params?: M;
  /** New names for some of its terms (needed to sum an energy with a renamed copy of itself). */
  readonly terms?: Readonly<Record<string, string>>;
}

/**
 * A copy of an energy with some parameters and terms renamed: its terms, closed-form steps, proxes
 * and activation read the new parameter names. `sumEnergies("two", [e, renameEnergy(e, { name:
 * "e2", params: { W: "W2" }, terms: { fit: "fit2" } })])` sums an energy with a second copy of
 * itself that has its own weights.
 */
export function renameEnergy<N extends string, const M extends Renames<N> = Record<never, never>>(
  energy: Energy<N>,
  options: RenameEnergyOptions<M>,
): Energy<Renamed<N, M>> {
  const op = "renameEnergy";
  requireEnergy(op, "energy", energy);
  requireOptions(op, "options", options, ["name", "params", "terms"]);
  const name = requireName(op, "options.name", options.name);
  const of = `energy '${energy.name}'`;
  const paramMap = checkRenames(op, `options.params`, options.params ?? {});
  const termMap = checkRenames(op, `options.terms`, options.terms ?? {});
  const declared = Object.keys(energy.params);
  renameWithin(op, "parameter", of, declared, paramMap);
  renameWithin(op, "term", of, energy.terms.map((t) => t.name), termMap);
  const params = Object.fromEntries(Object.entries(energy.params).map(([p, spec]) => [paramMap[p] ?? p, spec as ParamSpec]));
  const terms = (energy.terms as readonly EnergyTerm[]).map((t) => renamedTerm(t, paramMap, termMap[t.name] ?? t.name));
  const activation = (energy as Energy).activation;
  const renamed: Energy = activation
    ? { name, params, terms, activation: (state: Tensor, p: Params) => activation(state, renamedView(p, paramMap, `the activation of energy '${name}'`)) }
    : { name, params, terms };
  return defineEnergy(renamed) as Energy<Renamed<N, M>>;
}

/** A record of old name -> new name, each new name a non-empty string used once. */
function checkRenames(op: string, field: string, value: unknown): Readonly<Record<string, string>> {
  const map = requireRecord(op, field, value);
  const seen = new Map<string, string>();
  for (const [from, to] of Object.entries(map)) {
    requireName(op, `${field}.${from}`, to);
    const other = seen.get(to as string);
    if (other !== undefined) throw new UnfoldError(op, `${field} renames both '${other}' and '${from}' to '${String(to)}'`);
    seen.set(to as string, from);
  }
  return map as Record<string, string>;
}

/** Every renamed name exists, and no new name lands on a name that keeps its own. */
function renameWithin(op: string, noun: string, of: string, names: readonly string[], map: Readonly<Record<string, string>>): void {
  for (const [from, to] of Object.entries(map)) {
    if (!names.includes(from)) throw new UnfoldError(op, `options.${noun === "term" ? "terms" : "params"} renames ${noun} '${from}', which ${of} does not have (${noun}s: ${names.join(", ")})`);
    if (names.includes(to) && map[to] === undefined) {
      throw new UnfoldError(op, `options.${noun === "term" ? "terms" : "params"} renames ${noun} '${from}' to '${to}', which ${of} already has as another ${noun}; rename '${to}' too`);
    }
  }
}

function renamedTerm(term: EnergyTerm, map: Readonly<Record<string, string>>, name: string): EnergyTerm {
  const reader = (role: string): string => `the ${role} of term '${name}' (renamed parameters ${describeRenames(map)})`;
  const renamed: { -readonly [K in keyof EnergyTerm]: EnergyTerm[K] } = {
    name,
    value: (state, p) => term.value(state, renamedView(p, map, reader("value"))),
  };
  const { closedForm, prox } = term;
  if (closedForm) renamed.closedForm = (state, p, size) => closedForm(state, renamedView(p, map, reader("closed-form step")), size);
  if (prox) renamed.prox = (point, p, size) => prox(point, renamedView(p, map, reader("prox")), size);
  return renamed;
}

const describeRenames = (map: Readonly<Record<string, string>>): string =>
  Object.entries(map)
    .map(([from, to]) => `${from} -> ${to}`)
    .join(", ");

/**
 * The parameters as a renamed function sees them: its old names read the new ones. A function
 * reading a name that the renames gave to another of its parameters would read the wrong tensor,
 * so that read is an error rather than a silent mix-up.
 */
function renamedView(params: Params, map: Readonly<Record<string, string>>, reader: string): Params {
  const sources = new Map(Object.entries(map).map(([from, to]) => [to, from]));
  const target = (key: string): string => {
    if (Object.hasOwn(map, key)) return map[key]!;
    const from = sources.get(key);
    if (from !== undefined) throw locatedError(new UnfoldError("params", `${reader} reads parameter '${key}', but the renames give that name to its parameter '${from}'; rename '${key}' too`));
    return key;
  };
  return new Proxy(params, {
    get: (record, key, receiver): unknown => (typeof key === "symbol" ? Reflect.get(record, key, receiver) : Reflect.get(record, target(key), receiver)),
    has: (record, key): boolean => (typeof key === "symbol" ? Reflect.has(record, key) : Reflect.has(record, target(key))),
  });
}
