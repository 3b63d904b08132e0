import { type Backend, type DType, type Graph, type HostTensor, type Outputs, type Program, Random, type Tensor, trace } from "@unfold/core";
import { TOLERANCES, type Tolerance, checkProgram } from "./check.js";
import { type LeafData, describeLeaves, hostFeeds } from "./generate.js";

/** The groups the suite is organised in, in the order they are registered. */
export const GROUPS = ["primitives", "composites", "fusion", "derivatives", "models", "resident", "executables", "feeds", "lifetimes"] as const;
/** The name of a group of conformance cases. */
export type Group = (typeof GROUPS)[number];

/** What a case gets besides the backend the suite shares. */
export interface CaseContext {
  /**
   * A new backend of the same target, for a case that must dispose one: the shared backend
   * serves the cases after it. The case disposes what it gets.
   */
  fresh(): Promise<Backend>;
}

/** One conformance case: a named check run once per dtype the target claims. */
export interface ConformanceCase {
  readonly group: Group;
  readonly name: string;
  /** Dtypes the target must also be tested in for this case to apply (a cast needs both). */
  readonly requires?: readonly DType[];
  /** Runs the case; rejects (with a ConformanceError or the backend's own error) when the backend fails it. */
  run(backend: Backend, dtype: DType, context: CaseContext): Promise<void>;
  /** The programs the case runs in `dtype`, for the coverage check. */
  programs(dtype: DType): Program[];
}

/** A program with the host feeds to run it on, and a line that says which sample it is. */
export interface BuiltProgram {
  readonly program: Program;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  readonly label: string;
}

/**
 * Traces `fn` over the given leaves (inputs unless marked as parameters, in `dtype` unless they
 * say otherwise) and pairs the program with host feeds rounded to each leaf's dtype.
 */
export function traced<K extends string>(
  dtype: DType,
  leaves: Readonly<Record<K, LeafData>>,
  fn: (x: Readonly<Record<K, Tensor>>, graph: Graph) => Outputs,
  note = "",
): BuiltProgram {
  const entries = Object.entries(leaves) as [K, LeafData][];
  const specs = Object.fromEntries(entries.map(([n, l]) => [n, { shape: l.shape, dtype: l.dtype ?? dtype, kind: l.kind ?? "input" }]));
  const program = trace(specs, (x, graph) => fn(x as Readonly<Record<K, Tensor>>, graph));
  const label = [describeLeaves(leaves), note].filter(Boolean).join("; ");
  return { program, feeds: hostFeeds(leaves, dtype), label };
}

/** A stable seed per case and sample (FNV-1a of the case's name). */
export function seedOf(name: string, sample: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h ^ Math.imul(sample + 1, 0x9e3779b1)) >>> 0;
}

/** What `programCase` makes a case from: its name, how many random samples, the tolerance, the dtypes it needs, and how to build each sample. */
export interface ProgramCaseSpec {
  readonly name: string;
  /** Random draws of shapes and data; each is compiled and checked separately. */
  readonly samples?: number;
  readonly tolerance?: Tolerance;
  readonly requires?: readonly DType[];
  /** Builds one sample: a program with its host feeds, drawn from `rng`. */
  build(dtype: DType, rng: Random, sample: number): BuiltProgram;
}

/** A case made of programs with host feeds: each sample is checked by `checkProgram`. */
export interface ProgramCase extends ConformanceCase {
  readonly tolerance: Tolerance;
  /** Every sample the case checks in `dtype`, with its feeds: to replay one in a debugger or a benchmark. */
  samples(dtype: DType): BuiltProgram[];
}

/** Whether a case is a program case (checked against the reference) rather than a custom one. */
export function isProgramCase(c: ConformanceCase): c is ProgramCase {
  return typeof (c as ProgramCase).samples === "function";
}

/**
 * A case that builds programs and checks each against the reference. Sample `i` of case `name`
 * always draws the same shapes and data, so a failure reproduces from its message alone.
 */
export function programCase(group: Group, spec: ProgramCaseSpec): ProgramCase {
  const samples = spec.samples ?? 1;
  const tolerance = spec.tolerance ?? TOLERANCES.operation;
  const build = (dtype: DType, sample: number): BuiltProgram => spec.build(dtype, new Random(seedOf(`${group}/${spec.name}`, sample)), sample);
  return {
    group,
    name: spec.name,
    ...(spec.requires ? { requires: spec.requires } : {}),
    run: async (backend, dtype) => {
      for (let s = 0; s < samples; s++) {
        const built = build(dtype, s);
        const context = samples > 1 ? `sample ${s} of ${samples} (${built.label})` : built.label;
        await checkProgram(backend, built.program, built.feeds, tolerance[dtype], context);
      }
    },
    programs: (dtype) => Array.from({ length: samples }, (_, s) => build(dtype, s).program),
    tolerance,
    samples: (dtype) => Array.from({ length: samples }, (_, s) => build(dtype, s)),
  };
}

/** A case with its own protocol (resident loops, repeated runs, rejections, backends of its own). */
export function customCase(
  group: Group,
  name: string,
  run: (backend: Backend, dtype: DType, context: CaseContext) => Promise<void>,
  programs: (dtype: DType) => Program[],
  requires?: readonly DType[],
): ConformanceCase {
  return { group, name, run, programs, ...(requires ? { requires } : {}) };
}
