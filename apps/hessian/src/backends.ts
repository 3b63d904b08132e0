import { CpuBackend } from "@unfold/backend-cpu";
import { type Backend, ReferenceBackend } from "@unfold/core";

export const BACKENDS = ["cpu", "reference"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Checks a --backend flag without making the backend (a CPU backend starts threads). */
export function checkBackendName(name: string | boolean | undefined): void {
  if (name !== undefined && !(BACKENDS as readonly unknown[]).includes(name)) throw new Error(`--backend must be one of ${BACKENDS.join(", ")}, got '${String(name)}'`);
}

/**
 * The backend a --backend flag names: products are programs, so either runs them. `threads`
 * (--threads) sets the CPU backend's thread count; the reference interpreter has one thread, so
 * --threads with it is refused rather than ignored.
 */
export function backendNamed(name: string | boolean | undefined, fallback: BackendName, threads?: number): Backend {
  checkBackendName(name);
  const chosen = (name ?? fallback) as BackendName;
  if (threads !== undefined && chosen !== "cpu") throw new Error(`--threads ${threads} applies to --backend cpu, but the backend is ${chosen} (it runs on one thread); drop --threads`);
  return chosen === "cpu" ? new CpuBackend(threads === undefined ? {} : { threads }) : new ReferenceBackend();
}
