import { CpuBackend } from "@unfold/backend-cpu";
import { type Backend, ReferenceBackend } from "@unfold/core";

export const BACKENDS = ["cpu", "reference"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The backend a --backend flag names: products are programs, so either runs them. */
export function backendNamed(name: string | boolean | undefined, fallback: BackendName): Backend {
  const chosen = name === undefined ? fallback : name;
  if (chosen === "cpu") return new CpuBackend();
  if (chosen === "reference") return new ReferenceBackend();
  throw new Error(`--backend must be one of ${BACKENDS.join(", ")}, got '${String(name)}'`);
}
