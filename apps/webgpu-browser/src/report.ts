import type { CaseResult } from "@unfold/conformance/portable";

/** What the page publishes on `window.__unfoldConformance` for a driver (the test) to read. */
export interface PageReport {
  done: boolean;
  /** The adapter the backend ran on (vendor / architecture / description). */
  adapter?: string;
  /** A failure before any case could run (no navigator.gpu, no adapter, ...). */
  error?: string;
  results: CaseResult[];
}

/** The groups the page runs unless `?groups=` names others: one of every kind, quick on a software adapter. */
export const DEFAULT_GROUPS = ["primitives", "composites", "fusion", "models", "resident", "feeds"] as const;

/** The ONNX-on-WebGPU run: every primitive, the composites and the 12-layer unfolding. */
export const ONNX_GROUPS = ["primitives", "composites", "models"] as const;

declare global {
  interface Window {
    __unfoldConformance?: PageReport;
  }
}
