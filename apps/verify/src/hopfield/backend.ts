// The CPU backend's sources (which the workspace type-checks through the "@unfold/source"
// condition) use the WebAssembly globals, which TypeScript declares in its DOM library.
import { CpuBackend } from "@unfold/backend-cpu";
import { type Backend, ReferenceBackend } from "@unfold/core";

/** The backends `pnpm unfold hopfield --backend` runs on: the CPU backend, or the float64 reference interpreter. */
export const RETRIEVAL_BACKENDS = ["cpu", "reference"] as const;
export type RetrievalBackend = (typeof RETRIEVAL_BACKENDS)[number];

export function createRetrievalBackend(name: RetrievalBackend): Backend {
  return name === "cpu" ? new CpuBackend() : new ReferenceBackend();
}
