import type { Program } from "../ir/program.js";
import { fingerprint, nodeKey } from "../ir/program.js";

/**
 * One compiled plan per distinct program (and so per shape signature) and compile variant
 * (e.g. the poison option), shared by callers.
 */
export class CompileCache<E> {
  private readonly plans = new Map<string, { program: Program; plan: Promise<E> }[]>();

  /** The plan of this program and variant: the cached one (confirmed node by node), or `build()`'s, cached unless it fails. */
  get(program: Program, build: () => Promise<E>, variant = ""): Promise<E> {
    const key = `${fingerprint(program)}|${variant}`;
    const entries = this.plans.get(key) ?? [];
    // The fingerprint hashes constants, so two different programs can share it: a hit is
    // confirmed node by node, or a cached plan would compute another program's function.
    const hit = entries.find((e) => sameProgram(e.program, program));
    if (hit) return hit.plan;
    const entry = { program, plan: build() };
    entries.push(entry);
    this.plans.set(key, entries);
    // A failed compile is not cached, so a corrected retry is not stuck with the error.
    entry.plan.catch(() => {
      const rest = (this.plans.get(key) ?? []).filter((e) => e !== entry);
      if (rest.length) this.plans.set(key, rest);
      else this.plans.delete(key);
    });
    return entry.plan;
  }

  get size(): number {
    let count = 0;
    for (const entries of this.plans.values()) count += entries.length;
    return count;
  }

  /** Every plan held (pending, built or failing), for backends that must release them. */
  all(): Promise<E>[] {
    return [...this.plans.values()].flat().map((e) => e.plan);
  }

  /** Forgets every plan (a backend's dispose()); plans already handed out are not released here. */
  clear(): void {
    this.plans.clear();
  }
}

function sameProgram(a: Program, b: Program): boolean {
  if (a === b) return true;
  if (a.nodes.length !== b.nodes.length || a.outputs.length !== b.outputs.length) return false;
  if (a.outputs.some((o, i) => o.name !== b.outputs[i]!.name || o.id !== b.outputs[i]!.id)) return false;
  return a.nodes.every((n, i) => {
    const m = b.nodes[i]!;
    if (nodeKey(n, n.inputs) !== nodeKey(m, m.inputs)) return false;
    if (n.op !== "constant" || m.op !== "constant") return true;
    return n.value.every((v, j) => Object.is(v, m.value[j]));
  });
}
