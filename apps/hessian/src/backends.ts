import { CpuBackend } from "@unfold/backend-cpu";
import { type Backend, ReferenceBackend } from "@unfold/core";

export const BACKENDS = ["cpu", "reference"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Checks a --backend flag without making the backend (a CPU backend starts threads). */
export function checkBackendName(name: string | boolean | undefined): void {
  if (name !== undefined && !(BACKENDS as readonly unknown[]).includes(name)) throw new Error(`--backend must be one of ${BACKENDS.join(", ")}, got '${String(name)}'`);
}

/** The backend a --backend flag names: products are programs, so either runs them. */
export function backendNamed(name: string | boolean | undefined, fallback: BackendName): Backend {
  checkBackendName(name);
  return (name ?? fallback) === "cpu" ? new CpuBackend() : new ReferenceBackend();
}
