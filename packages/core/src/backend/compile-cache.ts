import type { Program } from "../ir/program.js";
import { fingerprint } from "../ir/program.js";

/** One compiled plan per distinct program (and so per shape signature), shared by callers. */
export class CompileCache<E> {
  private readonly plans = new Map<string, Promise<E>>();

  get(program: Program, build: () => Promise<E>): Promise<E> {
    const key = fingerprint(program);
    let plan = this.plans.get(key);
    if (!plan) {
      plan = build();
      this.plans.set(key, plan);
      // A failed compile is not cached, so a corrected retry is not stuck with the error.
      plan.catch(() => this.plans.delete(key));
    }
    return plan;
  }

  get size(): number {
    return this.plans.size;
  }

  clear(): void {
    this.plans.clear();
  }
}
