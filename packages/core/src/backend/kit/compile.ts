import type { DType } from "../../dtype.js";
import type { Node } from "../../ir/node.js";
import type { Program } from "../../ir/program.js";
import { optimize } from "../../passes/optimize.js";
import type { CompileOptions } from "../backend.js";
import { CompileCache } from "../compile-cache.js";
import type { BackendLife } from "./life.js";

/** The first node of `program` whose dtype is not one of `dtypes`, if any. */
export function unsupportedNode(program: Program, dtypes: readonly DType[]): Node | undefined {
  return program.nodes.find((n) => !dtypes.includes(n.dtype));
}

/** The cache variant of a compile: options that change the plan (poison) key it apart. */
function compileVariant(options: CompileOptions): string {
  return options.poison ? "poison" : "";
}

/** What a backend adds to the shared compile: its dtype rule, its device, and its lowering. */
export interface CompileSteps<C, E> {
  /** Throws the backend's DTypeError for a program it cannot compute (see `unsupportedNode`). */
  checkDTypes(program: Program): void;
  /**
   * Readies the device or runtime the plan is built on; awaited before the cache is asked. A
   * backend without one (the reference) leaves it out, and its plan is then cached at once, in
   * the compile() call itself.
   */
  prepare?(): Promise<C>;
  /** Whether `build` is given the optimized program (the reference backend interprets the original). */
  readonly optimize: boolean;
  /** Lowers the (optimized) program and binds it: the backend's own part of a compile. */
  build(lowered: Program, context: C, options: CompileOptions): Promise<E>;
}

/**
 * The compile every backend shares: liveness (the after-dispose error), the backend's dtype
 * check, its device made ready (liveness again: dispose() may come meanwhile), then one plan
 * per program and variant from the cache, built by optimizing and lowering. A failed build is
 * not cached. The cache is the backend's to size, list and release on dispose.
 * @typeParam E the backend's executable.
 */
export class CompilePipeline<E> {
  readonly cache = new CompileCache<E>();

  constructor(private readonly life: BackendLife) {}

  /** The executable of `program` under `options`: cached, or built by `steps` (see the class). */
  async compile<C>(program: Program, options: CompileOptions, steps: CompileSteps<C, E>): Promise<E> {
    this.life.check("compile");
    steps.checkDTypes(program);
    let context: C | undefined;
    if (steps.prepare) {
      context = await steps.prepare();
      this.life.check("compile");
    }
    // `context` is set whenever `prepare` exists; without it, C is whatever the backend says (undefined).
    const build = (): Promise<E> => steps.build(steps.optimize ? optimize(program) : program, context as C, options);
    return this.cache.get(program, build, compileVariant(options));
  }

  /** Forgets every plan and hands each one built to `release`, one after another (a backend's dispose). */
  async releaseAll(release: (executable: E) => unknown): Promise<void> {
    const pending = this.cache.all();
    this.cache.clear();
    for (const plan of pending) {
      const executable = await plan.catch(() => undefined);
      if (executable !== undefined) await release(executable);
    }
  }
}
